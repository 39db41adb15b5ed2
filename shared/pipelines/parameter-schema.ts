import { canonicalJson } from './canonical-json';

/**
 * Checks node parameters against the JSON Schema (2020-12) subset the node catalog uses, and
 * fills in defaults. Small on purpose: the catalog is ours, every schema in it is covered by a
 * test (`unsupportedKeywords`), and a keyword this module does not know makes it throw instead of
 * silently accepting parameters it never checked.
 *
 * Supported: type, enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf,
 * minLength, maxLength, pattern, format (uuid), items, minItems, maxItems, uniqueItems,
 * properties, required, additionalProperties (false or a schema), minProperties, maxProperties,
 * anyOf, oneOf, allOf, not, default; annotations ($schema, $id, title, description, examples,
 * deprecated, readOnly, writeOnly, $comment) are ignored.
 */

export interface SchemaIssue {
  /** Where in the value, relative to its root: `.testFraction`, `.conditions[0].column`, or '' for the root. */
  path: string;
  message: string;
}

export interface SchemaCheck {
  /** The value with defaults filled in (a copy; the input is not modified). */
  value: unknown;
  issues: SchemaIssue[];
}

export class UnsupportedSchemaError extends Error {
  override name = 'UnsupportedSchemaError';
}

const ANNOTATIONS = new Set([
  '$schema',
  '$id',
  '$comment',
  'title',
  'description',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
  'default',
]);

const ASSERTIONS = new Set([
  'type',
  'enum',
  'const',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'items',
  'minItems',
  'maxItems',
  'uniqueItems',
  'properties',
  'required',
  'additionalProperties',
  'minProperties',
  'maxProperties',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
]);

const FORMATS: Record<string, RegExp> = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
};

type Schema = Record<string, unknown>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keywords in `schema` (at any depth) this module cannot check; empty when the schema is fully supported. */
export function unsupportedKeywords(schema: unknown, path = ''): string[] {
  if (typeof schema === 'boolean') return [];
  if (!isObject(schema)) return [`${path || '(root)'}: not a schema`];
  const found: string[] = [];
  for (const [keyword, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(keyword)) continue;
    if (!ASSERTIONS.has(keyword)) {
      found.push(`${path}/${keyword}`);
      continue;
    }
    if (keyword === 'format' && (typeof value !== 'string' || !Object.hasOwn(FORMATS, value))) {
      found.push(`${path}/format:${String(value)}`);
    }
    if (keyword === 'properties' && isObject(value)) {
      for (const [name, sub] of Object.entries(value))
        found.push(...unsupportedKeywords(sub, `${path}/properties/${name}`));
    }
    if ((keyword === 'items' || keyword === 'additionalProperties' || keyword === 'not') && value !== false) {
      found.push(...unsupportedKeywords(value, `${path}/${keyword}`));
    }
    if ((keyword === 'anyOf' || keyword === 'oneOf' || keyword === 'allOf') && Array.isArray(value)) {
      value.forEach((sub, i) => found.push(...unsupportedKeywords(sub, `${path}/${keyword}/${i}`)));
    }
  }
  return found;
}

/** Validates `value` against `schema`, collecting every issue, and returns it with defaults applied. */
export function checkAgainstSchema(schema: unknown, value: unknown): SchemaCheck {
  const issues: SchemaIssue[] = [];
  const checked = check(asSchema(schema, ''), value, '', issues);
  return { value: checked, issues };
}

/** `.name` for plain identifiers, `["odd name"]` otherwise, so paths stay unambiguous. */
export function propertyPath(base: string, name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `${base}.${name}` : `${base}[${JSON.stringify(name)}]`;
}

function asSchema(schema: unknown, path: string): Schema | boolean {
  if (typeof schema === 'boolean') return schema;
  if (!isObject(schema))
    throw new UnsupportedSchemaError(`The schema at "${path || '(root)'}" is not an object.`);
  for (const keyword of Object.keys(schema)) {
    if (!ANNOTATIONS.has(keyword) && !ASSERTIONS.has(keyword)) {
      throw new UnsupportedSchemaError(`The schema keyword "${keyword}" is not supported.`);
    }
  }
  return schema;
}

