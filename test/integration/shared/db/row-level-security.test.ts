import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../../shared/db/database';
import { isDatabaseError, SqlState } from '../../../../shared/db/database-error';
import { APP_ROLE, withSystemScope, withTenant } from '../../../../shared/db/tenant';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { createTestUser } from '../../support/fixtures';

/**
 * Row-level security, checked on every tenant-owned table the schema has (every base table with
 * a `user_id` column, found in the catalog, plus `users`): with the wrong tenant set, or none,
 * the application role reads 0 of a tenant's rows.
 *
 * Each table gets one row for A and one for B, written as the superuser (`testDb.superuser()`,
 * which bypasses row-level security) with triggers and foreign keys off
 * (`session_replication_role = replica`, a superuser's power) and CHECK constraints dropped in
 * this throwaway database: the policies are under test here, not the constraints. `db` is the
 * platform's login role, which owns the tables but is not a superuser.
 */

let testDb: TestDatabase;
let db: Database;
let superuser: Database;
let a: string;
let b: string;
let c: string;
let tenantTables: string[];

interface ColumnInfo {
  column_name: string;
  udt_name: string;
  data_type: string;
}

function valueFor(column: ColumnInfo, owner: string): string {
  if (column.column_name === 'user_id') return `'${owner}'::uuid`;
  switch (column.udt_name) {
    case 'uuid':
      return 'gen_random_uuid()';
    case 'text':
    case 'varchar':
    case 'bpchar':
      return 'md5(random()::text)';
    case 'int2':
    case 'int4':
    case 'int8':
      return `(floor(random() * 1000000) + 1)::${column.udt_name}`;
    case 'numeric':
    case 'float4':
    case 'float8':
      return `1::${column.udt_name}`;
    case 'bool':
      return 'false';
    case 'timestamptz':
    case 'timestamp':
      return 'now()';
    case 'date':
      return 'current_date';
    case 'json':
    case 'jsonb':
      return `'{}'::${column.udt_name}`;
    case 'inet':
      return `'127.0.0.1'::inet`;
    case 'bytea':
      return `'\\x00'::bytea`;
    default:
      if (column.data_type === 'ARRAY') return `'{}'::${column.udt_name.replace(/^_/, '')}[]`;
      throw new Error(`no test value for ${column.column_name} ${column.udt_name}`);
  }
}

async function seedRow(table: string, owner: string): Promise<void> {
  const columns = await sql<ColumnInfo>`
    select column_name, udt_name, data_type from information_schema.columns
     where table_schema = current_schema() and table_name = ${table}
       and (is_nullable = 'NO' or column_name = 'user_id') and column_default is null
       and is_generated = 'NEVER' and is_identity = 'NO'`.execute(superuser);
  const names = columns.rows.map((col) => `"${col.column_name}"`).join(', ');
  const values = columns.rows.map((col) => valueFor(col, owner)).join(', ');
  await superuser.transaction().execute(async (trx) => {
    await sql`set local session_replication_role = replica`.execute(trx);
    await sql.raw(`insert into "${table}" (${names}) values (${values})`).execute(trx);
  });
}

const ownerColumn = (table: string) => (table === 'users' ? 'id' : 'user_id');

