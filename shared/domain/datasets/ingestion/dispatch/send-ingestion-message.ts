import type { Dataset, DatasetVersion, IngestionJob } from '../../dataset-records';
import { fileKindOf, queueFor } from '../../file-formats';
import { claimDispatch, recordDispatched, releaseDispatch } from '../../ingestion-job-repository';
import { isQueueModality, type QueueModality } from '../../../../kernel/modality';
import { withTenant } from '../../../../db/tenant';
import { ingestionMessageAttributes, ingestionMessageSchema } from '../messages';
import type { IngestionMessage, IngestionSource } from '../messages';
import type { DispatchServices } from './object-arrival';

export function ingestionQueueForVersion(dataset: Dataset, version: DatasetVersion): QueueModality {
  const kind = fileKindOf(version.originalFilename);
  if (kind) return queueFor(dataset.modality, kind);
  const modality = dataset.modality;
  return isQueueModality(modality) ? modality : 'tabular';
}

export function buildIngestionMessage(input: {
  job: IngestionJob;
  dataset: Dataset;
  version: DatasetVersion;
  bucket: string;
  key: string;
  size: number;
  etag: string;
  versionId?: string;
  arrivedAt: Date;
}): IngestionMessage {
  const source: IngestionSource = input.version.sourceType;
  return ingestionMessageSchema.parse({
    kind: 'ingest-version',
    ingestionJobId: input.job.id,
    datasetVersionId: input.version.id,
    datasetId: input.dataset.id,
    userId: input.dataset.userId,
    modality: ingestionQueueForVersion(input.dataset, input.version),
    bucket: input.bucket,
    key: input.key,
    size: input.size,
    etag: input.etag,
    ...(input.versionId ? { versionId: input.versionId } : {}),
    source,
    versionNumber: input.version.versionNumber,
    arrivedAt: input.arrivedAt.toISOString(),
  });
}

/**
 * Sends the job's message unless someone already did: the claim is one UPDATE, so concurrent
 * deliveries of the same event send exactly one message. A failed send releases the claim and
 * rethrows, so the event's retry sends it. Once the send succeeded the claim is never released:
 * if recording the message id fails, the message is out and a release would let a redelivery
 * send a second one (the claim's lease covers the rare crash instead).
 */
export async function sendIngestionMessage(
  services: DispatchServices,
  message: IngestionMessage,
): Promise<{ sent: true; messageId: string } | { sent: false }> {
  const scope = { userId: message.userId, role: 'user' as const };
  const queue = message.modality;
  const claimed = await withTenant(services.db, scope, (trx) =>
    claimDispatch(trx, message.ingestionJobId, queue, services.clock.now()),
  );
  if (!claimed) return { sent: false };
  let messageId: string;
  try {
    ({ messageId } = await services.queues.send(queue, message, {
      attributes: ingestionMessageAttributes(message),
    }));
  } catch (error) {
    await withTenant(services.db, scope, (trx) => releaseDispatch(trx, message.ingestionJobId));
    throw error;
  }
  try {
    await withTenant(services.db, scope, (trx) => recordDispatched(trx, message.ingestionJobId, messageId));
  } catch (error) {
    services.logger.error('ingestion message sent but its id was not recorded; the claim is kept', {
      queue,
      messageId,
      ingestionJobId: message.ingestionJobId,
      error,
    });
    return { sent: true, messageId };
  }
  services.logger.info('ingestion message sent', {
    queue,
    messageId,
    ingestionJobId: message.ingestionJobId,
  });
  return { sent: true, messageId };
}