function check(schema: Schema | boolean, value: unknown, path: string, issues: SchemaIssue[]): unknown {
  if (schema === true) return value;
  if (schema === false) {
    issues.push({ path, message: 'is not allowed' });
    return value;
  }

  if ('const' in schema && !deepEqual(schema['const'], value)) {
    issues.push({ path, message: `must be ${JSON.stringify(schema['const'])}` });
    return value;
  }
  const allowed = schema['enum'];
  if (Array.isArray(allowed) && !allowed.some((option) => deepEqual(option, value))) {
    issues.push({ path, message: `must be one of: ${allowed.map((o) => JSON.stringify(o)).join(', ')}` });
    return value;
  }

  const type = schema['type'];
  if (type !== undefined) {
    const types = Array.isArray(type) ? type.map(String) : [String(type)];
    if (!types.some((t) => hasType(value, t))) {
      issues.push({ path, message: `must be ${types.map(article).join(' or ')}` });
      return value;
    }
  }

  let result = value;
  if (typeof value === 'number') checkNumber(schema, value, path, issues);
  if (typeof value === 'string') checkString(schema, value, path, issues);
  if (Array.isArray(value)) result = checkArray(schema, value, path, issues);
  if (isObject(value)) result = checkObject(schema, value, path, issues);

  const allOf = schema['allOf'];
  if (Array.isArray(allOf)) {
    for (const [i, sub] of allOf.entries())
      result = check(asSchema(sub, `${path}/allOf/${i}`), result, path, issues);
  }
  const anyOf = schema['anyOf'];
  if (Array.isArray(anyOf)) result = checkAlternatives('anyOf', anyOf, result, path, issues);
  const oneOf = schema['oneOf'];
  if (Array.isArray(oneOf)) result = checkAlternatives('oneOf', oneOf, result, path, issues);
  if ('not' in schema) {
    const attempt: SchemaIssue[] = [];
    check(asSchema(schema['not'], `${path}/not`), result, path, attempt);
    if (attempt.length === 0) issues.push({ path, message: `must not be ${describe(schema['not'])}` });
  }
  return result;
}

function checkAlternatives(
  keyword: 'anyOf' | 'oneOf',
  branches: unknown[],
  value: unknown,
  path: string,
  issues: SchemaIssue[],
): unknown {
  const passing: unknown[] = [];
  for (const [i, branch] of branches.entries()) {
    const attempt: SchemaIssue[] = [];
    const checked = check(asSchema(branch, `${path}/${keyword}/${i}`), value, path, attempt);
    if (attempt.length === 0) passing.push(checked);
  }
  const first = passing[0];
  if (passing.length === 1 || (keyword === 'anyOf' && passing.length > 1)) return first;

  // Branches that only name required fields read best as "set one of: a, b".
  const requiredOnly = branches.every(
    (b) => isObject(b) && Object.keys(b).every((k) => k === 'required') && Array.isArray(b['required']),
  );
  if (requiredOnly) {
    const fields = branches.flatMap((b) =>
      isObject(b) && Array.isArray(b['required']) ? b['required'] : [],
    );
    const list = fields.map(String).join(', ');
    issues.push({
      path,
      message: passing.length === 0 ? `needs exactly one of: ${list}` : `takes only one of: ${list}`,
    });
  } else if (passing.length === 0) {
    issues.push({ path, message: `must be ${branches.map(describe).join(' or ')}` });
  } else {
    issues.push({ path, message: `matches more than one of: ${branches.map(describe).join('; ')}` });
  }
  return value;
}

function checkNumber(schema: Schema, value: number, path: string, issues: SchemaIssue[]): void {
  const bound = (keyword: string) =>
    typeof schema[keyword] === 'number' ? (schema[keyword] as number) : undefined;
  const minimum = bound('minimum');
  const maximum = bound('maximum');
  const exclusiveMinimum = bound('exclusiveMinimum');
  const exclusiveMaximum = bound('exclusiveMaximum');
  const multipleOf = bound('multipleOf');
  if (minimum !== undefined && value < minimum) issues.push({ path, message: `must be at least ${minimum}` });
  if (maximum !== undefined && value > maximum) issues.push({ path, message: `must be at most ${maximum}` });
  if (exclusiveMinimum !== undefined && value <= exclusiveMinimum) {
    issues.push({ path, message: `must be greater than ${exclusiveMinimum}` });
  }
  if (exclusiveMaximum !== undefined && value >= exclusiveMaximum) {
    issues.push({ path, message: `must be less than ${exclusiveMaximum}` });
  }
  if (multipleOf !== undefined && multipleOf > 0) {
    const quotient = value / multipleOf;
    if (Math.abs(quotient - Math.round(quotient)) > 1e-9) {
      issues.push({ path, message: `must be a multiple of ${multipleOf}` });
    }
  }
}

function checkString(schema: Schema, value: string, path: string, issues: SchemaIssue[]): void {
  // Length in code points, as JSON Schema counts it.
  const length = [...value].length;
  const minLength = schema['minLength'];
  const maxLength = schema['maxLength'];
  if (typeof minLength === 'number' && length < minLength) {
    issues.push({
      path,
      message: minLength === 1 ? 'must not be empty' : `must be at least ${minLength} characters`,
    });
  }
  if (typeof maxLength === 'number' && length > maxLength) {
    issues.push({ path, message: `must be at most ${maxLength} characters` });
  }
  const pattern = schema['pattern'];
  if (typeof pattern === 'string' && !new RegExp(pattern, 'u').test(value)) {
    issues.push({ path, message: `must match the pattern ${pattern}` });
  }
  const format = schema['format'];
  if (typeof format === 'string') {
    const expression = Object.hasOwn(FORMATS, format) ? FORMATS[format] : undefined;
    if (!expression) throw new UnsupportedSchemaError(`The format "${format}" is not supported.`);
    if (!expression.test(value)) issues.push({ path, message: `must be a ${format}` });
  }
}

