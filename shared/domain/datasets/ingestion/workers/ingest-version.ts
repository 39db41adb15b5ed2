import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  getIngestionTarget,
  recordContentHash,
  recordIngestionResult,
  recordValidationErrors,
  setIngestionProgress,
  startIngestionAttempt,
} from '../../dataset-version-repository';
import { withTenant } from '../../../../db/tenant';
import { readUserUsage } from '../../dataset-repository';
import { tierLimits } from '../../tier-limits';
import { placeProfileReport, saveEdaReport } from '../../profiling/eda-report-repository';
import type { OpenSqlEngine, SqlEngine } from '../../../../ports/sql-engine.port';
import { proposeSchema } from '../../schema-deduction/schema-deduction-repository';
import { checkDeadline, untilDeadline } from '../../../../runtime/invocation-deadline';
import { INGEST_SCRATCH_PREFIX } from '../../../../runtime/leftover-scratch';
import type { Services } from '../../../../ports/services';
import { objectKeys } from '../../../../storage/object-keys';
import type { IngestionMessage } from '../messages';
import { downloadWithHash } from './download-with-hash';
import { FileValidationFailure } from './file-validation-failure';
import type { ModalityProcessor } from './modality-processor';
import { findCanonicalVersion, reuseCanonicalResults } from './version-results';

export type IngestOutcome = 'validated' | 'failed' | 'linked' | 'skipped';

/** What one invocation of the worker gives the message it handles. */
export interface IngestInvocation {
  /**
   * Fires shortly before the invocation's time runs out: the flow stops waiting, removes its
   * scratch directory and throws InvocationOutOfTimeError, so the worker can record the attempt
   * (and, on the last receive, the failure) before Lambda would have killed it.
   */
  deadline?: AbortSignal | undefined;
}

export interface IngestDependencies {
  openEngine: OpenSqlEngine;
  /** Root for per-message temp dirs (default the OS temp dir, /tmp on Lambda). */
  tempRoot?: string;
  /** Engine memory limit (default 1GB: room for Node within a 3 GB Lambda). */
  engineMemoryLimitMb?: number;
}

/**
 * One ingestion message, start to finish, the same for every modality: claim the job (a
 * redelivered, finished job is skipped), download while hashing, link a re-upload of identical
 * content to the canonical version, otherwise run the modality's processor, then record results,
 * the profile and the proposed schema. A file at fault ends as a failed version (no retry); any
 * other error propagates so the message is retried and, in the end, dead-lettered.
 */
