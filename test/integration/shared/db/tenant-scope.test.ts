import { sql, type KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../../shared/db/database';
import { APP_ROLE, withSystemScope, withTenant } from '../../../../shared/db/tenant';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { createTestUser } from '../../support/fixtures';

/**
 * Opening a tenant (or system) scope costs one statement: the role and the settings are set
 * together, so over the Data API each transaction pays one round trip for it, not two.
 */
let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
});
afterAll(async () => {
  await testDb.drop();
});

function counting(db: Database): { db: Database; statements: string[] } {
  const statements: string[] = [];
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      statements.push(args.node.kind);
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return { db: db.withPlugin(plugin), statements };
}

describe('tenant scope', () => {
  it('sets the application role and the tenant in one statement', async () => {
    const user = await createTestUser(testDb.db);
    const { db, statements } = counting(testDb.db);
    const seen = await withTenant(db, { userId: user.id, role: 'user' }, async (trx) => {
      const before = statements.length;
      const { rows } = await sql<{
        role: string;
        tenant: string;
        tenant_role: string;
      }>`select current_user as role, current_setting('pipeweave.user_id') as tenant, current_setting('pipeweave.role') as tenant_role`.execute(
        trx,
      );
      return { before, row: rows[0] };
    });
    expect(seen.before).toBe(1);
    expect(seen.row).toEqual({ role: APP_ROLE, tenant: user.id, tenant_role: 'user' });
  });

  it('sets the application role and the system settings in one statement', async () => {
    const { db, statements } = counting(testDb.db);
    const seen = await withSystemScope(db, 'admin.test-check', async (trx) => {
      const before = statements.length;
      const { rows } = await sql<{
        role: string;
        reason: string;
      }>`select current_user as role, current_setting('pipeweave.system_reason') as reason`.execute(trx);
      return { before, row: rows[0] };
    });
    expect(seen.before).toBe(1);
    expect(seen.row).toEqual({ role: APP_ROLE, reason: 'admin.test-check' });
  });
});