function checkArray(schema: Schema, value: unknown[], path: string, issues: SchemaIssue[]): unknown[] {
  const minItems = schema['minItems'];
  const maxItems = schema['maxItems'];
  if (typeof minItems === 'number' && value.length < minItems) {
    issues.push({
      path,
      message: minItems === 1 ? 'must not be empty' : `must have at least ${minItems} items`,
    });
  }
  if (typeof maxItems === 'number' && value.length > maxItems) {
    issues.push({ path, message: `must have at most ${maxItems} items` });
  }
  if (schema['uniqueItems'] === true) {
    const seen = new Set<string>();
    for (const [i, item] of value.entries()) {
      const key = canonicalJson(item);
      if (seen.has(key)) issues.push({ path: `${path}[${i}]`, message: 'repeats an earlier item' });
      seen.add(key);
    }
  }
  const items = schema['items'];
  if (items === undefined) return value;
  const itemSchema = asSchema(items, `${path}/items`);
  return value.map((item, i) => check(itemSchema, item, `${path}[${i}]`, issues));
}

function checkObject(
  schema: Schema,
  value: Record<string, unknown>,
  path: string,
  issues: SchemaIssue[],
): Record<string, unknown> {
  const result: Record<string, unknown> = { ...value };
  const properties = isObject(schema['properties']) ? schema['properties'] : {};

  for (const [name, sub] of Object.entries(properties)) {
    if (!Object.hasOwn(result, name) && isObject(sub) && Object.hasOwn(sub, 'default'))
      setOwn(result, name, structuredClone(sub['default']));
  }
  const required = Array.isArray(schema['required']) ? schema['required'].map(String) : [];
  for (const name of required) {
    if (!Object.hasOwn(result, name)) issues.push({ path: propertyPath(path, name), message: 'is required' });
  }
  const additional = schema['additionalProperties'];
  for (const [name, item] of Object.entries(result)) {
    const childPath = propertyPath(path, name);
    if (Object.hasOwn(properties, name)) {
      setOwn(result, name, check(asSchema(properties[name], childPath), item, childPath, issues));
    } else if (additional === false) {
      issues.push({
        path: childPath,
        message: `is not a known parameter${Object.keys(properties).length > 0 ? ` (known: ${Object.keys(properties).join(', ')})` : ''}`,
      });
    } else if (additional !== undefined && additional !== true) {
      setOwn(result, name, check(asSchema(additional, childPath), item, childPath, issues));
    }
  }
  const count = Object.keys(value).length;
  const minProperties = schema['minProperties'];
  const maxProperties = schema['maxProperties'];
  if (typeof minProperties === 'number' && count < minProperties) {
    issues.push({
      path,
      message: minProperties === 1 ? 'must not be empty' : `must have at least ${minProperties} entries`,
    });
  }
  if (typeof maxProperties === 'number' && count > maxProperties) {
    issues.push({ path, message: `must have at most ${maxProperties} entries` });
  }
  return result;
}

/** Defines an own property even for names such as `__proto__` (parameters are user input). */
function setOwn(target: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    default:
      throw new UnsupportedSchemaError(`The type "${type}" is not a JSON Schema type.`);
  }
}

function article(type: string): string {
  if (type === 'null') return 'null';
  if (type === 'integer' || type === 'array' || type === 'object') return `an ${type}`;
  return `a ${type}`;
}

/** A short phrase for a schema, used when none of several alternatives matched. */
function describe(schema: unknown): string {
  if (schema === true) return 'anything';
  if (!isObject(schema)) return 'nothing';
  if ('const' in schema) return JSON.stringify(schema['const']);
  if (Array.isArray(schema['enum']))
    return `one of ${schema['enum'].map((o) => JSON.stringify(o)).join(', ')}`;
  const type = schema['type'];
  let phrase = typeof type === 'string' ? article(type) : 'a value';
  const bounds: string[] = [];
  if (typeof schema['minimum'] === 'number') bounds.push(`≥ ${schema['minimum']}`);
  if (typeof schema['exclusiveMinimum'] === 'number') bounds.push(`> ${schema['exclusiveMinimum']}`);
  if (typeof schema['maximum'] === 'number') bounds.push(`≤ ${schema['maximum']}`);
  if (typeof schema['exclusiveMaximum'] === 'number') bounds.push(`< ${schema['exclusiveMaximum']}`);
  if (bounds.length > 0) phrase += ` ${bounds.join(' and ')}`;
  if (Array.isArray(schema['required'])) phrase += ` with ${schema['required'].map(String).join(', ')}`;
  return phrase;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
