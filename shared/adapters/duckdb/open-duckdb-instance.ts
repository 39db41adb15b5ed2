import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface DuckDbInstanceOptions {
  threads: number;
  /** e.g. `1GB` or `768MB`; a Lambda shares its memory with Node, so leave room for it. */
  memoryLimit: string;
  /** Where DuckDB may spill to disk (a per-use temp directory). */
  tempDirectory?: string | undefined;
  /** Off where row order does not matter (conversion, profiling): it costs memory. */
  preserveInsertionOrder?: boolean;
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
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
