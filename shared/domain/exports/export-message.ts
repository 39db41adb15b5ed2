import * as z from 'zod';

/** What the exports queue carries: which export to produce, and whose it is (ids only, never data). */
export const exportMessageSchema = z.object({ exportId: z.uuid(), userId: z.uuid() }).strict();
export type ExportMessage = z.infer<typeof exportMessageSchema>;

export function parseExportMessage(body: string): ExportMessage {
  return exportMessageSchema.parse(JSON.parse(body));
}