export async function ingestVersion(
  services: Services,
  message: IngestionMessage,
  processor: ModalityProcessor,
  deps: IngestDependencies,
  invocation: IngestInvocation = {},
): Promise<IngestOutcome> {
  const { deadline } = invocation;
  // Nothing is claimed once the invocation's time is nearly up: the message is retried.
  checkDeadline(deadline, 'Ingestion');
  const scope = { userId: message.userId, role: 'user' as const };
  const ids = { ingestionJobId: message.ingestionJobId, datasetVersionId: message.datasetVersionId };
  const log = services.logger;

  const claimed = await withTenant(services.db, scope, async (trx) => {
    const target = await getIngestionTarget(trx, { ...ids, datasetId: message.datasetId });
    if (!target) return undefined;
    const attempt = await startIngestionAttempt(trx, ids);
    if (!attempt.started) return undefined;
    const usage = await readUserUsage(trx, message.userId);
    const limits = usage ? tierLimits(usage.tier, services.config?.datasets?.tierLimits) : undefined;
    return {
      ...target,
      archiveLimit:
        usage && limits ? { tier: usage.tier, maxUnpackedBytes: limits.maxUnpackedBytes } : undefined,
    };
  });
  if (!claimed) {
    log.info('ingestion message skipped: version gone or job already finished', { ...ids });
    return 'skipped';
  }
  const { dataset, version, archiveLimit } = claimed;
  const progress = async (percent: number, stage: string) => {
    // A processor left running past the deadline stops at its next progress report.
    checkDeadline(deadline, 'Ingestion');
    await withTenant(services.db, scope, (trx) =>
      setIngestionProgress(trx, { ...ids, progressPercent: percent, stage }),
    );
  };

  const tempDir = await mkdtemp(join(deps.tempRoot ?? tmpdir(), INGEST_SCRATCH_PREFIX));
  let engine: SqlEngine | undefined;
  const started = performance.now();
  try {
    await progress(5, 'downloading');
    const filePath = join(tempDir, 'raw');
    const { sha256, sizeBytes } = await untilDeadline(
      downloadWithHash(services.blobs, message.key, filePath),
      deadline,
      'Downloading the file',
    );

    const { duplicateOfVersionId } = await withTenant(services.db, scope, (trx) =>
      recordContentHash(trx, { datasetVersionId: version.id, sha256 }),
    );
    // Parse options given for this version may read the same bytes differently: no reuse then.
    if (duplicateOfVersionId && version.csvOptions === null) {
      const reused = await withTenant(services.db, scope, async (trx) => {
        const canonical = await findCanonicalVersion(trx, duplicateOfVersionId);
        if (!canonical) return 'process' as const;
        return reuseCanonicalResults(
          trx,
          { ...ids, userId: message.userId, datasetId: dataset.id },
          canonical,
        );
      });
      if (reused === 'linked') return 'linked';
      if (reused === 'failed-like-canonical') return 'failed';
    }
    await progress(10, 'validating');

    let outcome;
    try {
      outcome = await untilDeadline(
        processor({
          dataset,
          version,
          filePath,
          sizeBytes,
          sha256,
          tempDir,
          blobs: services.blobs,
          engine: async () => {
            engine ??= await deps.openEngine({
              tempDirectory: join(tempDir, 'engine'),
              threads: 1,
              memoryLimitMb: deps.engineMemoryLimitMb ?? 1024,
              // Insertion order is not needed for conversion or profiling and costs memory.
              preserveInsertionOrder: false,
            });
            return engine;
          },
          processedKey: objectKeys.processed(message.userId, dataset.id, version.versionNumber),
          manifestKey: objectKeys.processedManifest(message.userId, dataset.id, version.versionNumber),
          now: services.clock.now(),
          ...(archiveLimit ? { archiveLimit } : {}),
          progress,
        }),
        deadline,
        'Processing the file',
      );
    } catch (error) {
      if (!(error instanceof FileValidationFailure)) throw error;
      await withTenant(services.db, scope, (trx) =>
        recordValidationErrors(trx, { ...ids, errors: error.issues }),
      );
      log.info('dataset version failed validation', {
        ...ids,
        issues: error.issues.length,
        code: error.issues[0]?.code,
      });
      return 'failed';
    }

    await progress(95, 'saving');
    checkDeadline(deadline, 'Saving the results');
    const ref = {
      userId: message.userId,
      datasetId: dataset.id,
      datasetVersionId: version.id,
      versionNumber: version.versionNumber,
    };
    const placement = outcome.profile
      ? await placeProfileReport(services.blobs, ref, outcome.profile)
      : undefined;
    const seconds = (performance.now() - started) / 1000;
    await withTenant(services.db, scope, async (trx) => {
      if (placement) await saveEdaReport(trx, ref, placement, seconds);
      if (outcome.schema) await proposeSchema(trx, ref, outcome.schema);
      await recordIngestionResult(trx, {
        ...ids,
        processedObjectKey: outcome.processedObjectKey,
        processedSizeBytes: outcome.processedSizeBytes,
        rowCount: outcome.rowCount,
        columnCount: outcome.columnCount,
        columnsMetadata: outcome.columnsMetadata,
        modalityMetadata: outcome.modalityMetadata,
      });
    });
    return 'validated';
  } finally {
    try {
      engine?.close();
    } catch (error) {
      log.warn('closing the SQL engine failed', { error });
    }
    await rm(tempDir, { recursive: true, force: true });
  }
}
