import type { Kysely, Transaction } from 'kysely';
import type { DB } from './schema';

/** The database port: a typed Kysely instance over `pg` locally or the RDS Data API in AWS. */
export type Database = Kysely<DB>;
export type DatabaseTransaction = Transaction<DB>;
