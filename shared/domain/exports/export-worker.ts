import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { tmpdir } from 'node:os';
import type { Services } from '../../ports/services';
import { invocationDeadline } from '../../runtime/invocation-deadline';
import { removeLeftoverScratch } from '../../runtime/leftover-scratch';
import { parseExportMessage, type ExportMessage } from './export-message';
import { runExport, type ExportDependencies } from './run-export';

/** SQS redrive policy of the exports queue (infra reads it too): three attempts, then the DLQ. */
export const EXPORT_MAX_RECEIVE_COUNT = 3;

export interface ExportWorkerOptions extends ExportDependencies {
  maxReceiveCount?: number;
  /** As for ingestion: on AWS only, where a process runs one invocation at a time. */
  removeLeftoverScratch?: boolean;
}

export type ExportWorkerHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/**
 * The consumer of the exports queue, with partial batch failures: one export at a time; a
 * malformed message or an attempt that failed on our side fails only its own record, which SQS
 * delivers again (the export is retried) and, after the last attempt, dead-letters — by then the
 * attempt itself has failed the export and refunded it.
 */
export function makeExportWorker(
  getServices: () => Services | Promise<Services>,
  options: ExportWorkerOptions,
): ExportWorkerHandler {
  const maxReceiveCount = options.maxReceiveCount ?? EXPORT_MAX_RECEIVE_COUNT;
  return async (event, context) => {
    const startedAt = new Date();
    const services = await getServices();
    if (options.removeLeftoverScratch ?? services.config.runtime === 'aws')
      await removeLeftoverScratch(options.tempRoot ?? tmpdir(), startedAt, services.logger);
    const deadline = invocationDeadline(context);
    const failures: SQSBatchItemFailure[] = [];
    try {
      for (const record of event.Records) {
        let message: ExportMessage;
        try {
          message = parseExportMessage(record.body);
        } catch (error) {
          services.logger.error('poison export message: the body is not an export message', {
            messageId: record.messageId,
            error,
          });
          failures.push({ itemIdentifier: record.messageId });
          continue;
        }
        const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1');
        try {
          const outcome = await runExport(services, message, options, {
            deadline: deadline?.signal,
            lastAttempt: receiveCount >= maxReceiveCount,
          });
          services.metrics.add(`Export_${outcome}`, 1, 'Count');
        } catch (error) {
          services.logger.error('export attempt failed; the message will be delivered again', {
            ...message,
            messageId: record.messageId,
            receiveCount,
            error,
          });
          services.metrics.add('Export_error', 1, 'Count');
          failures.push({ itemIdentifier: record.messageId });
        }
      }
    } finally {
      deadline?.dispose();
    }
    services.metrics.flush();
    return { batchItemFailures: failures };
  };
}
