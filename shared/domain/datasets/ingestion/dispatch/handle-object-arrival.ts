import { ObjectKeyError, parseArrivalKey } from '../../../../storage/object-keys';
import type { ParsedObjectKey } from '../../../../storage/object-keys';
import { acceptRawArrival } from './accept-raw-arrival';
import { fileDropArrival } from './file-drop-arrival';
import type { ArrivalOutcome, DispatchServices, ObjectArrival } from './object-arrival';
import { quarantineArrival } from './quarantine-arrival';

/**
 * Routes one arrival by its key: `raw/` → the waiting version; `dropbox/` → the drop folder;
 * a drop key that cannot be trusted (traversal, control characters, no user id) → quarantine.
 * A bad `raw/` key cannot come from our presigned POSTs, so it is only logged.
 */
export async function handleObjectArrival(
  services: DispatchServices,
  arrival: ObjectArrival,
): Promise<ArrivalOutcome> {
  let parsed: ParsedObjectKey;
  try {
    parsed = parseArrivalKey(arrival.key);
  } catch (error) {
    if (!(error instanceof ObjectKeyError)) throw error;
    if (arrival.key.startsWith('dropbox/')) {
      return quarantineArrival(services, arrival, [
        { code: 'DROP.BAD_KEY', message: `The object key is not acceptable: ${error.reason}.` },
      ]);
    }
    services.logger.warn('arrival with a malformed key ignored', { key: arrival.key, reason: error.reason });
    return { outcome: 'ignored', reason: error.reason };
  }
  switch (parsed.kind) {
    case 'raw':
      return acceptRawArrival(services, arrival, parsed);
    case 'dropbox':
      return fileDropArrival(services, arrival, parsed);
    default:
      return { outcome: 'ignored', reason: `objects under ${parsed.prefix}/ do not start ingestion` };
  }
}
