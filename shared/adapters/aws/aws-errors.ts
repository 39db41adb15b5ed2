import { DependencyUnavailableError } from '../../kernel/app-error';

/** Helpers shared by the AWS adapters to read SDK v3 errors without depending on their classes. */

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: { throttling?: unknown };
}

function shape(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
}

export function errorName(error: unknown): string {
  const e = shape(error);
  if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
  if (typeof e.Code === 'string') return e.Code;
  if (typeof e.code === 'string') return e.code;
  return typeof e.name === 'string' ? e.name : '';
}

export function httpStatus(error: unknown): number | undefined {
  const status = shape(error).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'SlowDown',
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'BandwidthLimitExceeded',
]);

export function isThrottling(error: unknown): boolean {
  return (
    THROTTLING.has(errorName(error)) ||
    shape(error).$retryable?.throttling === true ||
    httpStatus(error) === 429
  );
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'NetworkingError',
]);

export function isNetworkError(error: unknown): boolean {
  const e = shape(error);
  return (
    NETWORK_CODES.has(errorName(error)) ||
    (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) ||
    (error instanceof Error && /socket hang up|ECONNRESET|ECONNREFUSED|ETIMEDOUT/.test(error.message))
  );
}

export function isServerFault(error: unknown): boolean {
  const status = httpStatus(error);
  return (status !== undefined && status >= 500) || shape(error).$fault === 'server';
}

/** Throttling, 5xx or a network failure: the caller may retry later. */
export function isUnavailable(error: unknown): boolean {
  return isThrottling(error) || isServerFault(error) || isNetworkError(error);
}

export function isAccessDenied(error: unknown): boolean {
  const name = errorName(error);
  return (
    name === 'AccessDenied' ||
    name === 'AccessDeniedException' ||
    name === 'AllAccessDisabled' ||
    httpStatus(error) === 403
  );
}

/**
 * AWS refused our own credentials (an IAM policy, a bucket policy, a KMS key). It is a deployment
 * fault, not the caller's, so it is not an AppError: the HTTP edge answers 500 and logs this message.
 */
export class AwsAccessError extends Error {
  override name = 'AwsAccessError';
  constructor(
    readonly service: string,
    readonly operation: string,
    detail: string,
    cause: unknown,
  ) {
    super(
      `AWS denied ${service} ${operation} to this function's role: ${detail}. Check its IAM policy and the resource's policy.`,
      {
        cause,
      },
    );
  }
}

/** The generic part of every adapter's translation: throttling/5xx/network → 503, access → AwsAccessError. */
export function translateCommonAwsError(
  error: unknown,
  dependency: string,
  service: string,
  operation: string,
): Error {
  if (isUnavailable(error)) {
    return new DependencyUnavailableError(
      dependency,
      `${service} ${operation} failed: ${errorName(error) || 'error'}: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
  if (isAccessDenied(error)) return new AwsAccessError(service, operation, messageOf(error), error);
  return error instanceof Error ? error : new Error(`${service} ${operation} failed: ${String(error)}`);
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
