/**
 * Soft-deleted accounts can be restored (`POST /auth/restore`) for this long, then are purged.
 * Kept apart from sessions.ts so the purge does not load the password hashing binding.
 */
export const ACCOUNT_RESTORE_DAYS = 30;
