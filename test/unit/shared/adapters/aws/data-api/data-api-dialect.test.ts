import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  DatabaseErrorException,
  DatabaseResumingException,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
  ServiceUnavailableError,
  StatementTimeoutException,
} from '@aws-sdk/client-rds-data';
import { mockClient } from 'aws-sdk-client-mock';
import { Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataApiDialect } from '../../../../../../shared/adapters/aws/data-api/data-api-dialect';
import {
  DataApiExecutor,
  type DataApiExecutorOptions,
} from '../../../../../../shared/adapters/aws/data-api/data-api-executor';
import { createDataApiDatabase } from '../../../../../../shared/adapters/aws/data-api/data-api-database';
import { DatabaseError, SqlState, isDatabaseError } from '../../../../../../shared/db/database-error';
import { DependencyUnavailableError } from '../../../../../../shared/kernel/app-error';
import { column, cursorTable, output, tooLarge, usersResponse } from './data-api-fake';

interface TestDB {
  users: { id: string; email: string; credit_balance: number; created_at: Date };
  events: { n: number; payload: string };
}

const target = {
  resourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:pipeweave',
  secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pipeweave-db-AbCdEf',
  database: 'pipeweave',
};

const rds = mockClient(RDSDataClient);
let waits: number[];
let clock: number;

function database(options: DataApiExecutorOptions = {}): Kysely<TestDB> {
  const executor = new DataApiExecutor(new RDSDataClient({ region: 'eu-west-1' }), target, {
    // The backoff runs on a fake clock: each wait is recorded and moves the clock.
    sleep: async (ms) => {
      waits.push(ms);
      clock += ms;
    },
    now: () => clock,
    random: () => 1,
    ...options,
  });
  return new Kysely<TestDB>({ dialect: new DataApiDialect(executor) });
}

function executeInputs() {
  return rds.commandCalls(ExecuteStatementCommand).map((call) => call.args[0].input);
}

beforeEach(() => {
  waits = [];
  clock = 1_000_000;
});

afterEach(() => {
  rds.reset();
});

