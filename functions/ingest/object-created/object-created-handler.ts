import type { S3Event, S3EventRecord } from 'aws-lambda';
import { handleObjectArrival } from '../../../shared/domain/datasets/ingestion/dispatch/handle-object-arrival';
import type {
  ArrivalOutcome,
  ObjectArrival,
} from '../../../shared/domain/datasets/ingestion/dispatch/object-arrival';
import type { Services } from '../../../shared/ports/services';
import { decodeS3EventKey } from '../../../shared/storage/object-keys';

export type ObjectCreatedHandler = (event: S3Event) => Promise<ArrivalOutcome[]>;

/** An S3 event record → the arrival it describes (key decoded the way S3 encodes it). */
export function arrivalFromRecord(record: S3EventRecord): ObjectArrival {
  const object = record.s3.object;
  return {
    bucket: record.s3.bucket.name,
    key: decodeS3EventKey(object.key),
    size: object.size ?? 0,
    etag: (object.eTag ?? '').replaceAll('"', ''),
    ...(object.versionId ? { versionId: object.versionId } : {}),
    eventTime: record.eventTime,
  };
}

/**
 * The S3 ObjectCreated handler (raw/ and dropbox/ prefixes). Records are handled one by one;
 * if any fails, the others still run and the invocation then fails so S3's retry redelivers the
 * event (every step is idempotent, so records already handled change nothing the second time).
 */
export function makeObjectCreatedHandler(
  getServices: () => Services | Promise<Services>,
): ObjectCreatedHandler {
  return async (event) => {
    const services = await getServices();
    const outcomes: ArrivalOutcome[] = [];
    const failures: unknown[] = [];
    for (const record of event.Records ?? []) {
      if (!record.eventName?.startsWith('ObjectCreated:')) continue;
      let arrival: ObjectArrival;
      try {
        arrival = arrivalFromRecord(record);
      } catch (error) {
        // A key that is not valid percent-encoding cannot name an object we can act on.
        services.logger.warn('S3 event with an undecodable key', { key: record.s3.object.key, error });
        continue;
      }
      try {
        outcomes.push(await handleObjectArrival(services, arrival));
      } catch (error) {
        services.logger.error('arrival failed', { key: arrival.key, error });
        failures.push(error);
      }
    }
    if (failures.length > 0)
      throw new AggregateError(failures, `${failures.length} of ${event.Records.length} arrivals failed`);
    return outcomes;
  };
}
