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
