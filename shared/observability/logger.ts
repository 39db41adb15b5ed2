import { Logger } from '@aws-lambda-powertools/logger';
import type { Config } from '../config/config';

export type { Logger };

/** One structured JSON logger per process; children add context (request id, job id, …). */
export function createLogger(config: Pick<Config, 'serviceName' | 'logLevel'>, component?: string): Logger {
  return new Logger({
    serviceName: config.serviceName,
    logLevel: config.logLevel,
    ...(component ? { persistentKeys: { component } } : {}),
  });
}
