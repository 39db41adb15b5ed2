import * as z from 'zod';

/** Emails are compared and stored lower-cased (the column has a CHECK for it). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ message: 'Enter a valid email address.' }))
  .transform(normalizeEmail);