describe('Data API dialect: what we send', () => {
  it('types each JavaScript value as the Data API parameter PostgreSQL will read correctly', async () => {
    rds.on(ExecuteStatementCommand).resolves(output());
    const db = database();
    const big = 2n ** 53n + 1n;
    const when = new Date('2026-03-14T09:26:53.589Z');

    await sql`select ${'ada'}, ${42}, ${-7}, ${1.5}, ${5n}, ${big}, ${true}, ${null}, ${undefined}, ${when}, ${new Uint8Array([1, 2, 3])}, ${Buffer.from('hi')}, ${{ plan: 'pro', n: 1 }}, ${['a', 'b,c', 'd"e']}, ${[{ x: 1 }]}, ${2 ** 40}`.execute(
      db,
    );

    const [input] = executeInputs();
    expect(input?.sql).toBe(
      'select :p1, :p2, :p3, :p4, :p5, :p6, :p7, :p8, :p9, :p10, :p11, :p12, :p13, :p14, :p15, :p16',
    );
    expect(input?.resourceArn).toBe(target.resourceArn);
    expect(input?.secretArn).toBe(target.secretArn);
    expect(input?.database).toBe('pipeweave');
    expect(input?.transactionId).toBeUndefined();
    expect(input?.includeResultMetadata).toBe(true);
    expect(input?.resultSetOptions).toEqual({ longReturnType: 'STRING', decimalReturnType: 'STRING' });
    expect(input?.parameters).toEqual([
      { name: 'p1', value: { stringValue: 'ada' } },
      { name: 'p2', value: { longValue: 42 } },
      { name: 'p3', value: { longValue: -7 } },
      { name: 'p4', value: { doubleValue: 1.5 } },
      { name: 'p5', value: { longValue: 5 } },
      // 2^53+1 cannot travel as a JSON number without becoming 2^53: it goes as exact text.
      { name: 'p6', value: { stringValue: '9007199254740993' } },
      { name: 'p7', value: { booleanValue: true } },
      { name: 'p8', value: { isNull: true } },
      { name: 'p9', value: { isNull: true } },
      { name: 'p10', value: { stringValue: '2026-03-14 09:26:53.589' }, typeHint: 'TIMESTAMP' },
      { name: 'p11', value: { blobValue: new Uint8Array([1, 2, 3]) } },
      { name: 'p12', value: { blobValue: Buffer.from('hi') } },
      { name: 'p13', value: { stringValue: '{"plan":"pro","n":1}' }, typeHint: 'JSON' },
      { name: 'p14', value: { stringValue: '{"a","b,c","d\\"e"}' } },
      { name: 'p15', value: { stringValue: '[{"x":1}]' }, typeHint: 'JSON' },
      { name: 'p16', value: { longValue: 2 ** 40 } },
    ]);
    // No string is given a typeHint (a uuid-looking value in a text column must stay text).
    expect(input?.parameters?.[0]).not.toHaveProperty('typeHint');
  });

  it('leaves $n inside literals, quoted identifiers, comments and dollar quotes alone', async () => {
    rds.on(ExecuteStatementCommand).resolves(output());
    const db = database();

    await db.executeQuery(
      sql`select '$1' as "$2", $tag$ $3 $tag$, E'it\\'s $1' -- $1
        /* $1 /* nested $2 */ */ , ${'x'}::uuid`.compile(db),
    );

    expect(executeInputs()[0]?.sql).toBe(
      `select '$1' as "$2", $tag$ $3 $tag$, E'it\\'s $1' -- $1
        /* $1 /* nested $2 */ */ , :p1::uuid`,
    );
  });

  it('compiles Kysely queries into named parameters in order', async () => {
    rds.on(ExecuteStatementCommand).resolves(output({ numberOfRecordsUpdated: 2 }));
    const db = database();

    const result = await db
      .updateTable('users')
      .set({ email: 'new@example.com' })
      .where('credit_balance', '>', 10)
      .executeTakeFirst();

    expect(executeInputs()[0]).toMatchObject({
      sql: 'update "users" set "email" = :p1 where "credit_balance" > :p2',
      parameters: [
        { name: 'p1', value: { stringValue: 'new@example.com' } },
        { name: 'p2', value: { longValue: 10 } },
      ],
    });
    expect(result.numUpdatedRows).toBe(2n);
  });
});

describe('Data API dialect: what we read back', () => {
  it('decodes a realistic ExecuteStatement response into the types repositories expect', async () => {
    rds.on(ExecuteStatementCommand).resolves(usersResponse());
    const db = database();

    const { rows } = await sql<Record<string, unknown>>`select * from users`.execute(db);

    expect(rows).toEqual([
      {
        id: '6b1f4a0e-2f7c-4b8e-9a51-3c5d7e9f1a2b',
        email: 'ada@example.com',
        credit_balance: 9007199254740991,
        dataset_count: 3,
        price: '19.9900',
        score: 0.8125,
        is_active: true,
        metadata: { plan: 'pro', limits: { datasets: 50 } },
        created_at: new Date('2026-03-14T09:26:53.589Z'),
        locked_until: null,
        tags: ['vision', 'has,comma', 'has "quote"'],
        shape: [28, 28, 3],
        sha256: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
        day: '2026-03-14',
      },
      {
        id: '0c2d4e6f-8a1b-4c3d-9e5f-7a9b1c3d5e7f',
        email: 'grace@example.com',
        credit_balance: -42,
        dataset_count: 0,
        price: null,
        score: null,
        is_active: false,
        metadata: [1, 2, 3],
        created_at: new Date('2026-01-01T00:00:00.000Z'),
        locked_until: new Date('2026-01-02T03:04:05.600Z'),
        tags: ['a', 'b c', null],
        shape: null,
        sha256: null,
        day: null,
      },
    ]);
  });

  it('refuses to round an int8 beyond 2^53 − 1', async () => {
    rds.on(ExecuteStatementCommand).resolves(
      output({
        columnMetadata: [column('total', 'int8')],
        records: [[{ stringValue: '9007199254740993' }]],
      }),
    );
    const db = database();

    const error = await sql`select sum(amount) as total from ledger`.execute(db).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ sqlState: '22003' });
    expect((error as Error).message).toMatch(/9007199254740993.*::text/);
  });
});

