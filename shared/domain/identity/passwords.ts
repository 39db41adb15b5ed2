import { hash, verify, type Algorithm, type Options } from '@node-rs/argon2';
import { ValidationError } from '../../kernel/app-error';

/**
 * argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane). The PHC string stores
 * them, so raising them later still verifies older hashes.
 */
const ARGON2ID = 2 as Algorithm;
export const PASSWORD_HASH_OPTIONS: Options = {
  algorithm: ARGON2ID,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

export const PASSWORD_MIN_LENGTH = 12;
/** argon2 hashes whatever it is given: a cap keeps a megabyte password from costing a megabyte of work. */
export const PASSWORD_MAX_LENGTH = 256;

const COMMON_PASSWORDS = new Set([
  'password1234',
  'passwordpassword',
  '123456789012',
  'qwertyuiopas',
  'iloveyou1234',
  'letmein12345',
  'administrator',
  'welcome12345',
  'changeme1234',
  'pipeweave123',
]);

export type PasswordRule =
  'min_length' | 'max_length' | 'character_variety' | 'contains_email' | 'common_password';

/** Why a password is refused, naming the rule so clients can explain it. */
export function passwordProblem(
  password: string,
  email?: string,
): { rule: PasswordRule; message: string } | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) {
    return {
      rule: 'min_length',
      message: `Password must be at least ${PASSWORD_MIN_LENGTH} characters long.`,
    };
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    return {
      rule: 'max_length',
      message: `Password must be at most ${PASSWORD_MAX_LENGTH} characters long.`,
    };
  }
  if (!/\p{L}/u.test(password) || !/[^\p{L}]/u.test(password)) {
    return {
      rule: 'character_variety',
      message: 'Password must contain letters and at least one digit, space or symbol.',
    };
  }
  const local = email?.split('@')[0]?.toLowerCase();
  if (local && local.length >= 4 && password.toLowerCase().includes(local)) {
    return { rule: 'contains_email', message: 'Password must not contain your email address.' };
  }
  if (COMMON_PASSWORDS.has(password.toLowerCase())) {
    return { rule: 'common_password', message: 'Password is too common: choose another one.' };
  }
  return undefined;
}

export function assertStrongPassword(
  password: string,
  email: string | undefined,
  field = 'body.password',
): void {
  const problem = passwordProblem(password, email);
  if (problem) {
    throw new ValidationError(problem.message, {
      code: 'AUTH.WEAK_PASSWORD',
      field,
      details: { rule: problem.rule },
    });
  }
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, PASSWORD_HASH_OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  if (password.length > PASSWORD_MAX_LENGTH) return false;
  try {
    return await verify(passwordHash, password);
  } catch {
    // A malformed stored hash never authenticates.
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same time as a real check when the email is unknown, so response times do not
 * tell which emails have accounts.
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword('not-a-real-password-0');
  await verifyPassword(await dummyHash, password);
}
