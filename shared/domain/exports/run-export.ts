import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withTenant, type TenantScope } from '../../db/tenant';
import { isAppError } from '../../kernel/app-error';
import type { OpenSqlEngine, SqlEngine } from '../../ports/sql-engine.port';
import type { Services } from '../../ports/services';
import { checkDeadline, untilDeadline } from '../../runtime/invocation-deadline';
import { EXPORT_SCRATCH_PREFIX } from '../../runtime/leftover-scratch';
import { objectKeys } from '../../storage/object-keys';
import { creditsForSeconds, settleExportCredits } from './export-credits';
import type { ExportMessage } from './export-message';
import { claimExport, completeExport, findExport, recordExportProgress } from './export-repository';
import { exportTable, type ExportedFile, type ExportResult } from './export-table';
import { exportImages, isImageLayoutExport } from './export-images';
import { recordExportFailure } from './record-export-failure';
import { resolveExportSource } from './resolve-export-source';

/** The exports worker's Lambda timeout; an attempt never runs longer. */
export const EXPORT_WORKER_TIMEOUT_SECONDS = 900;
/** A running export whose attempt has been silent this long is taken by the next delivery of its message. */
export const EXPORT_LEASE_MS = (EXPORT_WORKER_TIMEOUT_SECONDS + 60) * 1000;
/** DuckDB's memory limit in the worker: the table streams through it, the rest spills to /tmp. */
export const EXPORT_ENGINE_MEMORY_MB = 256;
/** How often, at most, a running export writes its progress (and heartbeat). */
const PROGRESS_INTERVAL_MS = 1_000;

export type ExportOutcome = 'completed' | 'failed' | 'skipped';

export interface ExportDependencies {
  openEngine: OpenSqlEngine;
  /** Root for per-export scratch directories (default the OS temp dir, /tmp on Lambda). */
  tempRoot?: string;
  engineMemoryLimitMb?: number;
}

export interface ExportAttempt {
  /** Fires shortly before the invocation's time runs out (see `invocationDeadline`). */
  deadline?: AbortSignal | undefined;
  /** The message will not be delivered again: a failure on our side fails the export now. */
  lastAttempt: boolean;
}

/** The export was deleted (or failed by the sweep) while this attempt worked on it. */
class ExportGoneError extends Error {
  override name = 'ExportGoneError';
}

/** Another attempt is working on the export (its lease has not run out): try again later. */
export class ExportAttemptAliveError extends Error {
  override name = 'ExportAttemptAliveError';
  constructor(exportId: string) {
    super(`Export ${exportId} is being produced by another attempt.`);
  }
}

const USER_FAULT_CODE = 'EXPORT.INVALID';
const PLATFORM_FAILURE = {
  code: 'EXPORT.FAILED',
  message:
    'The export failed on our side and was not retried further; your credits were returned. Create it again later, and contact support if it keeps failing.',
} as const;

/**
 * One delivery of an export message, start to finish: claim the export (a finished or deleted one
 * is skipped; one another attempt holds is retried later), download its table, write it with `exportTable`, replace whatever an
 * earlier attempt uploaded under `exports/{user}/{export}/`, then record it completed with its
 * files and settle its credits in one transaction. An export the user's table or options cannot
 * satisfy fails at once with the reason, charged for the time it ran; any other error is retried
 * (the message comes back) and, on the last attempt, fails the export with a full refund. Files
 * of an attempt that did not complete are removed.
 */