describe('Data API dialect: transactions', () => {
  it('begins, runs every statement with the transactionId, returns RETURNING rows and commits', async () => {
    rds.on(BeginTransactionCommand).resolves({ transactionId: 'tx-1', $metadata: {} });
    rds.on(CommitTransactionCommand).resolves({ transactionStatus: 'Transaction Committed', $metadata: {} });
    rds
      .on(ExecuteStatementCommand)
      .resolvesOnce(output({ columnMetadata: [column('id', 'uuid')], records: [[{ stringValue: 'u-1' }]] }))
      .resolvesOnce(output({ numberOfRecordsUpdated: 1 }));
    const db = database();

    const id = await db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('users')
        .values({
          id: 'u-1',
          email: 'a@b.c',
          credit_balance: 0,
          created_at: new Date('2026-01-01T00:00:00Z'),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx.updateTable('users').set({ credit_balance: 5 }).where('id', '=', row.id).execute();
      return row.id;
    });

    expect(id).toBe('u-1');
    expect(rds.commandCalls(BeginTransactionCommand)[0]?.args[0].input).toEqual(target);
    expect(executeInputs().map((i) => i.transactionId)).toEqual(['tx-1', 'tx-1']);
    expect(executeInputs()[0]?.sql).toMatch(/^insert into "users" .* returning "id"$/);
    expect(rds.commandCalls(CommitTransactionCommand)[0]?.args[0].input).toEqual({
      resourceArn: target.resourceArn,
      secretArn: target.secretArn,
      transactionId: 'tx-1',
    });
    expect(rds.commandCalls(RollbackTransactionCommand)).toHaveLength(0);
  });

  it('rolls back when a statement fails and surfaces the PostgreSQL error with its SQLSTATE', async () => {
    rds.on(BeginTransactionCommand).resolves({ transactionId: 'tx-2', $metadata: {} });
    rds.on(RollbackTransactionCommand).resolves({ transactionStatus: 'Rollback Complete', $metadata: {} });
    rds.on(ExecuteStatementCommand).rejects(
      new DatabaseErrorException({
        message:
          'ERROR: duplicate key value violates unique constraint "users_email_key"\n  Detail: Key (email)=(ada@example.com) already exists.; SQLState: 23505',
        $metadata: {},
      }),
    );
    const db = database();

    const error = await db
      .transaction()
      .execute((trx) =>
        trx
          .insertInto('users')
          .values({ id: 'u', email: 'ada@example.com', credit_balance: 0, created_at: new Date() })
          .execute(),
      )
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DatabaseError);
    expect(isDatabaseError(error, SqlState.uniqueViolation)).toBe(true);
    expect(error).toMatchObject({
      sqlState: '23505',
      constraint: 'users_email_key',
      detail: 'Key (email)=(ada@example.com) already exists.',
      message: 'duplicate key value violates unique constraint "users_email_key"',
    });
    expect(rds.commandCalls(RollbackTransactionCommand)[0]?.args[0].input.transactionId).toBe('tx-2');
    expect(rds.commandCalls(CommitTransactionCommand)).toHaveLength(0);
  });

  it('never re-sends a statement inside a transaction, even on a transient error', async () => {
    rds.on(BeginTransactionCommand).resolves({ transactionId: 'tx-3', $metadata: {} });
    rds.on(RollbackTransactionCommand).resolves({ $metadata: {} });
    rds
      .on(ExecuteStatementCommand)
      .rejects(new ServiceUnavailableError({ message: 'Service unavailable', $metadata: {} }));
    const db = database();

    const error = await db
      .transaction()
      .execute((trx) => sql`update users set credit_balance = credit_balance - 1`.execute(trx))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(rds.commandCalls(ExecuteStatementCommand)).toHaveLength(1);
    expect(waits).toEqual([]);
    expect(rds.commandCalls(RollbackTransactionCommand)).toHaveLength(1);
  });

  it('retries BeginTransaction itself while the cluster resumes', async () => {
    rds
      .on(BeginTransactionCommand)
      .rejectsOnce(
        new DatabaseResumingException({
          message: 'The Aurora DB instance db-1 is resuming after being auto-paused.',
          $metadata: {},
        }),
      )
      .resolves({ transactionId: 'tx-4', $metadata: {} });
    rds.on(CommitTransactionCommand).resolves({ transactionStatus: 'Transaction Committed', $metadata: {} });
    rds.on(ExecuteStatementCommand).resolves(output());
    const db = database();

    await db.transaction().execute((trx) => sql`select 1`.execute(trx));

    expect(rds.commandCalls(BeginTransactionCommand)).toHaveLength(2);
    expect(executeInputs()[0]?.transactionId).toBe('tx-4');
  });

  it('sets the isolation level as the first statement of the transaction', async () => {
    rds.on(BeginTransactionCommand).resolves({ transactionId: 'tx-5', $metadata: {} });
    rds.on(CommitTransactionCommand).resolves({ transactionStatus: 'Transaction Committed', $metadata: {} });
    rds.on(ExecuteStatementCommand).resolves(output());
    const db = database();

    await db
      .transaction()
      .setIsolationLevel('serializable')
      .execute((trx) => sql`select 1`.execute(trx));

    expect(executeInputs().map((i) => [i.sql, i.transactionId])).toEqual([
      ['set transaction isolation level serializable', 'tx-5'],
      ['select 1', 'tx-5'],
    ]);
  });
});

