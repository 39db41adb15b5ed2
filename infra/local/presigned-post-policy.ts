import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * What S3 checks before it stores a browser upload sent to a presigned POST URL, for the local S3
 * (s3rver stores such uploads without looking at the policy). Pure: the caller parses the form and
 * measures the file; this decides, and says no the way S3 says it.
 *
 * Checked, in S3's terms: the signature (SigV4: `X-Amz-Signature` = HMAC-SHA256 of the base64
 * policy with the key derived from the secret and the credential scope; the older `signature` of
 * SigV2 as well), the policy's `expiration`, every condition (exact-match objects, `eq`,
 * `starts-with`, `content-length-range` against the file's real size, the `bucket` against the
 * bucket posted to) and that no form field is left uncovered by a condition.
 */

export interface PostPolicyCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface PresignedPostInput {
  /** The bucket in the request path. */
  bucket: string;
  /** Form fields sent before the file part, in order, names as sent. */
  fields: ReadonlyArray<readonly [name: string, value: string]>;
  /** Bytes in the file part. */
  fileSize: number;
  now: Date;
  /** Key pairs the server knows. */
  credentials: readonly PostPolicyCredentials[];
}

export interface S3PostError {
  status: 400 | 403;
  code: string;
  message: string;
  /** Extra elements of S3's XML error body, e.g. `ProposedSize` and `MaxSizeAllowed`. */
  details: Record<string, string>;
}

export type PresignedPostVerdict = { ok: true; key: string } | { ok: false; error: S3PostError };

type Condition =
  | { kind: 'match'; op: 'eq' | 'starts-with'; field: string; value: string; text: string }
  | { kind: 'length'; min: number; max: number };

// Fields S3 does not require a condition for (SigV4 and SigV2 names, and the x-ignore- prefix).
const UNCONDITIONED = new Set(['x-amz-signature', 'file', 'policy', 'awsaccesskeyid', 'signature']);

export function checkPresignedPost(input: PresignedPostInput): PresignedPostVerdict {
  const form = new Map<string, string>();
  for (const [name, value] of input.fields) {
    const lower = name.toLowerCase();
    if (!form.has(lower)) form.set(lower, value);
  }

  const key = form.get('key');
  if (key === undefined) {
    return refuse(
      400,
      'InvalidArgument',
      "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
      {
        ArgumentName: 'key',
        ArgumentValue: '',
      },
    );
  }
  const policyText = form.get('policy');
  if (policyText === undefined) {
    // The bucket is private: a form without a signed policy is an anonymous write.
    return refuse(403, 'AccessDenied', 'Access Denied');
  }

  const signature = checkSignature(form, policyText, input.credentials);
  if (signature) return { ok: false, error: signature };

  const parsed = parsePolicy(policyText);
  if ('error' in parsed) return { ok: false, error: parsed.error };
  if (input.now.getTime() > parsed.expiration.getTime()) {
    return refuse(403, 'AccessDenied', 'Invalid according to Policy: Policy expired.');
  }

  const covered = new Set<string>();
  for (const condition of parsed.conditions) {
    if (condition.kind !== 'match') continue;
    covered.add(condition.field);
    const actual = condition.field === 'bucket' ? input.bucket : (form.get(condition.field) ?? '');
    if (!satisfies(condition, actual)) {
      return refuse(
        403,
        'AccessDenied',
        `Invalid according to Policy: Policy Condition failed: ${condition.text}`,
      );
    }
  }
  const extra = [...form.keys()].filter(
    (name) => !UNCONDITIONED.has(name) && !name.startsWith('x-ignore-') && !covered.has(name),
  );
  if (extra.length > 0) {
    return refuse(
      403,
      'AccessDenied',
      `Invalid according to Policy: Extra input fields: ${extra.join(', ')}`,
    );
  }

  for (const condition of parsed.conditions) {
    if (condition.kind !== 'length') continue;
    if (input.fileSize > condition.max) {
      return refuse(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
        ProposedSize: String(input.fileSize),
        MaxSizeAllowed: String(condition.max),
      });
    }
    if (input.fileSize < condition.min) {
      return refuse(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', {
        ProposedSize: String(input.fileSize),
        MinSizeAllowed: String(condition.min),
      });
    }
  }
  return { ok: true, key };
}

/**
 * The smallest `content-length-range` maximum of a form's policy, read without verifying it: lets
 * the server stop keeping bytes it will refuse anyway. `undefined` when there is none to read.
 */
export function maxUploadBytesOf(fields: PresignedPostInput['fields']): number | undefined {
  const policy = fields.find(([name]) => name.toLowerCase() === 'policy')?.[1];
  if (policy === undefined) return undefined;
  const parsed = parsePolicy(policy);
  if ('error' in parsed) return undefined;
  const maxima = parsed.conditions.flatMap((c) => (c.kind === 'length' ? [c.max] : []));
  return maxima.length > 0 ? Math.min(...maxima) : undefined;
}