export async function runExport(
  services: Pick<Services, 'db' | 'blobs' | 'clock' | 'logger'>,
  message: ExportMessage,
  deps: ExportDependencies,
  attempt: ExportAttempt,
): Promise<ExportOutcome> {
  const { deadline } = attempt;
  checkDeadline(deadline, 'The export');
  const scope: TenantScope = { userId: message.userId, role: 'user' };
  const log = services.logger;
  const claimed = await withTenant(services.db, scope, (trx) =>
    claimExport(trx, message.exportId, services.clock.now(), EXPORT_LEASE_MS),
  );
  if (!claimed) {
    const current = await withTenant(services.db, scope, (trx) =>
      findExport(trx, { userId: message.userId }, message.exportId),
    );
    // Another attempt holds it: the message comes back later, and is claimed if that attempt died.
    if (current?.status === 'running') throw new ExportAttemptAliveError(message.exportId);
    log.info('export message skipped: the export is finished or gone', { ...message });
    return 'skipped';
  }

  const started = performance.now();
  const prefix = objectKeys.exportPrefix(message.userId, message.exportId);
  const workDir = await mkdtemp(join(deps.tempRoot ?? tmpdir(), EXPORT_SCRATCH_PREFIX));
  const progress = new ProgressWriter(services, scope, message.exportId);
  let engine: SqlEngine | undefined;
  try {
    const source = await withTenant(services.db, scope, (trx) =>
      resolveExportSource(trx, { userId: message.userId }, claimed.source),
    );
    await progress.now(5);
    const parquetPath = join(workDir, 'source.parquet');
    await untilDeadline(
      services.blobs.download(source.parquetKey, parquetPath),
      deadline,
      'Downloading the table',
    );
    await progress.now(15);
    engine = await deps.openEngine({
      tempDirectory: join(workDir, 'engine'),
      threads: 1,
      memoryLimitMb: deps.engineMemoryLimitMb ?? EXPORT_ENGINE_MEMORY_MB,
    });
    const outDir = join(workDir, 'out');
    const request = {
      parquetPath,
      outDir,
      format: claimed.format,
      options: claimed.options,
      onProgress: (fraction: number) => progress.later(15 + 65 * fraction),
    };
    const result = await untilDeadline(
      // A table of stored images (an image dataset's manifest) exports its images in the layouts.
      (await isImageLayoutExport(engine, request))
        ? exportImages(engine, services.blobs, message.userId, request)
        : exportTable(engine, request),
      deadline,
      'Writing the export',
    );
    await progress.now(80);
    await upload(services, prefix, outDir, result, deadline, (done) => progress.now(80 + 19 * done));
    const usedCredits = creditsForSeconds((performance.now() - started) / 1000);
    await withTenant(services.db, scope, async (trx) => {
      const charged = await settleExportCredits(trx, { ...message, usedCredits });
      const done = await completeExport(trx, message.exportId, {
        objectKey: prefix,
        files: result.files,
        rowCount: result.rows,
        metadata: result.metadata,
        creditsCharged: charged,
        now: services.clock.now(),
      });
      // Rolls the settlement back with it: whoever ended the export settled it.
      if (!done) throw new ExportGoneError('the export ended while its files were uploaded');
    });
    log.info('export completed', {
      exportId: message.exportId,
      format: claimed.format,
      rows: result.rows,
      files: result.files.length,
      bytes: result.files.reduce((sum, f) => sum + f.bytes, 0),
      seconds: (performance.now() - started) / 1000,
    });
    return 'completed';
  } catch (error) {
    await removeObjects(services, prefix);
    if (error instanceof ExportGoneError) {
      log.info('export ended while it ran: its files were removed', { ...message });
      return 'skipped';
    }
    const userFault = isAppError(error) && error.status < 500;
    if (!userFault && !attempt.lastAttempt) throw error;
    const failure = userFault
      ? { code: error.code.startsWith('EXPORT.') ? error.code : USER_FAULT_CODE, message: error.message }
      : PLATFORM_FAILURE;
    // The user's table or options: charged for the time it ran. Our failure: refunded in full.
    const usedCredits = userFault ? creditsForSeconds((performance.now() - started) / 1000) : 0;
    await recordExportFailure(services, scope, message, failure, usedCredits);
    if (!userFault) log.error('export failed on its last attempt', { ...message, error });
    return 'failed';
  } finally {
    await progress.settled();
    try {
      // A statement the deadline left running stops before its engine closes.
      engine?.interrupt();
      engine?.close();
    } catch (error) {
      log.warn('closing the SQL engine failed', { error });
    }
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Each file under the export's prefix, after removing what an earlier attempt may have left there. */
async function upload(
  services: Pick<Services, 'blobs'>,
  prefix: string,
  outDir: string,
  result: ExportResult,
  deadline: AbortSignal | undefined,
  onProgress: (fraction: number) => Promise<void>,
): Promise<void> {
  await services.blobs.deletePrefix(prefix);
  let done = 0;
  for (const file of result.files) {
    checkDeadline(deadline, 'Uploading the export');
    await services.blobs.put(
      `${prefix}${safeRelativePath(file)}`,
      createReadStream(join(outDir, file.relativePath)),
      {
        contentType: file.contentType,
        contentLength: file.bytes,
        metadata: { sha256: file.sha256 },
      },
    );
    done += 1;
    await onProgress(done / result.files.length);
  }
}

/** Export files are written by our own code, but a path that could leave the prefix is refused all the same. */
function safeRelativePath(file: ExportedFile): string {
  const path = file.relativePath;
  const segments = path.split('/');
  if (
    path.length === 0 ||
    path.length > 512 ||
    segments.some((segment) => !/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(segment) || /^\.+$/.test(segment))
  ) {
    throw new Error(`The exporter wrote a file whose path cannot be an object key: ${JSON.stringify(path)}.`);
  }
  return path;
}

async function removeObjects(services: Pick<Services, 'blobs' | 'logger'>, prefix: string): Promise<void> {
  try {
    await services.blobs.deletePrefix(prefix);
  } catch (error) {
    services.logger.warn('could not remove the files of an export that did not complete', { prefix, error });
  }
}

/**
 * Progress of the running attempt, which is also its heartbeat: written at each stage (`now`) and
 * at most once a second from the exporter's callback (`later`, which cannot wait). A write that
 * finds the export no longer running means it was deleted or swept: the attempt stops.
 */
class ProgressWriter {
  #lastWrite = 0;
  #pending: Promise<void> = Promise.resolve();
  #gone = false;

  constructor(
    private readonly services: Pick<Services, 'db' | 'clock' | 'logger'>,
    private readonly scope: TenantScope,
    private readonly exportId: string,
  ) {}

  async now(percent: number): Promise<void> {
    await this.#pending;
    if (this.#gone) throw new ExportGoneError('the export is no longer running');
    await this.#write(percent);
    if (this.#gone) throw new ExportGoneError('the export is no longer running');
  }

  later(percent: number): void {
    const at = Date.now();
    if (at - this.#lastWrite < PROGRESS_INTERVAL_MS) return;
    this.#lastWrite = at;
    this.#pending = this.#pending.then(() =>
      this.#write(percent).catch((error: unknown) => {
        this.services.logger.warn('export progress was not recorded', { exportId: this.exportId, error });
      }),
    );
  }

  async settled(): Promise<void> {
    await this.#pending;
  }

  async #write(percent: number): Promise<void> {
    this.#lastWrite = Date.now();
    const running = await withTenant(this.services.db, this.scope, (trx) =>
      recordExportProgress(trx, this.exportId, percent, this.services.clock.now()),
    );
    if (!running) this.#gone = true;
  }
}
