import { AppError, type AppErrorOptions } from '../kernel/app-error';
import type { HttpMethod } from './route';

/** 405: the path exists, the method does not. Carries the methods for the `Allow` header. */
export class MethodNotAllowedError extends AppError {
  readonly status = 405;
  readonly allow: HttpMethod[];
  constructor(method: string, allow: HttpMethod[], options: AppErrorOptions = {}) {
    super('REQUEST.METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${allow.join(', ')}.`, {
      ...options,
      details: { allow },
    });
    this.allow = allow;
  }
  override get title() {
    return 'Method not allowed';
  }
}
