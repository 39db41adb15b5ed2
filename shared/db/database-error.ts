/**
 * Database failures in driver-neutral form. The `pg` adapter and the Data API adapter both throw
 * `DatabaseError` with the PostgreSQL SQLSTATE, so repositories map constraint violations the same
 * way whichever driver runs underneath.
 */
export const SqlState = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  notNullViolation: '23502',
  raiseException: 'P0001',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  insufficientPrivilege: '42501',
} as const;

/** SQLSTATE class 22, data exceptions: a value the statement could not use (bad timestamp, out of range…). */
export function isDataException(error: unknown): error is DatabaseError {
  return error instanceof DatabaseError && error.sqlState?.startsWith('22') === true;
}

export class DatabaseError extends Error {
  override name = 'DatabaseError';
  constructor(
    message: string,
    readonly sqlState: string | undefined,
    readonly constraint?: string,
    readonly detail?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  is(state: (typeof SqlState)[keyof typeof SqlState]): boolean {
    return this.sqlState === state;
  }
}

export function isDatabaseError(
  error: unknown,
  state?: (typeof SqlState)[keyof typeof SqlState],
): error is DatabaseError {
  return error instanceof DatabaseError && (state === undefined || error.sqlState === state);
}
