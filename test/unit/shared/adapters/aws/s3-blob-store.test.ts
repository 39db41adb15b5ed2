import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsAccessError } from '../../../../../shared/adapters/aws/aws-errors';
import { S3BlobStore } from '../../../../../shared/adapters/aws/s3-blob-store';
import { DependencyUnavailableError, NotFoundError } from '../../../../../shared/kernel/app-error';

const s3 = mockClient(S3Client);

function store() {
  return new S3BlobStore({ client: new S3Client({ region: 'eu-west-1' }), bucket: 'pipeweave-data' });
}

afterEach(() => {
  s3.reset();
});

describe('S3BlobStore error translation', () => {
  it('turns a missing key into NotFoundError', async () => {
    s3.on(GetObjectCommand).rejects(
      new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }),
    );
    await expect(store().get('raw/u/d/1/a.csv')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('turns SlowDown and 5xx into DependencyUnavailableError for storage', async () => {
    s3.on(PutObjectCommand)
      .rejectsOnce(
        Object.assign(new Error('Please reduce your request rate.'), {
          name: 'SlowDown',
          $metadata: { httpStatusCode: 503 },
        }),
      )
      .rejectsOnce(
        Object.assign(new Error('We encountered an internal error.'), {
          name: 'InternalError',
          $fault: 'server',
          $metadata: { httpStatusCode: 500 },
        }),
      );

    for (let i = 0; i < 2; i++) {
      const error = await store()
        .put('raw/u/d/1/a.csv', 'x')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DependencyUnavailableError);
      expect(error).toMatchObject({ code: 'DEPENDENCY.STORAGE_UNAVAILABLE', status: 503 });
    }
  });

  it('says plainly when AWS denies the function access', async () => {
    s3.on(GetObjectCommand).rejects(
      Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }),
    );

    const error = await store()
      .get('raw/u/d/1/a.csv')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsAccessError);
    expect((error as Error).message).toMatch(
      /AWS denied s3 GetObject pipeweave-data\/raw\/u\/d\/1\/a\.csv.*IAM/,
    );
  });
});
