/**
 * One error hierarchy for the whole product. Domain code throws these; only the HTTP error
 * middleware turns them into RFC 9457 problem+json. `code` is stable (clients may switch on it),
 * `status` is the HTTP status it maps to, `field` names the offending input when there is one.
 */
export interface ProblemIssue {
  /** JSON-pointer-ish path of the offending input, e.g. `body.name` or `query.limit`. */
  field: string;
  message: string;
}

export interface AppErrorOptions {
  field?: string;
  issues?: ProblemIssue[];
  details?: Record<string, unknown>;
  cause?: unknown;
  /**
   * Show the message to clients even for a 5xx. Only for messages written for the client, such as
   * "billing is not configured: set …", never for anything carrying internals.
   */
  exposeDetail?: boolean;
}

export abstract class AppError extends Error {
  abstract readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly issues: ProblemIssue[];
  readonly details: Record<string, unknown> | undefined;
  readonly exposeDetail: boolean;

  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.field = options.field ?? options.issues?.[0]?.field;
    this.issues = options.issues ?? (options.field ? [{ field: options.field, message }] : []);
    this.details = options.details;
    this.exposeDetail = options.exposeDetail ?? false;
  }

  /** Short human title for the problem type; stable per class. */
  get title(): string {
    return 'Error';
  }
}

/** 400: the request is malformed or fails validation. */
export class ValidationError extends AppError {
  readonly status = 400;
  constructor(message: string, options: AppErrorOptions & { code?: string } = {}) {
    super(options.code ?? 'REQUEST.INVALID', message, options);
  }
  override get title() {
    return 'Your request is not valid';
  }
}

/** 401: no or bad credentials. */
export class UnauthorizedError extends AppError {
  readonly status = 401;
  constructor(message = 'Authentication is required.', options: AppErrorOptions & { code?: string } = {}) {
    super(options.code ?? 'AUTH.UNAUTHORIZED', message, options);
  }
  override get title() {
    return 'Authentication required';
  }
}

/** 403: authenticated, but not allowed (never used to hide another tenant's resources: that is 404). */
export class ForbiddenError extends AppError {
  readonly status = 403;
  constructor(
    message = 'You are not allowed to do this.',
    options: AppErrorOptions & { code?: string } = {},
  ) {
    super(options.code ?? 'AUTH.FORBIDDEN', message, options);
  }
  override get title() {
    return 'Forbidden';
  }
}

/** 404: the resource does not exist, or belongs to someone else. */
export class NotFoundError extends AppError {
  readonly status = 404;
  constructor(resource: string, id?: string, options: AppErrorOptions & { code?: string } = {}) {
    super(
      options.code ?? `${resource.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}.NOT_FOUND`,
      id ? `${resource} ${id} was not found.` : `${resource} was not found.`,
      options,
    );
  }
  override get title() {
    return 'Not found';
  }
}

/** 409: the request conflicts with the current state (duplicate name, wrong status, …). */
export class ConflictError extends AppError {
  readonly status = 409;
  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(code, message, options);
  }
  override get title() {
    return 'Conflict';
  }
}

/** 402: not enough credits. */
export class PaymentRequiredError extends AppError {
  readonly status = 402;
  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(code, message, options);
  }
  override get title() {
    return 'Payment required';
  }
}

/** 413: a body or a file larger than allowed. */
export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(code, message, options);
  }
  override get title() {
    return 'Too large';
  }
}

/** 415: unsupported media type. */
export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(code, message, options);
  }
  override get title() {
    return 'Unsupported media type';
  }
}

/** 429: slow down. */
export class TooManyRequestsError extends AppError {
  readonly status = 429;
  constructor(code: string, message: string, options: AppErrorOptions & { retryAfterSeconds?: number } = {}) {
    super(code, message, {
      ...options,
      details: { ...options.details, retryAfterSeconds: options.retryAfterSeconds },
    });
  }
  override get title() {
    return 'Too many requests';
  }
}

/**
 * 503: a dependency (database, object store, queue) is unavailable or throttling. Adapters
 * translate SDK errors into this so callers can retry without knowing the SDK. The message is
 * never shown to clients (5xx never leak internals).
 */
export class DependencyUnavailableError extends AppError {
  readonly status = 503;
  readonly retryable = true;
  constructor(dependency: string, message: string, options: AppErrorOptions = {}) {
    super(`DEPENDENCY.${dependency.toUpperCase()}_UNAVAILABLE`, message, options);
  }
  override get title() {
    return 'Service temporarily unavailable';
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
