import { NotFoundError } from '../../../../kernel/app-error';
import { objectKeys } from '../../../../storage/object-keys';
import { arrivalId } from './object-arrival';
import type { ArrivalOutcome, DispatchServices, ObjectArrival } from './object-arrival';

export interface QuarantineReason {
  code: string;
  message: string;
}

/**
 * Moves a rejected arrival to `quarantine/{arrivalId}/` beside a JSON report that says why, and
 * removes the original. Nothing else happens for it: no dataset, no version, no message.
 * Idempotent: a redelivered event finds the original gone and only rewrites the same report.
 */
export async function quarantineArrival(
  services: DispatchServices,
  arrival: ObjectArrival,
  reasons: QuarantineReason[],
  context: { userId?: string } = {},
): Promise<Extract<ArrivalOutcome, { outcome: 'quarantined' }>> {
  const id = arrivalId(arrival);
  let quarantineKey: string;
  try {
    quarantineKey = objectKeys.quarantine(id, arrival.key);
  } catch {
    // Nothing usable left of the name once control characters and separators are removed.
    quarantineKey = objectKeys.quarantine(id, 'object');
  }
  const reportKey = objectKeys.quarantineReport(id);

  let copied = false;
  try {
    await services.blobs.copy(arrival.key, quarantineKey);
    copied = true;
  } catch (error) {
    // Gone already (a redelivery), or a key the store cannot address (control characters): the
    // report is still written. Anything else may be transient and is retried with the event.
    // eslint-disable-next-line no-control-regex
    if (!(error instanceof NotFoundError) && !/[\u0000-\u001f\u007f]/.test(arrival.key)) throw error;
    services.logger.warn('quarantine could not copy the object', { key: arrival.key, error });
  }
  const report = {
    arrivalId: id,
    receivedAt: services.clock.now().toISOString(),
    bucket: arrival.bucket,
    // JSON escapes control characters, so the report shows the key exactly as it arrived.
    originalKey: arrival.key,
    size: arrival.size,
    etag: arrival.etag,
    ...(arrival.versionId ? { versionId: arrival.versionId } : {}),
    ...(context.userId ? { userId: context.userId } : {}),
    quarantinedObjectKey: copied ? quarantineKey : null,
    errors: reasons,
    whatToDo:
      'Nothing was imported. Fix the problem described in "errors" and write the file again under dropbox/{your user id}/ with a plain name such as sales.csv.',
  };
  await services.blobs.put(reportKey, `${JSON.stringify(report, null, 2)}\n`, {
    contentType: 'application/json',
  });
  if (copied) await services.blobs.delete(arrival.key);
  services.logger.warn('arrival quarantined', {
    key: arrival.key,
    quarantineKey,
    reasons: reasons.map((r) => r.code),
  });
  return { outcome: 'quarantined', quarantineKey, reportKey, reasons: reasons.map((r) => r.code) };
}
