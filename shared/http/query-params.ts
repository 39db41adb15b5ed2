import * as z from 'zod';

/**
 * Query strings arrive as text (repeated keys comma-joined by API Gateway); these schemas coerce
 * them in route definitions so handlers get numbers, booleans and arrays.
 */
export const queryParam = {
  /** An integer, e.g. `?limit=50`. */
  int(options: { min?: number; max?: number } = {}) {
    let schema = z.coerce.number<string>().int();
    if (options.min !== undefined) schema = schema.min(options.min);
    if (options.max !== undefined) schema = schema.max(options.max);
    return schema;
  },
  /** `true`/`false` (also `1`/`0`); anything else is an error rather than a silent `true`. */
  boolean() {
    return z
      .enum(['true', 'false', '1', '0'])
      .transform((value) => value === 'true' || value === '1')
      .meta({ description: 'true or false' });
  },
  /** A comma-separated list, e.g. `?status=queued,running`. */
  list<T extends z.ZodType<unknown, string>>(item: T) {
    return z
      .string()
      .transform((text) =>
        text
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part.length > 0),
      )
      .pipe(z.array(item).min(1))
      .meta({ description: 'Comma-separated list' });
  },
};