async function countOwned(
  database: Database | Parameters<Parameters<typeof withTenant>[2]>[0],
  table: string,
) {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from ${sql.table(table)} where ${sql.ref(ownerColumn(table))} in (${a}::uuid, ${b}::uuid)`.execute(
    database,
  );
  return rows[0]?.n ?? -1;
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  superuser = testDb.superuser();
  [a, b, c] = await Promise.all([createTestUser(db), createTestUser(db), createTestUser(db)]).then((rows) =>
    rows.map((r) => r.id),
  );
  const found = await sql<{ table_name: string }>`
    select c.table_name from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
     where c.table_schema = current_schema() and c.column_name = 'user_id' and t.table_type = 'BASE TABLE'
     order by c.table_name`.execute(superuser);
  tenantTables = found.rows.map((r) => r.table_name);

  for (const table of tenantTables) {
    const checks = await sql<{ conname: string }>`
      select conname from pg_constraint where conrelid = ${table}::regclass and contype = 'c'`.execute(
      superuser,
    );
    for (const { conname } of checks.rows) {
      await sql`alter table ${sql.table(table)} drop constraint ${sql.ref(conname)}`.execute(superuser);
    }
    await seedRow(table, a);
    await seedRow(table, b);
  }
});
afterAll(async () => {
  await testDb?.drop();
});

describe('row-level security on every tenant-owned table', () => {
  it('finds the tenant-owned tables in the catalog', () => {
    expect(tenantTables.length).toBeGreaterThanOrEqual(20);
    expect(tenantTables).toEqual(
      expect.arrayContaining([
        'datasets',
        'jobs',
        'api_keys',
        'audit_logs',
        'credit_transactions',
        'model_aliases',
      ]),
    );
  });

  it('enables and forces RLS with a policy on each, and the app role owns none of them', async () => {
    const { rows } = await sql<{
      relname: string;
      relrowsecurity: boolean;
      relforcerowsecurity: boolean;
      owner: string;
      policies: number;
    }>`
      select c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) as owner,
             (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies
        from pg_class c where c.relnamespace = current_schema()::regnamespace and c.relname = any(${[...tenantTables, 'users']})`.execute(
      db,
    );
    expect(rows).toHaveLength(tenantTables.length + 1);
    for (const row of rows) {
      expect(row, row.relname).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
      expect(row.policies, row.relname).toBeGreaterThan(0);
      expect(row.owner, row.relname).not.toBe(APP_ROLE);
    }
    const role = await sql<{ rolbypassrls: boolean; rolsuper: boolean }>`
      select rolbypassrls, rolsuper from pg_roles where rolname = ${APP_ROLE}`.execute(db);
    expect(role.rows).toEqual([{ rolbypassrls: false, rolsuper: false }]);
  });

  it('the superuser sees both tenants’ rows in every table (the rows exist)', async () => {
    for (const table of [...tenantTables, 'users']) expect(await countOwned(superuser, table), table).toBe(2);
  });

  it('the login role that owns the tables reads none of them outside a scope', async () => {
    const login = await sql<{ rolsuper: boolean; rolbypassrls: boolean }>`
      select rolsuper, rolbypassrls from pg_roles where rolname = current_user`.execute(db);
    expect(login.rows).toEqual([{ rolsuper: false, rolbypassrls: false }]);
    for (const table of [...tenantTables, 'users']) expect(await countOwned(db, table), table).toBe(0);
  });

  it('with another tenant set, reads 0 of A’s and B’s rows from each table', async () => {
    for (const table of [...tenantTables, 'users']) {
      const n = await withTenant(db, { userId: c, role: 'user' }, (trx) => countOwned(trx, table));
      expect(n, table).toBe(0);
    }
  });

  it('with no tenant set, reads 0 tenant rows from each table', async () => {
    for (const table of [...tenantTables, 'users']) {
      const n = await db.transaction().execute(async (trx) => {
        await sql.raw(`set local role ${APP_ROLE}`).execute(trx);
        // Rows without an owner (built-in pipeline templates, platform audit entries) are not tenant rows.
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from ${sql.table(table)} where ${sql.ref(ownerColumn(table))} is not null`.execute(
          trx,
        );
        return rows[0]?.n ?? -1;
      });
      expect(n, table).toBe(0);
    }
  });

  it('A reads exactly her own row from each table; system scope reads both', async () => {
    for (const table of [...tenantTables, 'users']) {
      expect(await withTenant(db, { userId: a, role: 'user' }, (trx) => countOwned(trx, table)), table).toBe(
        1,
      );
      expect(await withSystemScope(db, 'admin.rls-test', (trx) => countOwned(trx, table)), table).toBe(2);
    }
  });

  it('refuses to write a row for another tenant, and the audit trail is append-only', async () => {
    const insertForA = withTenant(db, { userId: c, role: 'user' }, (trx) =>
      trx.insertInto('audit_logs').values({ user_id: a, action: 'forged' }).execute(),
    );
    await expect(insertForA).rejects.toSatisfy((e) => isDatabaseError(e, SqlState.insufficientPrivilege));
    const insertKey = withTenant(db, { userId: c, role: 'user' }, (trx) =>
      trx
        .insertInto('api_keys')
        .values({ user_id: a, name: 'forged', prefix: randomUUID().slice(0, 12), key_hash: randomUUID() })
        .execute(),
    );
    await expect(insertKey).rejects.toSatisfy((e) => isDatabaseError(e, SqlState.insufficientPrivilege));

    const tamper = withTenant(db, { userId: a, role: 'user' }, (trx) =>
      trx.deleteFrom('audit_logs').where('user_id', '=', a).execute(),
    );
    await expect(tamper).rejects.toSatisfy((e) => isDatabaseError(e, SqlState.insufficientPrivilege));
    const stolen = await withTenant(db, { userId: c, role: 'user' }, (trx) =>
      trx.updateTable('api_keys').set({ name: 'mine now' }).where('user_id', '=', a).executeTakeFirst(),
    );
    expect(Number(stolen.numUpdatedRows)).toBe(0);
  });
});
