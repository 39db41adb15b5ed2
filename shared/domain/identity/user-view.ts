import type { Selectable } from 'kysely';
import * as z from 'zod';
import type { UsersTable } from '../../db/schema';
import { USER_ROLES, USER_TIERS } from '../../db/schema';

/** What the API shows of a user: never the hash, the lockout state or other internals. */
export const userViewSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    fullName: z.string(),
    role: z.enum(USER_ROLES),
    tier: z.enum(USER_TIERS),
    creditBalance: z.number().int(),
    emailVerified: z.boolean(),
    isActive: z.boolean().meta({ description: 'False once an administrator deactivated the account' }),
    datasetCount: z.number().int(),
    pipelineCount: z.number().int(),
    modelCount: z.number().int(),
    storageUsedBytes: z.number().int(),
    createdAt: z.string(),
    lastLoginAt: z.string().nullable(),
    deletedAt: z.string().nullable(),
  })
  .meta({ id: 'User' });

export type UserView = z.infer<typeof userViewSchema>;

export type UserRow = Selectable<UsersTable>;

export function toUserView(row: UserRow): UserView {
  return {
    id: row.id,
    email: row.email,
    fullName: row.full_name,
    role: row.role,
    tier: row.tier,
    creditBalance: row.credit_balance,
    emailVerified: row.email_verified,
    isActive: row.is_active,
    datasetCount: row.dataset_count,
    pipelineCount: row.pipeline_count,
    modelCount: row.model_count,
    storageUsedBytes: row.storage_used_bytes,
    createdAt: row.created_at.toISOString(),
    lastLoginAt: row.last_login_at ? row.last_login_at.toISOString() : null,
    deletedAt: row.deleted_at ? row.deleted_at.toISOString() : null,
  };
}
