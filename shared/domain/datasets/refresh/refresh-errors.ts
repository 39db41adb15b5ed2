import { ValidationError } from '../../../kernel/app-error';
import type { AppErrorOptions } from '../../../kernel/app-error';

/**
 * Why a refresh did not store anything, when the owner can do something about it (fix the URL,
 * allow the host, shrink the file, free storage). Only these reach `refresh.lastRefreshError`
 * word for word; any other failure is stored as REFRESH_INTERNAL_MESSAGE and logged in full.
 */
export type RefreshRefusalCode =
  | 'REFRESH.INVALID_SOURCE'
  | 'REFRESH.UNSAFE_URL'
  | 'REFRESH.SOURCE_UNREACHABLE'
  | 'REFRESH.SOURCE_HTTP_STATUS'
  | 'REFRESH.SOURCE_TOO_LARGE'
  | 'REFRESH.SOURCE_NOT_FOUND'
  | 'REFRESH.UNSUPPORTED_FILE'
  | 'LIMIT.FILE_SIZE'
  | 'LIMIT.STORAGE';

export class RefreshRefusedError extends ValidationError {
  constructor(code: RefreshRefusalCode, message: string, options: AppErrorOptions = {}) {
    super(message, { field: 'refresh.sourceUrl', ...options, code });
  }
}

export const REFRESH_INTERNAL_MESSAGE =
  'The refresh failed on our side; it is tried again at the next refresh.';
