import type { Env } from '../../shared/config/config';
import type { DataApiTarget } from './constructs/access';

/**
 * Lambda environment variables, restricted to the names `shared/config/config.ts` reads, so a
 * typo or a variable the code does not know fails the typecheck instead of being ignored at
 * runtime.
 */
export type ConfigVariable = Extract<keyof Env, string>;

/**
 * Stripe's keys live in Secrets Manager (billing stack); the functions behind the billing routes
 * receive the secret's ARN under this name.
 */
export const STRIPE_SECRET_VARIABLE = 'PW_STRIPE_SECRET_ARN';

export type FunctionEnvironment = Partial<Record<ConfigVariable | typeof STRIPE_SECRET_VARIABLE, string>>;

/** Merge environment fragments; later fragments win. */
export function environment(...parts: FunctionEnvironment[]): FunctionEnvironment {
  return Object.assign({}, ...parts) as FunctionEnvironment;
}

/** How a function reaches the database: the Data API, with the cluster, its secret and the database name. */
export function dataApiEnvironment(database: DataApiTarget & { name: string }): FunctionEnvironment {
  return {
    PW_DB_DRIVER: 'data-api',
    PW_DB_CLUSTER_ARN: database.clusterArn,
    PW_DB_SECRET_ARN: database.secretArn,
    PW_DB_NAME: database.name,
  };
}
