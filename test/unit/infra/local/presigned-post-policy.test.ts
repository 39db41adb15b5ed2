import { createHmac } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { describe, expect, it } from 'vitest';
import {
  checkPresignedPost,
  maxUploadBytesOf,
  s3ErrorXml,
  type PresignedPostInput,
} from '../../../../infra/local/presigned-post-policy';

const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const BUCKET = 'pipeweave-local';
const NOW = new Date('2026-03-01T10:00:00Z');
const KEY = 'raw/u1/d1/1/data.csv';

/** Signs a policy the way a SigV4 client does, written out here independently of the checker. */
function signedForm(
  conditions: unknown[],
  fields: Record<string, string>,
  options: {
    expiration?: string;
    secret?: string;
    accessKeyId?: string;
    key?: string;
    exactKey?: boolean;
  } = {},
): Array<[string, string]> {
  const accessKeyId = options.accessKeyId ?? CREDENTIALS.accessKeyId;
  const credential = `${accessKeyId}/20260301/eu-west-1/s3/aws4_request`;
  const base: Record<string, string> = {
    bucket: BUCKET,
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': credential,
    'X-Amz-Date': '20260301T100000Z',
    key: options.key ?? KEY,
    ...fields,
  };
  const policy = Buffer.from(
    JSON.stringify({
      expiration: options.expiration ?? '2026-03-01T10:10:00Z',
      conditions: [
        { bucket: BUCKET },
        { 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256' },
        { 'X-Amz-Credential': credential },
        { 'X-Amz-Date': '20260301T100000Z' },
        ...(options.exactKey === false ? [] : [{ key: options.key ?? KEY }]),
        ...conditions,
      ],
    }),
  ).toString('base64');
  let signingKey = Buffer.from(`AWS4${options.secret ?? CREDENTIALS.secretAccessKey}`);
  for (const part of ['20260301', 'eu-west-1', 's3', 'aws4_request']) {
    signingKey = createHmac('sha256', signingKey).update(part).digest();
  }
  const signature = createHmac('sha256', signingKey).update(policy).digest('hex');
  return [...Object.entries(base), ['Policy', policy], ['X-Amz-Signature', signature]];
}

function check(fields: PresignedPostInput['fields'], fileSize: number, now = NOW) {
  return checkPresignedPost({ bucket: BUCKET, fields, fileSize, now, credentials: [CREDENTIALS] });
}

const csvUpTo100 = [
  ['content-length-range', 1, 100],
  ['eq', '$Content-Type', 'text/csv'],
];

describe('checkPresignedPost', () => {
  it('accepts a form signed by the AWS SDK within its limits', async () => {
    const client = new S3Client({
      region: 'eu-west-1',
      credentials: CREDENTIALS,
      endpoint: 'http://127.0.0.1:1',
      forcePathStyle: true,
    });
    const post = await createPresignedPost(client, {
      Bucket: BUCKET,
      Key: KEY,
      Conditions: [
        ['content-length-range', 0, 10],
        ['eq', '$Content-Type', 'text/csv'],
      ],
      Fields: { 'Content-Type': 'text/csv', 'x-amz-meta-dataset': 'd1' },
      Expires: 60,
    });
    client.destroy();
    const verdict = check(Object.entries(post.fields), 10, new Date());
    expect(verdict).toEqual({ ok: true, key: KEY });
    expect(check(Object.entries(post.fields), 11, new Date())).toMatchObject({
      ok: false,
      error: { code: 'EntityTooLarge' },
    });
  });

  const cases: Array<{
    name: string;
    fields: Array<[string, string]>;
    size: number;
    now?: Date;
    status?: number;
    code?: string;
    message?: string | RegExp;
    details?: Record<string, string>;
  }> = [
    {
      name: 'within every condition',
      fields: signedForm(csvUpTo100, { 'Content-Type': 'text/csv' }),
      size: 100,
    },
    {
      name: 'at the lower size bound',
      fields: signedForm(csvUpTo100, { 'Content-Type': 'text/csv' }),
      size: 1,
    },
    {
      name: 'a file above the size range',
      fields: signedForm(csvUpTo100, { 'Content-Type': 'text/csv' }),
      size: 101,
      status: 400,
      code: 'EntityTooLarge',
      message: 'Your proposed upload exceeds the maximum allowed size',
      details: { ProposedSize: '101', MaxSizeAllowed: '100' },
    },
    {
      name: 'a file below the size range',
      fields: signedForm(csvUpTo100, { 'Content-Type': 'text/csv' }),
      size: 0,
      status: 400,
      code: 'EntityTooSmall',
      message: 'Your proposed upload is smaller than the minimum allowed size',
      details: { ProposedSize: '0', MinSizeAllowed: '1' },
    },
    {
      name: 'size range given as strings',
      fields: signedForm([['content-length-range', '0', '5']], {}),
      size: 6,
      status: 400,
      code: 'EntityTooLarge',
    },
    {
      name: 'another content type than the eq condition',
      fields: signedForm(csvUpTo100, { 'Content-Type': 'application/pdf' }),
      size: 10,
      status: 403,
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "text/csv"]',
    },
    {
      name: 'no content type where the policy requires one',
      fields: signedForm(csvUpTo100, {}),
      size: 10,
      status: 403,
      code: 'AccessDenied',
      message: /Policy Condition failed: \["eq", "\$Content-Type", "text\/csv"\]/,
    },
    {
      name: 'content type starting with the prefix',
      fields: signedForm([['starts-with', '$Content-Type', 'image/']], { 'Content-Type': 'image/png' }),
      size: 10,
    },
    {
      name: 'content type not starting with the prefix',
      fields: signedForm([['starts-with', '$Content-Type', 'image/']], { 'Content-Type': 'text/html' }),
      size: 10,
      status: 403,
      code: 'AccessDenied',
      message:
        'Invalid according to Policy: Policy Condition failed: ["starts-with", "$Content-Type", "image/"]',
    },
    {
      name: 'a listed content type that does not start with the prefix',
      fields: signedForm([['starts-with', '$Content-Type', 'image/']], {
        'Content-Type': 'image/png, text/html',
      }),
      size: 10,
      status: 403,
      code: 'AccessDenied',
    },
    {
      name: 'an expired policy',
      fields: signedForm(csvUpTo100, { 'Content-Type': 'text/csv' }, { expiration: '2026-03-01T09:59:59Z' }),
      size: 10,
      status: 403,
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Policy expired.',
    },
    {
      name: 'another bucket than the policy names',
      fields: signedForm([], {}),
      size: 1,
      status: 403,
      code: 'AccessDenied',
      message: `Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "${BUCKET}"]`,
    },
    {
      name: 'a key changed after signing',
      fields: signedForm([], {}).map(
        ([n, v]) => (n === 'key' ? [n, 'raw/u2/other.csv'] : [n, v]) as [string, string],
      ),
      size: 1,
      status: 403,
      code: 'AccessDenied',
      message: `Invalid according to Policy: Policy Condition failed: ["eq", "$key", "${KEY}"]`,
    },
    {
      name: 'a key under a starts-with prefix',
      fields: signedForm(
        [['starts-with', '$key', 'raw/u1/']],
        {},
        { exactKey: false, key: 'raw/u1/any.csv' },
      ),
      size: 1,
    },
    {
      name: 'a key outside a starts-with prefix',
      fields: signedForm(
        [['starts-with', '$key', 'raw/u1/']],
        {},
        { exactKey: false, key: 'raw/u2/any.csv' },
      ),
      size: 1,
      status: 403,
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "raw/u1/"]',
    },
    {
      name: 'a form field no condition covers',
      fields: [...signedForm([], {}), ['x-amz-meta-owner', 'someone-else']],
      size: 1,
      status: 403,
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Extra input fields: x-amz-meta-owner',
    },
    {
      name: 'x-ignore- fields need no condition',
      fields: [...signedForm([], {}), ['x-ignore-tracking', '1']],
      size: 1,
    },
    {
      name: 'an x-amz-meta field that differs from its condition',
      fields: signedForm([{ 'x-amz-meta-dataset': 'd1' }], { 'x-amz-meta-dataset': 'd2' }),
      size: 1,
      status: 403,
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Policy Condition failed: ["eq", "$x-amz-meta-dataset", "d1"]',
    },
    {
      name: 'success_action_status outside its condition',
      fields: signedForm([['starts-with', '$success_action_status', '20']], { success_action_status: '303' }),
      size: 1,
      status: 403,
      code: 'AccessDenied',
    },
    {
      name: 'a signature made with another secret',
      fields: signedForm(csvUpTo100, { 'Content-Type': 'text/csv' }, { secret: 'not-the-secret' }),
      size: 10,
      status: 403,
      code: 'SignatureDoesNotMatch',
    },
    {
      name: 'a policy changed after signing',
      fields: signedForm(csvUpTo100, { 'Content-Type': 'text/csv' }).map(([n, v]) =>
        n === 'Policy'
          ? [
              n,
              Buffer.from(
                Buffer.from(v, 'base64')
                  .toString()
                  .replace('"content-length-range",1,100', '"content-length-range",1,9999'),
              ).toString('base64'),
            ]
          : [n, v],
      ) as Array<[string, string]>,
      size: 500,
      status: 403,
      code: 'SignatureDoesNotMatch',
    },
    {
      name: 'an unknown access key',
      fields: signedForm([], {}, { accessKeyId: 'AKIAUNKNOWN' }),
      size: 1,
      status: 403,
      code: 'InvalidAccessKeyId',
    },
    {
      name: 'no policy at all',
      fields: [['key', KEY]],
      size: 1,
      status: 403,
      code: 'AccessDenied',
      message: 'Access Denied',
    },
    {
      name: 'no key field',
      fields: signedForm([], {}).filter(([n]) => n !== 'key'),
      size: 1,
      status: 400,
      code: 'InvalidArgument',
    },
  ];
  // The bucket case posts to another bucket than the one signed.
  const bucketCase = 'another bucket than the policy names';

  it.each(cases)('$name', ({ name, fields, size, now, status, code, message, details }) => {
    const verdict = checkPresignedPost({
      bucket: name === bucketCase ? 'someone-elses-bucket' : BUCKET,
      fields,
      fileSize: size,
      now: now ?? NOW,
      credentials: [CREDENTIALS],
    });
    if (!code) {
      expect(verdict).toEqual({ ok: true, key: fields.find(([n]) => n === 'key')?.[1] });
      return;
    }
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.error.status).toBe(status);
    expect(verdict.error.code).toBe(code);
    if (message) expect(verdict.error.message).toMatch(message);
    if (details) expect(verdict.error.details).toEqual(details);
  });

  it('reports a policy that is not JSON as an invalid policy document', () => {
    const fields = signedForm([], {}).map(
      ([n, v]) => (n === 'Policy' ? [n, 'bm90IGpzb24='] : [n, v]) as [string, string],
    );
    // The signature is checked first; a bad document with a good signature is InvalidPolicyDocument.
    const signature = createHmac(
      'sha256',
      ['20260301', 'eu-west-1', 's3', 'aws4_request'].reduce(
        (k, part) => createHmac('sha256', k).update(part).digest(),
        Buffer.from('AWS4S3RVER'),
      ),
    )
      .update('bm90IGpzb24=')
      .digest('hex');
    const resigned = fields.map(
      ([n, v]) => (n === 'X-Amz-Signature' ? [n, signature] : [n, v]) as [string, string],
    );
    expect(check(resigned, 1)).toMatchObject({
      ok: false,
      error: { status: 400, code: 'InvalidPolicyDocument' },
    });
  });
});

describe('maxUploadBytesOf', () => {
  it('reads the smallest maximum of the policy, or nothing', () => {
    expect(
      maxUploadBytesOf(
        signedForm(
          [
            ['content-length-range', 0, 50],
            ['content-length-range', 0, 40],
          ],
          {},
        ),
      ),
    ).toBe(40);
    expect(maxUploadBytesOf(signedForm([], {}))).toBeUndefined();
    expect(maxUploadBytesOf([['key', KEY]])).toBeUndefined();
  });
});

describe('s3ErrorXml', () => {
  it('writes the error document S3 answers with', () => {
    const xml = s3ErrorXml(
      {
        code: 'EntityTooLarge',
        message: 'Your proposed upload exceeds the maximum allowed size',
        details: { ProposedSize: '11', MaxSizeAllowed: '10' },
      },
      'REQ1',
    );
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?><Error><Code>EntityTooLarge<\/Code><Message>Your proposed upload exceeds the maximum allowed size<\/Message><ProposedSize>11<\/ProposedSize><MaxSizeAllowed>10<\/MaxSizeAllowed><RequestId>REQ1<\/RequestId><HostId>[^<]+<\/HostId><\/Error>$/,
    );
  });
});
