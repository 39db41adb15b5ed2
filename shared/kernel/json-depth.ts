/**
 * Nesting limits for JSON that clients send. Parsing is iterative in V8, but most code that walks
 * a value afterwards is not (`JSON.stringify`, structured clones, recursive validators), and a
 * value nested a few thousand levels deep overflows the stack there. Values are checked once,
 * here, without recursion, so nothing later ever sees such a value.
 */
export const MAX_JSON_DEPTH = 64;

/** Where a value nests too deeply: the path (keys and array indexes) to the first container past the limit. */
export interface TooDeep {
  path: (string | number)[];
  depth: number;
}

/**
 * The first place `value` nests deeper than `maxDepth` containers (objects and arrays), or
 * undefined when it does not. Visits each container once, with an explicit stack.
 */
export function findTooDeep(value: unknown, maxDepth: number = MAX_JSON_DEPTH): TooDeep | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const stack: { value: object; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const top = stack.pop();
    if (!top) break;
    const depth = top.path.length + 1;
    if (depth > maxDepth) return { path: top.path, depth };
    const entries: [string | number, unknown][] = Array.isArray(top.value)
      ? top.value.map((item, index) => [index, item])
      : Object.entries(top.value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      if (!entry) continue;
      const [key, child] = entry;
      if (child !== null && typeof child === 'object') stack.push({ value: child, path: [...top.path, key] });
    }
  }
  return undefined;
}

/**
 * Size limits on every value in JSON that clients send, past the fields routes declare with their
 * own limits: free-form parts (node params, prediction rows, analysis configs) hold no string,
 * array or object bigger than this, whatever the body limit leaves room for.
 */
export const JSON_VALUE_LIMITS = {
  /** Characters in one string, keys included. */
  stringChars: 100_000,
  /** Items in one array (a prediction request's rows, at most 10,000, among them). */
  arrayItems: 10_000,
  /** Keys in one object (a row of a wide table). */
  objectKeys: 10_000,
} as const;

/** Where a value is too large: the path to it, what it is, its size and the limit. */
export interface Oversized {
  path: (string | number)[];
  kind: 'string' | 'array' | 'object' | 'key';
  size: number;
  limit: number;
}

/** The first string, array, object or key in `value` over `limits`, without recursion. */
export function findOversized(
  value: unknown,
  limits: { stringChars: number; arrayItems: number; objectKeys: number } = JSON_VALUE_LIMITS,
): Oversized | undefined {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const top = stack.pop();
    if (!top) break;
    const { value: current, path } = top;
    if (typeof current === 'string') {
      if (current.length > limits.stringChars)
        return { path, kind: 'string', size: current.length, limit: limits.stringChars };
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (Array.isArray(current)) {
      if (current.length > limits.arrayItems)
        return { path, kind: 'array', size: current.length, limit: limits.arrayItems };
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], path: [...path, i] });
      continue;
    }
    const keys = Object.keys(current);
    if (keys.length > limits.objectKeys)
      return { path, kind: 'object', size: keys.length, limit: limits.objectKeys };
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] ?? '';
      if (key.length > limits.stringChars)
        return {
          path: [...path, key.slice(0, 40)],
          kind: 'key',
          size: key.length,
          limit: limits.stringChars,
        };
      stack.push({ value: (current as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return undefined;
}
