import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { startBenchPlatform } from './bench-platform';
import { CleanupStack } from './cleanup-stack';
import type { MeasurementRequest, PipelineResult } from './measurement';
import { peakRssBytes, resetPeakRss } from './peak-rss';

/**
 * The real tabular ingestion path on one file: upload to the local S3, then one SQS record handed
 * to the tabular worker handler, which downloads while hashing, validates, converts to Parquet,
 * stores it, profiles, deduces the schema and records everything in PostgreSQL. Wall time and
 * peak RSS cover the handler call only; the ingestion job's stage is polled to show where the
 * time goes, and the worker's temp dir is polled for its largest size.
 */
const STAGE_POLL_MS = 100;

export async function measurePipeline(
  request: Extract<MeasurementRequest, { kind: 'pipeline' }>,
): Promise<PipelineResult> {
  const cleanup = new CleanupStack();
  const removeHandlers = cleanup.onTermination();
  try {
    cleanup.defer('remove the PostgreSQL directory', () =>
      rm(request.postgresRoot, { recursive: true, force: true }),
    );
    cleanup.defer('remove the pipeline directory', () =>
      rm(request.directory, { recursive: true, force: true }),
    );
    // Not recursive: if the benchmark's own temp dir is gone, it is being torn down.
    await mkdir(request.directory);
    const platform = await startBenchPlatform({
      directory: request.directory,
      postgresRoot: request.postgresRoot,
      cleanup,
    });

    const uploadStarted = performance.now();
    const message = await platform.arrive(request.csvPath);
    const uploadMs = performance.now() - uploadStarted;

    const scope = resetPeakRss() ? 'step' : 'process';
    const startRssBytes = process.memoryUsage().rss;
    const started = performance.now();
    const stageChanges: { stage: string; at: number }[] = [];
    const stagePoll = poll(STAGE_POLL_MS, async () => {
      const job = await platform.inSystemScope((trx) =>
        trx
          .selectFrom('ingestion_jobs')
          .select('stage')
          .where('id', '=', message.ingestionJobId)
          .executeTakeFirst(),
      );
      const stage = job?.stage;
      if (stage && stage !== stageChanges.at(-1)?.stage)
        stageChanges.push({ stage, at: performance.now() - started });
    });
    let peakTempBytes = 0;
    const diskPoll = poll(500, async () => {
      peakTempBytes = Math.max(peakTempBytes, await directorySize(platform.workerTempRoot));
    });
    cleanup.defer('stop polling', () => Promise.all([stagePoll.stop(), diskPoll.stop()]));

    const response = await platform.worker({ Records: [platform.sqsRecord(message)] });
    const wallMs = performance.now() - started;
    const peak = peakRssBytes();
    await Promise.all([stagePoll.stop(), diskPoll.stop()]);

    const { version, report, schemas } = await platform.inSystemScope(async (trx) => ({
      version: await trx
        .selectFrom('dataset_versions')
        .select([
          'status',
          'row_count',
          'column_count',
          'columns_metadata',
          'validation_errors',
          'processed_size_bytes',
        ])
        .where('id', '=', message.datasetVersionId)
        .executeTakeFirstOrThrow(),
      report: await trx
        .selectFrom('eda_reports')
        .select(['storage_location', 'report_size_bytes'])
        .where('dataset_version_id', '=', message.datasetVersionId)
        .executeTakeFirst(),
      schemas: await trx
        .selectFrom('schema_deductions')
        .select('id')
        .where('dataset_version_id', '=', message.datasetVersionId)
        .execute(),
    }));

    return {
      kind: 'pipeline',
      wallMs,
      peakRssBytes: peak,
      peakRssScope: scope,
      startRssBytes,
      status: version.status,
      rowCount: version.row_count === null ? null : Number(version.row_count),
      columnCount: version.column_count,
      columnTypes: columnTypes(version.columns_metadata),
      validationErrors: version.validation_errors,
      processedSizeBytes: version.processed_size_bytes === null ? null : Number(version.processed_size_bytes),
      profile: report
        ? {
            storage: report.storage_location,
            sizeBytes: report.report_size_bytes === null ? null : Number(report.report_size_bytes),
          }
        : null,
      schemaProposed: schemas.length > 0,
      // 'done' is written by the last transaction: nothing happens after it but the return.
      stages: stageChanges
        .filter((change) => change.stage !== 'done' && change.at < wallMs)
        .map((change, i, seen) => ({ stage: change.stage, ms: (seen[i + 1]?.at ?? wallMs) - change.at })),
      uploadMs,
      peakTempBytes,
      engine: platform.engineOptions()
        ? {
            threads: platform.engineOptions()?.threads,
            memoryLimitMb: platform.engineOptions()?.memoryLimitMb,
            preserveInsertionOrder: platform.engineOptions()?.preserveInsertionOrder,
          }
        : null,
      batchItemFailures: response.batchItemFailures.length,
    };
  } finally {
    removeHandlers();
    await cleanup.run();
  }
}

function columnTypes(metadata: unknown): string[] {
  if (!Array.isArray(metadata)) return [];
  return metadata.map((column: unknown) => {
    const { name, semanticType, type } = (column ?? {}) as Record<string, unknown>;
    return `${String(name)}:${String(semanticType ?? type)}`;
  });
}

/** Runs `probe` every `intervalMs`, skipping a tick while one is still running, until `stop()`. */
function poll(intervalMs: number, probe: () => Promise<void>): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= probe()
      .catch(() => undefined)
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** Bytes of the regular files under `dir` (files vanishing meanwhile are skipped). */
async function directorySize(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    total += await stat(join(entry.parentPath, entry.name)).then(
      (s) => s.size,
      () => 0,
    );
  }
  return total;
}