describe('Data API dialect: retries outside transactions', () => {
  it('retries DatabaseResumingException with growing, capped waits until the cluster answers', async () => {
    const resuming = new DatabaseResumingException({
      message: 'The Aurora DB instance is resuming after being auto-paused.',
      $metadata: {},
    });
    rds
      .on(ExecuteStatementCommand)
      .rejectsOnce(resuming)
      .rejectsOnce(resuming)
      .rejectsOnce(resuming)
      .resolves(output({ columnMetadata: [column('one', 'int4')], records: [[{ longValue: 1 }]] }));
    const db = database({ retry: { baseDelayMs: 100, maxDelayMs: 250, deadlineMs: 10_000 } });

    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);

    expect(rows).toEqual([{ one: 1 }]);
    expect(rds.commandCalls(ExecuteStatementCommand)).toHaveLength(4);
    expect(waits).toEqual([100, 200, 250]);
  });

  it('gives up at the deadline with DependencyUnavailableError naming the database', async () => {
    rds
      .on(ExecuteStatementCommand)
      .rejects(new DatabaseResumingException({ message: 'resuming', $metadata: {} }));
    const db = database({ retry: { baseDelayMs: 1_000, maxDelayMs: 4_000, deadlineMs: 10_000 } });

    const error = await sql`select 1`.execute(db).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(error).toMatchObject({ code: 'DEPENDENCY.DATABASE_UNAVAILABLE', status: 503 });
    expect((error as Error).message).toMatch(/resuming/);
    // 1 s + 2 s + 4 s = 7 s; another 4 s would pass the 10 s deadline.
    expect(waits).toEqual([1_000, 2_000, 4_000]);
    expect(rds.commandCalls(ExecuteStatementCommand)).toHaveLength(4);
  });

  it('does not retry a statement the database rejected', async () => {
    rds
      .on(ExecuteStatementCommand)
      .rejects(new StatementTimeoutException({ message: 'Request timed out', $metadata: {} }));
    const db = database();

    const error = await sql`select pg_sleep(60)`.execute(db).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'DatabaseError', sqlState: '57014' });
    expect(rds.commandCalls(ExecuteStatementCommand)).toHaveLength(1);
  });
});

