import { isDataException } from '../../db/database-error';
import { loadConfig } from '../../config/config';
import { createLogger, type Logger } from '../../observability/logger';
import { stringifyJson } from '../json';
import { PROBLEM_CONTENT_TYPE, toProblem } from '../problem';
import { maybeStateOf, type HttpMiddleware } from './http-state';

let fallback: Logger | undefined;

/** Used only when the services themselves failed to start, so the failure is still logged. */
function fallbackLogger(): Logger {
  if (!fallback) {
    let logLevel: Parameters<typeof createLogger>[0]['logLevel'] = 'ERROR';
    let serviceName = 'pipeweave';
    try {
      ({ logLevel, serviceName } = loadConfig());
    } catch {
      // The configuration may be what failed; log at ERROR with defaults then.
    }
    fallback = createLogger({ serviceName, logLevel }, 'http');
  }
  return fallback;
}

/**
 * The one place error responses are written: any error becomes RFC 9457 problem+json. Client
 * errors (4xx) explain themselves; server errors say nothing about their cause and carry the
 * request id, while the real error goes to the log.
 */
export function problemErrors(): HttpMiddleware {
  return {
    onError: (request) => {
      const state = maybeStateOf(request.event);
      const requestId = state?.requestId || request.event.requestContext?.requestId || 'unknown';
      const { problem, headers, internal } = toProblem(request.error, {
        instance: request.event.rawPath ?? '/',
        requestId,
      });
      const logger = state?.services?.logger ?? fallbackLogger();
      if (internal) {
        logger.error('request failed', {
          error: request.error,
          requestId,
          status: problem.status,
          path: request.event.rawPath,
        });
      } else if (isDataException(request.error)) {
        // Answered as the client's 400, but a value got past validation into SQL: worth a look.
        logger.warn('a request value reached SQL unvalidated', {
          error: request.error,
          requestId,
          path: request.event.rawPath,
        });
      }
      request.response = {
        statusCode: problem.status,
        headers: { ...headers, 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' },
        body: stringifyJson(problem),
      };
    },
  };
}
