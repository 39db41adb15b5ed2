import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { S3Event } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { arrivalFromRecord } from '../../../../../functions/ingest/object-created/object-created-handler';
import {
  arrivalId,
  arrivalIdempotencyKey,
} from '../../../../../shared/domain/datasets/ingestion/dispatch/object-arrival';
import { ingestionMessageSchema } from '../../../../../shared/domain/datasets/ingestion/messages';
import { parseArrivalKey } from '../../../../../shared/storage/object-keys';
import { TEST_EVENTS } from '../../../../support/repo-paths';

const EVENTS = TEST_EVENTS;

describe('arrival keys', () => {
  it('decodes the key of a real S3 event the way S3 encoded it', async () => {
    const event = JSON.parse(
      await readFile(path.join(EVENTS, 's3-object-created-put.json'), 'utf8'),
    ) as S3Event;
    const record = event.Records[0];
    if (!record) throw new Error('fixture without records');
    const arrival = arrivalFromRecord(record);
    expect(arrival.key).toBe(
      'raw/7f9c2a4e-1b3d-4c5e-8f6a-0b1c2d3e4f50/0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d/1/sales report (2026).csv',
    );
    expect(arrival).toMatchObject({
      bucket: 'pipeweave-data-123456789012',
      size: 1048576,
      etag: 'd41d8cd98f00b204e9800998ecf8427e',
    });
    expect(parseArrivalKey(arrival.key)).toMatchObject({
      kind: 'raw',
      version: 1,
      fileName: 'sales report (2026).csv',
    });
  });

  it('keys duplicates alike and different objects apart', () => {
    const base = { bucket: 'b', key: 'raw/k', size: 1, etag: 'e1' };
    expect(arrivalIdempotencyKey(base)).toBe(arrivalIdempotencyKey({ ...base, eventTime: 'later' }));
    expect(arrivalIdempotencyKey(base)).not.toBe(arrivalIdempotencyKey({ ...base, etag: 'e2' }));
    // The object version wins over the ETag when the bucket is versioned.
    expect(arrivalIdempotencyKey({ ...base, versionId: 'v1' })).not.toBe(
      arrivalIdempotencyKey({ ...base, versionId: 'v2' }),
    );
  });

  it('derives a stable UUID per arrival for its quarantine folder', () => {
    const a = arrivalId({ bucket: 'b', key: 'dropbox/x/../y.csv', size: 1, etag: 'e' });
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(arrivalId({ bucket: 'b', key: 'dropbox/x/../y.csv', size: 1, etag: 'e' })).toBe(a);
    expect(arrivalId({ bucket: 'b', key: 'dropbox/x/z.csv', size: 1, etag: 'e' })).not.toBe(a);
  });

  it('refuses drop keys with traversal, NUL and other control characters', () => {
    const user = '7f9c2a4e-1b3d-4c5e-8f6a-0b1c2d3e4f50';
    expect(() => parseArrivalKey(`dropbox/${user}/../x.csv`)).toThrow(/"\."/);
    expect(() => parseArrivalKey(`dropbox/${user}/a\u0000.csv`)).toThrow(/control characters/);
    expect(() => parseArrivalKey(`dropbox/${user}/a\nb.csv`)).toThrow(/control characters/);
    expect(() => parseArrivalKey('dropbox/someone/x.csv')).toThrow(/user id/);
  });
});

describe('ingestion message contract', () => {
  const message = {
    kind: 'ingest-version',
    ingestionJobId: '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d',
    datasetVersionId: '1a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d',
    datasetId: '2a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d',
    userId: '3a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d',
    modality: 'tabular',
    bucket: 'b',
    key: 'raw/k.csv',
    size: 10,
    etag: 'e',
    source: 'upload',
    versionNumber: 1,
    arrivedAt: '2026-01-01T00:00:00.000Z',
  };

  it('accepts a complete message and refuses extra fields (ids and keys only, never data)', () => {
    expect(ingestionMessageSchema.parse(message)).toEqual(message);
    expect(() => ingestionMessageSchema.parse({ ...message, rows: [[1, 2]] })).toThrow();
    expect(() => ingestionMessageSchema.parse({ ...message, modality: 'multimodal' })).toThrow();
    expect(() => ingestionMessageSchema.parse({ ...message, datasetId: 'nope' })).toThrow();
  });
});
