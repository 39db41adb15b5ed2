import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The ordered SQL migrations of the schema. The `.sql` files beside this module are the source of
 * truth; they are read from disk at run time, never copied into TypeScript.
 *
 * Where they are looked for, in order:
 *  1. the directory given to `loadMigrations(directory)`;
 *  2. the directory of this module (running from source: tsx, vitest);
 *  3. `migrations/` beside the bundle (a bundled Lambda: esbuild folds this module into
 *     `index.mjs`, so the bundling step copies `shared/db/migrations/*.sql` to
 *     `<bundle dir>/migrations/`, e.g. with a NodejsFunction `commandHooks.afterBundling`);
 *  4. `migrations/` and `shared/db/migrations/` under the working directory (CommonJS bundles,
 *     where `import.meta.url` is not available; Lambda's working directory is the bundle dir).
 */
export interface Migration {
  /** File name, e.g. `0001_identity.sql`; migrations run in name order. */
  name: string;
  sql: string;
  /** Lower-case hex SHA-256 of the SQL (line endings normalised to LF). */
  checksum: string;
}

export const MIGRATION_FILE_PATTERN = /^\d{4}_[a-z0-9_]+\.sql$/;

export class MigrationsNotFoundError extends Error {
  override name = 'MigrationsNotFoundError';
}

export function createMigration(name: string, sqlText: string): Migration {
  if (!MIGRATION_FILE_PATTERN.test(name)) {
    throw new Error(`Migration name "${name}" must look like 0001_some_name.sql`);
  }
  const normalised = sqlText.replace(/\r\n/g, '\n');
  return { name, sql: normalised, checksum: createHash('sha256').update(normalised, 'utf8').digest('hex') };
}

export function migrationDirectoryCandidates(): string[] {
  const candidates: string[] = [];
  const moduleUrl: unknown = import.meta.url;
  if (typeof moduleUrl === 'string' && moduleUrl.startsWith('file:')) {
    const here = dirname(fileURLToPath(moduleUrl));
    candidates.push(here, join(here, 'migrations'));
  }
  candidates.push(resolve('migrations'), resolve('shared/db/migrations'));
  return candidates;
}

export function loadMigrations(directory?: string): Migration[] {
  const candidates = directory ? [resolve(directory)] : migrationDirectoryCandidates();
  for (const dir of candidates) {
    if (!existsSync(dir)) continue;
    const files = readdirSync(dir)
      .filter((file) => MIGRATION_FILE_PATTERN.test(file))
      .sort();
    if (files.length === 0) continue;
    return files.map((file) => createMigration(file, readFileSync(join(dir, file), 'utf8')));
  }
  throw new MigrationsNotFoundError(
    `No migration files (0001_name.sql) found; looked in: ${candidates.join(', ')}. ` +
      'A bundled function needs shared/db/migrations/*.sql copied to migrations/ beside its bundle.',
  );
}
