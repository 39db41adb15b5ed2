export { createDataApiDatabase, type DataApiDatabaseOptions } from './data-api-database';
export { DataApiDialect } from './data-api-dialect';
export {
  DataApiExecutor,
  defaultRetryPolicy,
  type DataApiTarget,
  type RetryPolicy,
} from './data-api-executor';