describe('Data API dialect: results over 1 MiB', () => {
  it('re-reads a SELECT refused for size through a cursor and returns every row once, in order', async () => {
    const table = cursorTable(2_500, 2_000);
    rds.on(BeginTransactionCommand).resolves({ transactionId: 'tx-big', $metadata: {} });
    rds.on(CommitTransactionCommand).resolves({ transactionStatus: 'Transaction Committed', $metadata: {} });
    rds.on(ExecuteStatementCommand).callsFake(table.handle);
    const db = database();

    const rows = await db.selectFrom('events').selectAll().where('n', '>', 0).orderBy('n').execute();

    expect(rows).toHaveLength(2_500);
    expect(rows.map((r) => r.n)).toEqual(Array.from({ length: 2_500 }, (_, k) => k + 1));
    expect(rows[1_234]?.payload).toBe('5'.repeat(2_000));
    const inputs = executeInputs();
    expect(inputs[0]?.transactionId).toBeUndefined();
    expect(inputs[1]).toMatchObject({
      sql: 'declare pw_cursor_1 scroll cursor for select * from "events" where "n" > :p1 order by "n"',
      parameters: [{ name: 'p1', value: { longValue: 0 } }],
      transactionId: 'tx-big',
    });
    // The first page was too big, the size adapted to the rows seen, and the transaction closed.
    expect(table.fetchSizes[0]).toBe(1_000);
    expect(Math.max(...table.fetchSizes.slice(1))).toBeLessThan(1_000);
    expect(rds.commandCalls(CommitTransactionCommand)).toHaveLength(1);
  });

  it('streams a large read page by page and closes its transaction', async () => {
    const table = cursorTable(1_050, 100);
    rds.on(BeginTransactionCommand).resolves({ transactionId: 'tx-stream', $metadata: {} });
    rds.on(CommitTransactionCommand).resolves({ transactionStatus: 'Transaction Committed', $metadata: {} });
    rds.on(ExecuteStatementCommand).callsFake(table.handle);
    const db = database();

    const seen: number[] = [];
    for await (const row of db.selectFrom('events').select('n').stream(500)) seen.push(row.n);

    expect(seen).toEqual(Array.from({ length: 1_050 }, (_, k) => k + 1));
    expect(table.fetchSizes).toEqual([500, 500, 500]);
    expect(rds.commandCalls(CommitTransactionCommand)).toHaveLength(1);
  });

  it('rolls the read transaction back when the reader stops early', async () => {
    const table = cursorTable(1_000, 10);
    rds.on(BeginTransactionCommand).resolves({ transactionId: 'tx-early', $metadata: {} });
    rds.on(RollbackTransactionCommand).resolves({ $metadata: {} });
    rds.on(ExecuteStatementCommand).callsFake(table.handle);
    const db = database();

    let count = 0;
    for await (const _row of db.selectFrom('events').select('n').stream(100)) {
      if (++count === 150) break;
    }

    expect(table.fetchSizes).toEqual([100, 100]);
    expect(rds.commandCalls(RollbackTransactionCommand)).toHaveLength(1);
    expect(rds.commandCalls(CommitTransactionCommand)).toHaveLength(0);
  });

  it('does not try a cursor for a data change refused for size', async () => {
    rds.on(ExecuteStatementCommand).rejects(tooLarge());
    const db = database();

    await expect(sql`delete from events returning *`.execute(db)).rejects.toThrow(/response size limit/);
    expect(rds.commandCalls(BeginTransactionCommand)).toHaveLength(0);
  });
});

describe('createDataApiDatabase', () => {
  it('builds a Kysely that talks to the given cluster, secret and database', async () => {
    rds
      .on(ExecuteStatementCommand)
      .resolves(output({ columnMetadata: [column('name', 'text')], records: [] }));
    const db = createDataApiDatabase({ ...target, client: new RDSDataClient({ region: 'eu-west-1' }) });

    const rows = await db.selectFrom('schema_migrations').select('name').execute();

    expect(rows).toEqual([]);
    expect(executeInputs()[0]).toMatchObject({ ...target, sql: 'select "name" from "schema_migrations"' });
  });
});
