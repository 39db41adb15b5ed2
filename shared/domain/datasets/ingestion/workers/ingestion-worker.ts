import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { tmpdir } from 'node:os';
import type { QueueModality } from '../../../../config/config';
import { failIngestion } from '../../dataset-version-repository';
import { withTenant } from '../../../../db/tenant';
import { invocationDeadline } from '../../../../runtime/invocation-deadline';
import { removeLeftoverScratch } from '../../../../runtime/leftover-scratch';
import { scrubServerPaths } from '../../../../kernel/scrub-server-paths';
import type { Services } from '../../../../ports/services';
import { parseIngestionMessage, type IngestionMessage } from '../messages';
import { ingestVersion, type IngestDependencies } from './ingest-version';
import type { ModalityProcessor } from './modality-processor';

/** SQS redrive policy of the modality queues (infra: MAX_RECEIVE_COUNT). */
export const DEFAULT_MAX_RECEIVE_COUNT = 5;

export interface IngestionWorkerOptions extends IngestDependencies {
  modality: QueueModality;
  processor: ModalityProcessor;
  /** On this receive, a still-failing message also marks its version failed before going to the DLQ. */
  maxReceiveCount?: number;
  /**
   * Remove scratch directories left by an earlier invocation stopped at its timeout. Default: on
   * AWS, where each process runs one invocation at a time; never locally, where workers share one.
   */
  removeLeftoverScratch?: boolean;
}

export type IngestionWorkerHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/**
 * The SQS consumer of one modality queue, with partial batch failures: messages are handled one
 * after the other (one file at a time keeps memory bounded); a malformed body or an error that is
 * not the file's fault fails only its own record, which SQS redelivers and finally dead-letters.
 * A file at fault is not a failure here: its version is marked failed and the message is done.
 */
export function makeIngestionWorker(
  getServices: () => Services | Promise<Services>,
  options: IngestionWorkerOptions,
): IngestionWorkerHandler {
  const maxReceiveCount = options.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT;
  return async (event, context) => {
    const startedAt = new Date();
    const services = await getServices();
    const log = services.logger;
    if (options.removeLeftoverScratch ?? services.config.runtime === 'aws')
      await removeLeftoverScratch(options.tempRoot ?? tmpdir(), startedAt, log);
    // Stop ~30 s before Lambda's timeout: the attempt is recorded and the scratch directory removed.
    const deadline = invocationDeadline(context);
    try {
      return await handleRecords(services, event, options, maxReceiveCount, deadline?.signal);
    } finally {
      deadline?.dispose();
    }
  };
}

async function handleRecords(
  services: Services,
  event: SQSEvent,
  options: IngestionWorkerOptions,
  maxReceiveCount: number,
  deadline: AbortSignal | undefined,
): Promise<SQSBatchResponse> {
  const log = services.logger;
  const failures: SQSBatchItemFailure[] = [];
  for (const record of event.Records) {
    let message: IngestionMessage;
    try {
      message = parseIngestionMessage(record.body);
      if (message.modality !== options.modality) {
        throw new Error(`a ${message.modality} message reached the ${options.modality} worker`);
      }
    } catch (error) {
      log.error('poison ingestion message: body is not an ingestion message for this queue', {
        messageId: record.messageId,
        error,
      });
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    const dimensions = { modality: options.modality };
    try {
      const outcome = await ingestVersion(services, message, options.processor, options, { deadline });
      services.metrics.add(`Ingestion_${outcome}`, 1, 'Count', dimensions);
    } catch (error) {
      const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1');
      log.error('ingestion failed; the message will be retried', {
        messageId: record.messageId,
        datasetVersionId: message.datasetVersionId,
        receiveCount,
        error,
      });
      services.metrics.add('Ingestion_error', 1, 'Count', dimensions);
      if (receiveCount >= maxReceiveCount) await failVersionAfterLastAttempt(services, message, error);
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  services.metrics.flush();
  return { batchItemFailures: failures };
}

/**
 * The last attempt at a message failed on our side: its version is failed with a reason, since
 * the message goes to the dead-letter queue next. Also called by a local platform whose worker
 * process ended on the last attempt. Says whether the version was failed: when it was not (the
 * database could not be reached), the message must be kept for the dead-letter queue.
 */
export async function failVersionAfterLastAttempt(
  services: Services,
  message: IngestionMessage,
  error: unknown,
): Promise<boolean> {
  try {
    await withTenant(services.db, { userId: message.userId, role: 'user' }, (trx) =>
      failIngestion(trx, {
        ingestionJobId: message.ingestionJobId,
        datasetVersionId: message.datasetVersionId,
        message:
          'Processing failed repeatedly for a reason on our side, not in your file. Upload it again later or contact support.',
        details: {
          error: scrubServerPaths(error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
        },
      }),
    );
    return true;
  } catch (inner) {
    services.logger.error('could not mark the version failed after the last attempt', { error: inner });
    return false;
  }
}
