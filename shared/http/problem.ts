import * as z from 'zod';
import { ZodError } from 'zod';
import { isDatabaseError, isDataException, SqlState } from '../db/database-error';
import { isAppError, type ProblemIssue } from '../kernel/app-error';
import { MethodNotAllowedError } from './http-errors';
import { allowHeader } from './route';

/**
 * RFC 9457 problem details: the only shape error responses take.
 *
 * `type` is `urn:pipeweave:problem:` followed by the error's stable code, lower-cased, with
 * `_` turned into `-`: `REQUEST.INVALID` → `urn:pipeweave:problem:request.invalid`,
 * `DATASET.NOT_FOUND` → `urn:pipeweave:problem:dataset.not-found`. A URN, not a URL: clients
 * compare it as an identifier and nothing tries to fetch it. `code` carries the original code.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_TYPE_PREFIX = 'urn:pipeweave:problem:';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** The request path. */
  instance: string;
  code: string;
  field?: string;
  errors?: ProblemIssue[];
  /** Extra facts for the client (e.g. the balance on a 402); never set on 5xx. */
  details?: Record<string, unknown>;
  requestId: string;
}

export interface ProblemResponse {
  problem: Problem;
  headers: Record<string, string>;
  /** True when the error is ours (5xx) and the real cause must go to the log. */
  internal: boolean;
}

export function problemType(code: string): string {
  return PROBLEM_TYPE_PREFIX + code.toLowerCase().replace(/_/g, '-');
}

export interface ProblemContext {
  instance: string;
  requestId: string;
}

/** Maps any thrown value to the problem a client may see. Nothing else decides error responses. */
export function toProblem(error: unknown, context: ProblemContext): ProblemResponse {
  if (isAppError(error)) {
    const internal = error.status >= 500;
    const headers: Record<string, string> = {};
    const retryAfter = retryAfterSeconds(error.details);
    // 409 too: a request with the same Idempotency-Key still in progress says when to come back.
    if ((error.status === 409 || error.status === 429 || error.status === 503) && retryAfter !== undefined) {
      headers['retry-after'] = String(retryAfter);
    }
    if (error.status === 401) headers['www-authenticate'] = 'Bearer realm="pipeweave"';
    if (error instanceof MethodNotAllowedError) headers['allow'] = allowHeader(error.allow);
    const details = internal ? undefined : publicDetails(error.details);
    return {
      internal,
      headers,
      problem: {
        type: problemType(error.code),
        title: error.title,
        status: error.status,
        detail: internal && !error.exposeDetail ? temporaryDetail(context.requestId) : error.message,
        instance: context.instance,
        code: error.code,
        ...(!internal && error.field ? { field: error.field } : {}),
        ...(!internal && error.issues.length > 0 ? { errors: error.issues } : {}),
        ...(details ? { details } : {}),
        requestId: context.requestId,
      },
    };
  }

  if (error instanceof ZodError) {
    const errors = zodIssues(error);
    return {
      internal: false,
      headers: {},
      problem: {
        type: problemType('REQUEST.INVALID'),
        title: 'Your request is not valid',
        status: 400,
        detail: describeIssues(errors),
        instance: context.instance,
        code: 'REQUEST.INVALID',
        ...(errors[0] ? { field: errors[0].field } : {}),
        errors,
        requestId: context.requestId,
      },
    };
  }

  if (isDatabaseError(error, SqlState.uniqueViolation)) {
    // The constraint and the SQL stay in the log; the client learns only that it is a duplicate.
    return {
      internal: false,
      headers: {},
      problem: {
        type: problemType('RESOURCE.ALREADY_EXISTS'),
        title: 'Conflict',
        status: 409,
        detail: 'A resource with the same unique values already exists.',
        instance: context.instance,
        code: 'RESOURCE.ALREADY_EXISTS',
        requestId: context.requestId,
      },
    };
  }

  if (isDataException(error)) {
    // A value from the request reached SQL and PostgreSQL could not use it (validation should have
    // caught it): the client's input, so a 400; the SQL and the value stay in the log.
    return {
      internal: false,
      headers: {},
      problem: {
        type: problemType('REQUEST.INVALID_VALUE'),
        title: 'Your request is not valid',
        status: 400,
        detail: 'A value in the request cannot be used (wrong format or out of range).',
        instance: context.instance,
        code: 'REQUEST.INVALID_VALUE',
        requestId: context.requestId,
      },
    };
  }

  if (
    isDatabaseError(error, SqlState.serializationFailure) ||
    isDatabaseError(error, SqlState.deadlockDetected)
  ) {
    // Lost a race with a concurrent transaction: retrying the same request is expected to work.
    return {
      internal: true,
      headers: { 'retry-after': '1' },
      problem: {
        type: problemType('DEPENDENCY.DATABASE_BUSY'),
        title: 'Service temporarily unavailable',
        status: 503,
        detail: temporaryDetail(context.requestId),
        instance: context.instance,
        code: 'DEPENDENCY.DATABASE_BUSY',
        requestId: context.requestId,
      },
    };
  }

  return {
    internal: true,
    headers: {},
    problem: {
      type: problemType('INTERNAL.ERROR'),
      title: 'Internal error',
      status: 500,
      detail: `Something went wrong on our side. If it persists, report request id ${context.requestId}.`,
      instance: context.instance,
      code: 'INTERNAL.ERROR',
      requestId: context.requestId,
    },
  };
}

/** Zod issues as `{ field, message }`; an unknown key yields one entry per key, named like the others. */
export function zodIssues(error: ZodError, prefix?: string): ProblemIssue[] {
  const out: ProblemIssue[] = [];
  for (const issue of error.issues) {
    const base = [prefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ field: base ? `${base}.${key}` : key, message: 'This field is not allowed.' });
      }
    } else {
      out.push({ field: base || (prefix ?? 'request'), message: issue.message });
    }
  }
  return out;
}

export function describeIssues(issues: ProblemIssue[]): string {
  if (issues.length === 0) return 'The request is not valid.';
  const shown = issues.slice(0, 3).map((i) => `${i.field}: ${i.message}`);
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return `${shown.join('; ')}${more}`;
}

function temporaryDetail(requestId: string): string {
  return `The service cannot complete this request right now. Retry later; if it persists, report request id ${requestId}.`;
}

function retryAfterSeconds(details: Record<string, unknown> | undefined): number | undefined {
  const value = details?.['retryAfterSeconds'];
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.ceil(value) : undefined;
}

function publicDetails(details: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!details) return undefined;
  const entries = Object.entries(details).filter(([, v]) => v !== undefined);
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/** The problem document as a schema: the OpenAPI `Problem` component, and what tests parse. */
export const problemSchema = z
  .object({
    type: z.string().describe('Stable identifier of the problem: urn:pipeweave:problem:{code}'),
    title: z.string().describe('Short summary, the same for every occurrence of the type'),
    status: z.number().int().min(400).max(599),
    detail: z.string().describe('What went wrong in this occurrence and what to do about it'),
    instance: z.string().describe('The request path'),
    code: z.string().describe('Stable error code, e.g. REQUEST.INVALID'),
    field: z.string().optional().describe('The first offending input, e.g. body.name'),
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe('Every offending input'),
    details: z.record(z.string(), z.unknown()).optional(),
    requestId: z.string().describe('Quote it when reporting a problem'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });
