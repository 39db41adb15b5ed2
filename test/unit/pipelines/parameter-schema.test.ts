import { describe, expect, it } from 'vitest';
import { NODE_TYPES } from '../../../shared/db/reference-data';
import {
  checkAgainstSchema,
  UnsupportedSchemaError,
  unsupportedKeywords,
} from '../../../shared/pipelines/parameter-schema';

interface Case {
  name: string;
  schema: Record<string, unknown>;
  value: unknown;
  issues: { path: string; message: RegExp }[];
}

const cases: Case[] = [
  {
    name: 'type string',
    schema: { type: 'string' },
    value: 3,
    issues: [{ path: '', message: /^must be a string$/ }],
  },
  {
    name: 'integer rejects a fraction',
    schema: { type: 'integer' },
    value: 1.5,
    issues: [{ path: '', message: /an integer/ }],
  },
  { name: 'integer accepts 2.0', schema: { type: 'integer' }, value: 2.0, issues: [] },
  { name: 'type list', schema: { type: ['string', 'null'] }, value: null, issues: [] },
  {
    name: 'enum',
    schema: { enum: ['and', 'or'] },
    value: 'xor',
    issues: [{ path: '', message: /one of: "and", "or"/ }],
  },
  {
    name: 'const',
    schema: { const: 'current' },
    value: 'latest',
    issues: [{ path: '', message: /"current"/ }],
  },
  {
    name: 'minimum',
    schema: { type: 'number', minimum: 0 },
    value: -1,
    issues: [{ path: '', message: /at least 0/ }],
  },
  { name: 'maximum', schema: { type: 'number', maximum: 1 }, value: 1, issues: [] },
  {
    name: 'exclusiveMinimum',
    schema: { type: 'number', exclusiveMinimum: 0 },
    value: 0,
    issues: [{ path: '', message: /greater than 0/ }],
  },
  {
    name: 'exclusiveMaximum',
    schema: { type: 'number', exclusiveMaximum: 1 },
    value: 1,
    issues: [{ path: '', message: /less than 1/ }],
  },
  {
    name: 'multipleOf',
    schema: { type: 'number', multipleOf: 0.5 },
    value: 1.25,
    issues: [{ path: '', message: /multiple of 0.5/ }],
  },
  {
    name: 'minLength 1',
    schema: { type: 'string', minLength: 1 },
    value: '',
    issues: [{ path: '', message: /not be empty/ }],
  },
  { name: 'maxLength counts code points', schema: { type: 'string', maxLength: 1 }, value: '😀', issues: [] },
  {
    name: 'maxLength',
    schema: { type: 'string', maxLength: 2 },
    value: 'abc',
    issues: [{ path: '', message: /at most 2 characters/ }],
  },
  {
    name: 'pattern',
    schema: { type: 'string', pattern: '^[a-z]+$' },
    value: 'A',
    issues: [{ path: '', message: /pattern/ }],
  },
  {
    name: 'format uuid',
    schema: { type: 'string', format: 'uuid' },
    value: 'nope',
    issues: [{ path: '', message: /uuid/ }],
  },
  {
    name: 'items, with the index in the path',
    schema: { type: 'array', items: { type: 'string', minLength: 1 } },
    value: ['a', ''],
    issues: [{ path: '[1]', message: /not be empty/ }],
  },
  {
    name: 'minItems',
    schema: { type: 'array', minItems: 1 },
    value: [],
    issues: [{ path: '', message: /not be empty/ }],
  },
  {
    name: 'maxItems',
    schema: { type: 'array', maxItems: 1 },
    value: [1, 2],
    issues: [{ path: '', message: /at most 1 items/ }],
  },
  {
    name: 'uniqueItems compares by value',
    schema: { type: 'array', uniqueItems: true },
    value: [
      { a: 1, b: 2 },
      { b: 2, a: 1 },
    ],
    issues: [{ path: '[1]', message: /repeats/ }],
  },
  {
    name: 'required and additionalProperties:false',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['on'],
      properties: { on: { type: 'array' } },
    },
    value: { how: 'inner' },
    issues: [
      { path: '.on', message: /is required/ },
      { path: '.how', message: /not a known parameter \(known: on\)/ },
    ],
  },
  {
    name: 'additionalProperties as a schema, odd names quoted',
    schema: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
    value: { 'first name': '', ok: 'x' },
    issues: [{ path: '["first name"]', message: /not be empty/ }],
  },
  {
    name: 'minProperties',
    schema: { type: 'object', minProperties: 1 },
    value: {},
    issues: [{ path: '', message: /not be empty/ }],
  },
  {
    name: 'maxProperties',
    schema: { type: 'object', maxProperties: 1 },
    value: { a: 1, b: 2 },
    issues: [{ path: '', message: /at most 1/ }],
  },
  {
    name: 'anyOf with no match describes the alternatives',
    schema: { anyOf: [{ type: 'integer', minimum: 1 }, { const: 'current' }] },
    value: 'latest',
    issues: [{ path: '', message: /an integer ≥ 1 or "current"/ }],
  },
  {
    name: 'oneOf of required lists: both given',
    schema: { type: 'object', oneOf: [{ required: ['fraction'] }, { required: ['rows'] }] },
    value: { fraction: 0.5, rows: 3 },
    issues: [{ path: '', message: /only one of: fraction, rows/ }],
  },
  {
    name: 'allOf applies every part',
    schema: { allOf: [{ type: 'number' }, { minimum: 5 }] },
    value: 4,
    issues: [{ path: '', message: /at least 5/ }],
  },
  {
    name: 'not',
    schema: { not: { const: 'none' } },
    value: 'none',
    issues: [{ path: '', message: /must not be "none"/ }],
  },
  {
    name: 'a property named __proto__ is checked as data, not as a prototype',
    schema: { type: 'object', additionalProperties: { type: 'string' } },
    value: JSON.parse('{"__proto__": 5}') as unknown,
    issues: [{ path: '.__proto__', message: /a string/ }],
  },
];

describe('checkAgainstSchema', () => {
  it.each(cases)('$name', ({ schema, value, issues }) => {
    const result = checkAgainstSchema(schema, value);

    expect(result.issues).toHaveLength(issues.length);
    issues.forEach((expected, i) => {
      expect(result.issues[i]?.path).toBe(expected.path);
      expect(result.issues[i]?.message).toMatch(expected.message);
    });
  });

  it('fills defaults at every depth without touching the input', () => {
    const schema = {
      type: 'object',
      properties: {
        combine: { enum: ['and', 'or'], default: 'and' },
        conditions: {
          type: 'array',
          items: { type: 'object', properties: { negate: { type: 'boolean', default: false } } },
        },
        options: { type: 'object', default: { strict: true } },
      },
    };
    const input = { conditions: [{ column: 'a' }, { column: 'b', negate: true }] };

    const result = checkAgainstSchema(schema, input);

    expect(result.issues).toEqual([]);
    expect(result.value).toEqual({
      combine: 'and',
      conditions: [
        { column: 'a', negate: false },
        { column: 'b', negate: true },
      ],
      options: { strict: true },
    });
    expect(input).toEqual({ conditions: [{ column: 'a' }, { column: 'b', negate: true }] });
    // A default object is copied, so one node's parameters never share state with the schema.
    (result.value as { options: { strict: boolean } }).options.strict = false;
    expect(schema.properties.options.default).toEqual({ strict: true });
  });

  it('keeps a "__proto__" key as an own property of the result', () => {
    const schema = { type: 'object', additionalProperties: { type: 'string' } };

    const result = checkAgainstSchema(schema, JSON.parse('{"__proto__": "x"}'));

    expect(Object.hasOwn(result.value as object, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(result.value)).toBe(Object.prototype);
  });

  it('refuses a keyword it does not check rather than accepting anything', () => {
    expect(() => checkAgainstSchema({ type: 'object', patternProperties: {} }, {})).toThrow(
      UnsupportedSchemaError,
    );
    expect(() => checkAgainstSchema({ type: 'string', format: 'email' }, 'a@b')).toThrow(
      UnsupportedSchemaError,
    );
  });

  it('is complete for every parameter schema in the node catalog', () => {
    for (const type of NODE_TYPES) {
      expect(unsupportedKeywords(type.parametersSchema), type.key).toEqual([]);
    }
    expect(unsupportedKeywords({ properties: { a: { $ref: '#/x' } } })).toEqual(['/properties/a/$ref']);
  });
});
