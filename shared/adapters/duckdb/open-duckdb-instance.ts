import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface DuckDbInstanceOptions {
  threads: number;
  /** e.g. `1GB` or `768MB`; a Lambda shares its memory with Node, so leave room for it. */
  memoryLimit: string;
  /** Where DuckDB may spill to disk (a per-use temp directory). */
  tempDirectory?: string | undefined;
  /** Off where row order does not matter (conversion, profiling): it costs memory. */
  preserveInsertionOrder?: boolean;
  /**
   * The only directories whose files SQL may read or write (the temp directory is always allowed).
   * Default: the directory holding `tempDirectory` (callers keep their scratch files beside it),
   * or none at all.
   */
  allowedDirectories?: readonly string[] | undefined;
}

export interface OpenDuckDbInstance {
  connection: DuckDBConnection;
  /** Closes the connection, then the database. */
  close(): void;
}

/**
 * One in-memory DuckDB database with one connection, bounded threads and memory. Extensions are
 * never installed or loaded at run time: the layer ships only the built-in ones (parquet, json,
 * icu) and a function cannot download more, so objects are read from local files.
 *
 * Defence in depth: statements are built from quoted identifiers and bound values, but should one
 * ever carry a path, it still cannot reach outside the caller's scratch directories
 * (`/etc/passwd`, `/proc/self/environ`, another job's files): external access is off except for
 * `allowed_directories`, and the configuration is then locked so SQL cannot turn it back on.
 */
export async function openDuckDbInstance(options: DuckDbInstanceOptions): Promise<OpenDuckDbInstance> {
  const config: Record<string, string> = {
    threads: String(options.threads),
    memory_limit: options.memoryLimit,
    preserve_insertion_order: String(options.preserveInsertionOrder ?? true),
    enable_external_access: 'true',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  };
  if (options.tempDirectory) config['temp_directory'] = options.tempDirectory;
  const instance = await DuckDBInstance.create(':memory:', config);
  let connection: DuckDBConnection;
  try {
    connection = await instance.connect();
  } catch (error) {
    instance.closeSync();
    throw error;
  }
  try {
    await restrictFileAccess(connection, options);
  } catch (error) {
    connection.closeSync();
    instance.closeSync();
    throw error;
  }
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

async function restrictFileAccess(
  connection: DuckDBConnection,
  options: DuckDbInstanceOptions,
): Promise<void> {
  const directories =
    options.allowedDirectories ?? (options.tempDirectory ? [path.dirname(options.tempDirectory)] : []);
  // A trailing separator, so `/tmp/pw-node-a` does not also allow `/tmp/pw-node-ab`.
  const allowed = [...new Set(directories.map((dir) => path.resolve(dir) + path.sep))];
  const list = allowed.map((dir) => `'${dir.replaceAll("'", "''")}'`).join(', ');
  // Order matters: the list can only be set while external access is still on.
  await connection.run(`SET allowed_directories = [${list}]`);
  await connection.run('SET enable_external_access = false');
  await connection.run('SET lock_configuration = true');
}
