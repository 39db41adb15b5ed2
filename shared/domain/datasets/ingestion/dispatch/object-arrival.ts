import { createHash } from 'node:crypto';
import type { Services } from '../../../../ports/services';

/** One object that appeared in the bucket, as an S3 ObjectCreated record (or a HEAD) describes it. */
export interface ObjectArrival {
  bucket: string;
  /** Decoded key (S3 event keys arrive URL-encoded; see `decodeS3EventKey`). */
  key: string;
  size: number;
  /** Without quotes. */
  etag: string;
  versionId?: string;
  eventTime?: string;
}

/** The part of `Services` arrival dispatch uses. */
export type DispatchServices = Pick<Services, 'db' | 'blobs' | 'queues' | 'logger' | 'clock' | 'config'>;

/** Duplicate deliveries of one arrival carry the same key: same bucket, object key and object version (or ETag). */
export function arrivalIdempotencyKey(arrival: ObjectArrival): string {
  return `s3:${arrival.bucket}/${arrival.key}#${arrival.versionId ?? arrival.etag}`;
}

/** A UUID derived from the arrival, so a redelivered rejection lands in the same quarantine folder. */
export function arrivalId(arrival: ObjectArrival): string {
  const hex = createHash('sha256').update(arrivalIdempotencyKey(arrival)).digest('hex');
  // Shaped as a version-5-style UUID (version nibble 5, RFC 4122 variant).
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export type ArrivalOutcome =
  | {
      outcome: 'dispatched';
      datasetId: string;
      datasetVersionId: string;
      ingestionJobId: string;
      messageId: string;
    }
  | { outcome: 'duplicate'; datasetVersionId?: string; ingestionJobId?: string }
  | { outcome: 'rejected'; datasetVersionId: string; reason: string }
  | { outcome: 'filed'; datasetId: string; datasetVersionId: string; rawKey: string }
  | { outcome: 'quarantined'; quarantineKey: string; reportKey: string; reasons: string[] }
  | { outcome: 'ignored'; reason: string };
