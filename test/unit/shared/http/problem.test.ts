import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DatabaseError, SqlState } from '../../../../shared/db/database-error';
import {
  ConflictError,
  DependencyUnavailableError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  PaymentRequiredError,
  TooManyRequestsError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../../../shared/kernel/app-error';
import { MethodNotAllowedError } from '../../../../shared/http/http-errors';
import { problemSchema, toProblem } from '../../../../shared/http/problem';

const context = { instance: '/datasets/42', requestId: 'req-123' };

describe('toProblem maps every error class to its problem', () => {
  const cases: {
    error: Error;
    status: number;
    type: string;
    title: string;
    code: string;
    detailShown: boolean;
  }[] = [
    {
      error: new ValidationError('name is required', { field: 'body.name' }),
      status: 400,
      type: 'urn:pipeweave:problem:request.invalid',
      title: 'Your request is not valid',
      code: 'REQUEST.INVALID',
      detailShown: true,
    },
    {
      error: new UnauthorizedError(),
      status: 401,
      type: 'urn:pipeweave:problem:auth.unauthorized',
      title: 'Authentication required',
      code: 'AUTH.UNAUTHORIZED',
      detailShown: true,
    },
    {
      error: new PaymentRequiredError('CREDITS.INSUFFICIENT', 'You need 12 more credits.'),
      status: 402,
      type: 'urn:pipeweave:problem:credits.insufficient',
      title: 'Payment required',
      code: 'CREDITS.INSUFFICIENT',
      detailShown: true,
    },
    {
      error: new ForbiddenError(),
      status: 403,
      type: 'urn:pipeweave:problem:auth.forbidden',
      title: 'Forbidden',
      code: 'AUTH.FORBIDDEN',
      detailShown: true,
    },
    {
      error: new NotFoundError('Dataset', '42'),
      status: 404,
      type: 'urn:pipeweave:problem:dataset.not-found',
      title: 'Not found',
      code: 'DATASET.NOT_FOUND',
      detailShown: true,
    },
    {
      error: new MethodNotAllowedError('DELETE', ['GET']),
      status: 405,
      type: 'urn:pipeweave:problem:request.method-not-allowed',
      title: 'Method not allowed',
      code: 'REQUEST.METHOD_NOT_ALLOWED',
      detailShown: true,
    },
    {
      error: new ConflictError('DATASET.NAME_TAKEN', 'You already have a dataset named iris.'),
      status: 409,
      type: 'urn:pipeweave:problem:dataset.name-taken',
      title: 'Conflict',
      code: 'DATASET.NAME_TAKEN',
      detailShown: true,
    },
    {
      error: new PayloadTooLargeError('UPLOAD.TOO_LARGE', 'Files are limited to 5 GB.'),
      status: 413,
      type: 'urn:pipeweave:problem:upload.too-large',
      title: 'Too large',
      code: 'UPLOAD.TOO_LARGE',
      detailShown: true,
    },
    {
      error: new UnsupportedMediaTypeError('REQUEST.UNSUPPORTED_MEDIA_TYPE', 'Send JSON.'),
      status: 415,
      type: 'urn:pipeweave:problem:request.unsupported-media-type',
      title: 'Unsupported media type',
      code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
      detailShown: true,
    },
    {
      error: new TooManyRequestsError('AUTH.TOO_MANY_ATTEMPTS', 'Too many sign-in attempts.', {
        retryAfterSeconds: 30,
      }),
      status: 429,
      type: 'urn:pipeweave:problem:auth.too-many-attempts',
      title: 'Too many requests',
      code: 'AUTH.TOO_MANY_ATTEMPTS',
      detailShown: true,
    },
    {
      error: new DependencyUnavailableError('database', 'Aurora is resuming at arn:aws:rds:secret-cluster'),
      status: 503,
      type: 'urn:pipeweave:problem:dependency.database-unavailable',
      title: 'Service temporarily unavailable',
      code: 'DEPENDENCY.DATABASE_UNAVAILABLE',
      detailShown: false,
    },
  ];

  it.each(cases)('$error.name → $status $type', ({ error, status, type, title, code, detailShown }) => {
    const { problem } = toProblem(error, context);
    expect(problemSchema.parse(problem)).toEqual(problem);
    expect(problem).toMatchObject({
      status,
      type,
      title,
      code,
      instance: '/datasets/42',
      requestId: 'req-123',
    });
    if (detailShown) expect(problem.detail).toBe(error.message);
    else {
      expect(problem.detail).not.toContain('arn:aws');
      expect(problem.detail).toContain('req-123');
    }
  });

  it('names the field and lists the issues of a validation error', () => {
    const error = new ValidationError('two problems', {
      issues: [
        { field: 'body.name', message: 'Required' },
        { field: 'query.limit', message: 'Too big' },
      ],
    });
    const { problem } = toProblem(error, context);
    expect(problem.field).toBe('body.name');
    expect(problem.errors).toEqual([
      { field: 'body.name', message: 'Required' },
      { field: 'query.limit', message: 'Too big' },
    ]);
  });

  it('sets Retry-After on 429 and 503 when the delay is known, and WWW-Authenticate on 401', () => {
    expect(
      toProblem(new TooManyRequestsError('X.SLOW', 'slow', { retryAfterSeconds: 2.2 }), context).headers,
    ).toEqual({
      'retry-after': '3',
    });
    expect(
      toProblem(new DependencyUnavailableError('queue', 'x', { details: { retryAfterSeconds: 5 } }), context)
        .headers,
    ).toEqual({ 'retry-after': '5' });
    expect(toProblem(new TooManyRequestsError('X.SLOW', 'slow'), context).headers).toEqual({});
    expect(toProblem(new UnauthorizedError(), context).headers['www-authenticate']).toMatch(/^Bearer /);
    expect(toProblem(new MethodNotAllowedError('PUT', ['GET', 'POST']), context).headers['allow']).toBe(
      'GET, HEAD, POST, OPTIONS',
    );
    expect(toProblem(new MethodNotAllowedError('GET', ['POST']), context).headers['allow']).toBe(
      'POST, OPTIONS',
    );
  });

  it('turns zod issues into 400 with every field path', () => {
    const schema = z.strictObject({ name: z.string().min(1), tags: z.array(z.string()) });
    const result = schema.safeParse({ name: '', tags: ['ok', 7], role: 'admin' });
    expect(result.success).toBe(false);
    const { problem, internal } = toProblem(result.error, context);
    expect(internal).toBe(false);
    expect(problem.status).toBe(400);
    expect(problem.type).toBe('urn:pipeweave:problem:request.invalid');
    expect(problem.errors?.map((e) => e.field).sort()).toEqual(['name', 'role', 'tags.1']);
  });

  it('maps a unique violation to 409 without the SQL or the constraint', () => {
    const error = new DatabaseError(
      'duplicate key value violates unique constraint "users_email_key": INSERT INTO users (email) VALUES ($1)',
      SqlState.uniqueViolation,
      'users_email_key',
      'Key (email)=(ada@example.com) already exists.',
    );
    const { problem, internal } = toProblem(error, context);
    expect(internal).toBe(false);
    expect(problem.status).toBe(409);
    expect(problem.type).toBe('urn:pipeweave:problem:resource.already-exists');
    const text = JSON.stringify(problem);
    expect(text).not.toContain('users_email_key');
    expect(text).not.toContain('INSERT');
    expect(text).not.toContain('ada@example.com');
  });

  it('maps a serialization failure to a retryable 503', () => {
    const { problem, headers } = toProblem(
      new DatabaseError('could not serialize', SqlState.serializationFailure),
      context,
    );
    expect(problem.status).toBe(503);
    expect(headers['retry-after']).toBe('1');
  });

  it.each([
    ['22007', 'invalid input syntax for type timestamp with time zone: "1"'],
    ['22008', 'date/time field value out of range: "2026-13-01"'],
    ['22P02', 'invalid input syntax for type uuid: "x"'],
    ['22003', 'value "99999999999" is out of range for type integer'],
  ])('maps a data exception (SQLSTATE %s) to a 400 without the SQL or the value', (state, message) => {
    const { problem, internal } = toProblem(new DatabaseError(`${message} in SELECT secret`, state), context);
    expect(internal).toBe(false);
    expect(problem.status).toBe(400);
    expect(problem.code).toBe('REQUEST.INVALID_VALUE');
    expect(JSON.stringify(problem)).not.toMatch(/secret|SELECT|2026-13|99999/);
  });

  it.each([
    new Error('secret SQL text: SELECT password_hash FROM users'),
    new DatabaseError('relation "secret_table" does not exist', '42P01'),
    new TypeError("Cannot read properties of undefined (reading 'secret')"),
    'a thrown string with a secret',
  ])('hides everything about an unexpected error (%s)', (error) => {
    const { problem, internal } = toProblem(error, context);
    expect(internal).toBe(true);
    expect(problem.status).toBe(500);
    expect(problem.type).toBe('urn:pipeweave:problem:internal.error');
    expect(JSON.stringify(problem)).not.toMatch(/secret|password|SELECT|relation|stack/i);
    expect(problem.detail).toContain('req-123');
    expect(problem.requestId).toBe('req-123');
  });
});
