import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { createMigration, loadMigrations, MIGRATION_FILE_PATTERN } from './migrations/index';
import type { Migration } from './migrations/index';

export { createMigration, loadMigrations };
export type { Migration };

/**
 * Applies the SQL migrations in name order, the same way locally (pg) and on deploy (the RDS Data
 * API, where every call is one statement and DDL may commit on its own).
 *
 * Each migration therefore runs as ONE statement:
 *
 *   DO $tagA$ BEGIN
 *     PERFORM pg_advisory_xact_lock(<runner lock>);          -- concurrent runners queue here
 *     IF <already recorded> THEN <check checksum>; RETURN; END IF;   -- the second runner skips
 *     EXECUTE $tagB$ <the migration's SQL, any number of statements> $tagB$;
 *     INSERT INTO schema_migrations (name, checksum, applied_by, …);
 *   END $tagA$
 *
 * PostgreSQL runs a statement atomically, so a failure anywhere (a syntax error in the third
 * statement of the file, say) rolls back everything the migration did and leaves it unrecorded.
 * The dollar-quote tags are chosen so they do not occur in the SQL. A migration cannot contain
 * statements that refuse to run inside a transaction block (CREATE INDEX CONCURRENTLY, VACUUM,
 * CREATE DATABASE) or transaction control (COMMIT).
 */
export interface RunMigrationsOptions {
  /** Defaults to `loadMigrations()`: the SQL files of shared/db/migrations. */
  migrations?: Migration[];
  logger?: (message: string) => void;
}

export interface RunMigrationsResult {
  /** Names applied by this call. */
  applied: string[];
  /** Names already applied (before this call, or by a concurrent runner during it). */
  skipped: string[];
}

export class MigrationError extends Error {
  override name = 'MigrationError';
  constructor(
    message: string,
    readonly migration: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// One lock for every runner of this schema (a 64-bit key derived from a fixed string in SQL).
const RUNNER_LOCK = `hashtextextended('pipeweave:schema_migrations', 0)`;

const BOOTSTRAP = `DO $pw_bootstrap$
BEGIN
  PERFORM pg_advisory_xact_lock(${RUNNER_LOCK});
  CREATE TABLE IF NOT EXISTS schema_migrations (
    name         text PRIMARY KEY,
    checksum     text NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT now(),
    execution_ms integer,
    applied_by   text
  );
END
$pw_bootstrap$`;

export async function runMigrations<DB>(
  db: Kysely<DB>,
  options: RunMigrationsOptions = {},
): Promise<RunMigrationsResult> {
  const log = options.logger ?? (() => undefined);
  const migrations = [...(options.migrations ?? loadMigrations())].sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  assertDistinctNames(migrations);
  const runId = randomUUID();

  await sql.raw(BOOTSTRAP).execute(db);
  const recordedRows = await sql<{
    name: string;
    checksum: string;
  }>`SELECT name, checksum FROM schema_migrations`.execute(db);
  const recorded = new Map(recordedRows.rows.map((row) => [row.name, row.checksum]));

  // Refuse before changing anything when an applied file was edited.
  for (const migration of migrations) {
    const checksum = recorded.get(migration.name);
    if (checksum !== undefined && checksum !== migration.checksum) throw checksumError(migration.name);
  }
  const known = new Set(migrations.map((m) => m.name));
  for (const name of recorded.keys()) {
    if (!known.has(name))
      log(`schema_migrations records ${name}, which this code does not have (a newer version applied it?)`);
  }

  const applied: string[] = [];
  const skipped: string[] = [];
  for (const migration of migrations) {
    if (recorded.has(migration.name)) {
      skipped.push(migration.name);
      continue;
    }
    const started = Date.now();
    try {
      await sql.raw(applyStatement(migration, runId)).execute(db);
    } catch (error) {
      if (error instanceof Error && /was changed after it was applied/.test(error.message)) {
        throw checksumError(migration.name, error);
      }
      throw new MigrationError(
        `Migration ${migration.name} failed and was rolled back: ${error instanceof Error ? error.message : String(error)}`,
        migration.name,
        { cause: error },
      );
    }
    const outcome = await sql<{ applied_by: string | null }>`
      SELECT applied_by FROM schema_migrations WHERE name = ${migration.name}`.execute(db);
    if (outcome.rows[0]?.applied_by === runId) {
      applied.push(migration.name);
      log(`applied ${migration.name} (${Date.now() - started} ms)`);
    } else {
      skipped.push(migration.name);
      log(`${migration.name} was applied by a concurrent runner`);
    }
  }
  return { applied, skipped };
}

function applyStatement(migration: Migration, runId: string): string {
  if (!MIGRATION_FILE_PATTERN.test(migration.name) || !/^[0-9a-f]{64}$/.test(migration.checksum)) {
    throw new MigrationError(`Migration ${migration.name} has an invalid name or checksum`, migration.name);
  }
  const outer = dollarTag('pw_migration', migration.sql);
  const inner = dollarTag('pw_sql', migration.sql + outer);
  // name, checksum and runId are validated above (no quotes possible); the SQL sits in a dollar quote.
  return `DO ${outer}
DECLARE
  started timestamptz := clock_timestamp();
BEGIN
  PERFORM pg_advisory_xact_lock(${RUNNER_LOCK});
  IF EXISTS (SELECT 1 FROM schema_migrations WHERE name = '${migration.name}') THEN
    IF EXISTS (SELECT 1 FROM schema_migrations WHERE name = '${migration.name}' AND checksum <> '${migration.checksum}') THEN
      RAISE EXCEPTION 'migration ${migration.name} was changed after it was applied';
    END IF;
    RETURN;
  END IF;
  EXECUTE ${inner}
${migration.sql}
${inner};
  INSERT INTO schema_migrations (name, checksum, execution_ms, applied_by)
  VALUES ('${migration.name}', '${migration.checksum}',
          (extract(epoch FROM clock_timestamp() - started) * 1000)::integer, '${runId}');
END
${outer}`;
}

/** A dollar-quote tag that does not occur in `text`. */
function dollarTag(base: string, text: string): string {
  for (let i = 0; ; i += 1) {
    const tag = `$${base}${i === 0 ? '' : `_${i}`}$`;
    if (!text.includes(tag)) return tag;
  }
}

function assertDistinctNames(migrations: Migration[]): void {
  const seen = new Set<string>();
  for (const migration of migrations) {
    if (seen.has(migration.name))
      throw new MigrationError(`Migration ${migration.name} is listed twice`, migration.name);
    seen.add(migration.name);
  }
}

function checksumError(name: string, cause?: unknown): MigrationError {
  return new MigrationError(
    `Migration ${name} was changed after it was applied (its checksum differs from schema_migrations). ` +
      'Applied migrations are immutable: restore the file and put the change in a new migration.',
    name,
    cause === undefined ? undefined : { cause },
  );
}