/** S3's XML error document. */
export function s3ErrorXml(
  error: Pick<S3PostError, 'code' | 'message' | 'details'>,
  requestId: string = randomBytes(8).toString('hex').toUpperCase(),
): string {
  const element = (name: string, value: string) => `<${name}>${escapeXml(value)}</${name}>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Error>',
    element('Code', error.code),
    element('Message', error.message),
    ...Object.entries(error.details).map(([name, value]) => element(name, value)),
    element('RequestId', requestId),
    element('HostId', randomBytes(24).toString('base64')),
    '</Error>',
  ].join('');
}

/** The SigV4 signing key: HMAC-SHA256 chained from the secret through date, region and service. */
export function sigV4SigningKey(
  secretAccessKey: string,
  date: string,
  region: string,
  service: string,
): Buffer {
  let signingKey = Buffer.from(`AWS4${secretAccessKey}`, 'utf8');
  for (const part of [date, region, service, 'aws4_request']) {
    signingKey = createHmac('sha256', signingKey).update(part, 'utf8').digest();
  }
  return signingKey;
}

function checkSignature(
  form: Map<string, string>,
  policyText: string,
  credentials: readonly PostPolicyCredentials[],
): S3PostError | undefined {
  const algorithm = form.get('x-amz-algorithm');
  if (algorithm !== undefined) {
    if (algorithm !== 'AWS4-HMAC-SHA256') {
      return error(
        400,
        'InvalidArgument',
        'POST form fields x-amz-algorithm: only AWS4-HMAC-SHA256 is supported',
        {
          ArgumentName: 'x-amz-algorithm',
          ArgumentValue: algorithm,
        },
      );
    }
    const credential = form.get('x-amz-credential') ?? '';
    const scope = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/.exec(credential);
    if (!scope) {
      return error(400, 'InvalidArgument', 'Invalid argument.', {
        ArgumentName: 'x-amz-credential',
        ArgumentValue: credential,
      });
    }
    const [, accessKeyId = '', date = '', region = '', service = ''] = scope;
    const secret = credentials.find((c) => c.accessKeyId === accessKeyId)?.secretAccessKey;
    if (secret === undefined) return unknownKey(accessKeyId);
    const expected = createHmac('sha256', sigV4SigningKey(secret, date, region, service))
      .update(policyText, 'utf8')
      .digest('hex');
    return sameText(expected, form.get('x-amz-signature') ?? '') && service === 's3' ? undefined : mismatch();
  }

  const accessKeyId = form.get('awsaccesskeyid');
  if (accessKeyId !== undefined) {
    const secret = credentials.find((c) => c.accessKeyId === accessKeyId)?.secretAccessKey;
    if (secret === undefined) return unknownKey(accessKeyId);
    const expected = createHmac('sha1', secret).update(policyText, 'utf8').digest('base64');
    return sameText(expected, form.get('signature') ?? '') ? undefined : mismatch();
  }
  return error(403, 'AccessDenied', 'Access Denied');
}

function parsePolicy(
  policyText: string,
): { expiration: Date; conditions: Condition[] } | { error: S3PostError } {
  const invalid = (why: string) => ({ error: error(400, 'InvalidPolicyDocument', `Invalid Policy: ${why}`) });
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(policyText, 'base64').toString('utf8'));
  } catch {
    return invalid('Invalid JSON.');
  }
  if (!isRecord(document)) return invalid('Invalid JSON.');
  const { expiration, conditions } = document;
  if (typeof expiration !== 'string') return invalid('Policy missing expiration.');
  const expiresAt = new Date(expiration);
  if (Number.isNaN(expiresAt.getTime())) return invalid("Invalid 'expiration' value: " + expiration);
  if (!Array.isArray(conditions)) return invalid('Policy missing conditions.');

  const parsed: Condition[] = [];
  for (const raw of conditions) {
    const condition = parseCondition(raw);
    if (!condition) return invalid(`Invalid Policy condition: ${JSON.stringify(raw)}`);
    parsed.push(condition);
  }
  return { expiration: expiresAt, conditions: parsed };
}

function parseCondition(raw: unknown): Condition | undefined {
  if (isRecord(raw)) {
    const entries = Object.entries(raw);
    const [entry] = entries;
    if (entries.length !== 1 || !entry || typeof entry[1] !== 'string') return undefined;
    const [name, value] = entry;
    return {
      kind: 'match',
      op: 'eq',
      field: name.toLowerCase(),
      value,
      text: conditionText('eq', name, value),
    };
  }
  if (!Array.isArray(raw) || raw.length !== 3) return undefined;
  const [op, first, second] = raw as unknown[];
  if (op === 'content-length-range') {
    const min = wholeNumber(first);
    const max = wholeNumber(second);
    return min === undefined || max === undefined ? undefined : { kind: 'length', min, max };
  }
  if (
    (op === 'eq' || op === 'starts-with') &&
    typeof first === 'string' &&
    first.startsWith('$') &&
    typeof second === 'string'
  ) {
    const name = first.slice(1);
    return {
      kind: 'match',
      op,
      field: name.toLowerCase(),
      value: second,
      text: conditionText(op, name, second),
    };
  }
  return undefined;
}

function satisfies(condition: Extract<Condition, { kind: 'match' }>, actual: string): boolean {
  if (condition.op === 'eq') return actual === condition.value;
  // A Content-Type may list several types; each must start with the prefix.
  if (condition.field === 'content-type') {
    return actual.split(',').every((part) => part.trim().startsWith(condition.value));
  }
  return actual.startsWith(condition.value);
}

/** How S3 quotes a failed condition: `["eq", "$Content-Type", "text/csv"]`. */
function conditionText(op: string, name: string, value: string): string {
  return `[${[op, `$${name}`, value].map((part) => JSON.stringify(part)).join(', ')}]`;
}

function wholeNumber(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}

function sameText(expected: string, actual: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(actual, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function unknownKey(accessKeyId: string): S3PostError {
  return error(
    403,
    'InvalidAccessKeyId',
    'The AWS Access Key Id you provided does not exist in our records.',
    {
      AWSAccessKeyId: accessKeyId,
    },
  );
}

function mismatch(): S3PostError {
  return error(
    403,
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  );
}

function error(
  status: 400 | 403,
  code: string,
  message: string,
  details: Record<string, string> = {},
): S3PostError {
  return { status, code, message, details };
}

function refuse(
  status: 400 | 403,
  code: string,
  message: string,
  details: Record<string, string> = {},
): PresignedPostVerdict {
  return { ok: false, error: error(status, code, message, details) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}
