import { UnsupportedMediaTypeError, ValidationError } from '../../kernel/app-error';
import {
  findOversized,
  findTooDeep,
  JSON_VALUE_LIMITS,
  MAX_JSON_DEPTH,
  type Oversized,
} from '../../kernel/json-depth';
import { stateOf, type HttpMiddleware } from './http-state';

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Decodes the body (base64 when API Gateway says so) and parses JSON for routes that declare a
 * body schema. Routes with `rawBody: true` get the text untouched (signatures are computed on
 * it). Written here rather than with middy's parser, which answers malformed JSON with 415 and
 * cannot tell which routes keep their raw body.
 */
export function jsonBody(): HttpMiddleware {
  return {
    before: (request) => {
      const state = stateOf(request.event);
      const route = state.route;
      if (!route) return;
      const { body, isBase64Encoded } = request.event;
      if (body === undefined || body === null || body === '') return;
      const text = isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;

      if (route.rawBody) {
        state.rawBody = text;
        return;
      }
      if (!route.request?.body) return;

      const contentType = request.event.headers?.['content-type'] ?? '';
      if (!JSON_MEDIA_TYPE.test(contentType)) {
        throw new UnsupportedMediaTypeError(
          'REQUEST.UNSUPPORTED_MEDIA_TYPE',
          `Send the body as application/json (got ${contentType ? `"${contentType.slice(0, 100)}"` : 'no content-type'}).`,
          { field: 'body' },
        );
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text) as unknown;
      } catch (error) {
        const reason = error instanceof SyntaxError ? error.message : 'it could not be parsed';
        throw new ValidationError(`The body is not valid JSON: ${reason}`, {
          code: 'REQUEST.INVALID_JSON',
          field: 'body',
        });
      }
      assertShallow(parsed);
      assertBounded(parsed, route.bodyStringChars ?? JSON_VALUE_LIMITS.stringChars);
      state.body = parsed;
    },
  };
}

/** Segments of a too-deep path shown in `field` (the rest is the same nesting repeated). */
const SHOWN_PATH_SEGMENTS = 8;

/** Nothing past the parser walks a value nested deeper than `MAX_JSON_DEPTH`: 400 naming where. */
function assertShallow(body: unknown): void {
  const tooDeep = findTooDeep(body, MAX_JSON_DEPTH);
  if (!tooDeep) return;
  const shown = tooDeep.path.slice(0, SHOWN_PATH_SEGMENTS).map(String);
  const field = ['body', ...shown].join('.') + (tooDeep.path.length > SHOWN_PATH_SEGMENTS ? '…' : '');
  throw new ValidationError(
    `The JSON nests deeper than ${MAX_JSON_DEPTH} objects or arrays under ${field}: send a flatter value.`,
    { code: 'REQUEST.JSON_TOO_DEEP', field, details: { maxDepth: MAX_JSON_DEPTH } },
  );
}

const SIZE_UNITS: Record<Oversized['kind'], string> = {
  string: 'characters',
  key: 'characters',
  array: 'items',
  object: 'keys',
};

/**
 * No string, array or object in the body is larger than `JSON_VALUE_LIMITS`, strings than the
 * route's own `bodyStringChars` when it sets one (fields with a limit of their own are held to it
 * by the route's schema): 400 naming the field and the limit.
 */
function assertBounded(body: unknown, stringChars: number): void {
  const oversized = findOversized(body, { ...JSON_VALUE_LIMITS, stringChars });
  if (!oversized) return;
  const shown = oversized.path.slice(0, SHOWN_PATH_SEGMENTS).map(String);
  const field = ['body', ...shown].join('.') + (oversized.path.length > SHOWN_PATH_SEGMENTS ? '…' : '');
  const unit = SIZE_UNITS[oversized.kind];
  const what = oversized.kind === 'key' ? `A key under ${field}` : field;
  throw new ValidationError(
    `${what} has ${oversized.size.toLocaleString('en-US')} ${unit}; at most ${oversized.limit.toLocaleString('en-US')} are accepted.`,
    {
      code: 'REQUEST.FIELD_TOO_LARGE',
      field,
      details: { limit: oversized.limit, size: oversized.size, unit },
    },
  );
}
