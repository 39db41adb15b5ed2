import { DatabaseError } from '../../../db/database-error';
import { DependencyUnavailableError } from '../../../kernel/app-error';
import { AwsAccessError, errorName, isNetworkError, isThrottling } from '../aws-errors';

/**
 * Data API failures → DatabaseError (the statement failed in PostgreSQL) or
 * DependencyUnavailableError (the service or the cluster could not answer).
 */

/** Thrown by the service while a paused Aurora Serverless v2 cluster wakes up (up to ~30 s). */
const RESUMING = 'DatabaseResumingException';

/** Errors that mean "the statement never ran or the service could not answer: try again". */
const TRANSIENT = new Set([
  RESUMING,
  'DatabaseUnavailableException',
  'ServiceUnavailableError',
  'ServiceUnavailableException',
  'InternalServerErrorException',
  'ThrottlingException',
  'TooManyRequestsException',
]);

export function isTransientDataApiError(error: unknown): boolean {
  return TRANSIENT.has(errorName(error)) || isThrottling(error) || isNetworkError(error);
}

export function isResumingError(error: unknown): boolean {
  return errorName(error) === RESUMING;
}

/** The Data API refuses result sets whose response would exceed 1 MiB. */
export function isResponseTooLarge(error: unknown): boolean {
  return error instanceof Error && /response size limit|response size exceed/i.test(error.message);
}

export interface ParsedPostgresError {
  message: string;
  sqlState: string | undefined;
  constraint: string | undefined;
  detail: string | undefined;
}

/**
 * Parses the text the Data API puts in `DatabaseErrorException` (and, for older clusters, in
 * `BadRequestException`), e.g.
 * `ERROR: duplicate key value violates unique constraint "users_email_key"\n  Detail: Key (email)=(a@b.c) already exists.; SQLState: 23505`.
 */
export function parsePostgresErrorMessage(text: string): ParsedPostgresError {
  const sqlState = /SQLState:\s*([0-9A-Z]{5})/.exec(text)?.[1];
  const withoutState = text.replace(/;?\s*SQLState:\s*[0-9A-Z]{5}\s*$/, '');
  const lines = withoutState.split('\n');
  const message = (lines[0] ?? '').replace(/^\s*(ERROR|FATAL|PANIC):\s*/, '').trim();
  let detail: string | undefined;
  let constraint: string | undefined;
  for (const line of lines.slice(1)) {
    const m = /^\s*(Detail|Hint|Where|Position|Constraint):\s*(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'Detail') detail = m[2]?.trim();
    if (m[1] === 'Constraint') constraint = m[2]?.trim();
  }
  constraint ??= /constraint "([^"]+)"/.exec(lines[0] ?? '')?.[1];
  return { message, sqlState, constraint, detail };
}

function looksLikePostgresError(error: Error): boolean {
  return /SQLState:\s*[0-9A-Z]{5}/.test(error.message) || /^\s*(ERROR|FATAL):/.test(error.message);
}

/** Translates a failure of one Data API call. `attempts` is how many times it was tried. */
export function translateDataApiError(error: unknown, operation: string, attempts = 1): Error {
  if (error instanceof DatabaseError || error instanceof DependencyUnavailableError) return error;
  const name = errorName(error);
  if (
    error instanceof Error &&
    (name === 'DatabaseErrorException' || name === 'BadRequestException') &&
    looksLikePostgresError(error)
  ) {
    const parsed = parsePostgresErrorMessage(error.message);
    return new DatabaseError(parsed.message, parsed.sqlState, parsed.constraint, parsed.detail, {
      cause: error,
    });
  }
  if (name === 'StatementTimeoutException') {
    // What PostgreSQL reports for a statement cancelled by statement_timeout.
    return new DatabaseError(
      'The statement ran longer than the Data API allows (45 s) and was cancelled.',
      '57014',
      undefined,
      undefined,
      {
        cause: error,
      },
    );
  }
  if (name === 'TransactionNotFoundException') {
    // The transaction ended (idle for 3 min, or already finished): the work in it was rolled back.
    return new DatabaseError(
      `The database transaction is gone: ${messageOf(error)}`,
      '25P01',
      undefined,
      undefined,
      { cause: error },
    );
  }
  if (isTransientDataApiError(error)) {
    const waking = isResumingError(error) ? ' (the Aurora cluster was resuming)' : '';
    return new DependencyUnavailableError(
      'database',
      `${operation} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}${waking}: ${messageOf(error)}`,
      { cause: error },
    );
  }
  if (
    [
      'AccessDeniedException',
      'ForbiddenException',
      'InvalidSecretException',
      'SecretsErrorException',
    ].includes(name)
  ) {
    return new AwsAccessError('rds-data', operation, messageOf(error), error);
  }
  if (
    [
      'HttpEndpointNotEnabledException',
      'DatabaseNotFoundException',
      'InvalidResourceStateException',
    ].includes(name)
  ) {
    return new DependencyUnavailableError('database', `${operation}: ${name}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  return error instanceof Error ? error : new Error(`${operation} failed: ${String(error)}`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
