import type { DatabaseTransaction } from '../../db/database';
import {
  chargeForSeconds,
  expectedSeconds,
  totalCredits,
  type ExpectedDuration,
} from '../billing/compute-cost';
import { holdCredits, releaseUnusedCredits } from '../billing/credits/ledger-credits';
import type { ExportFormat } from './export-table';

/**
 * Exports are paid like jobs: creating one holds its estimate from the balance (a `consumption`
 * entry, key `export-reserve:<id>`, 402 CREDITS.INSUFFICIENT when short); finishing it charges
 * the worker's measured run time at the price of the runtime it runs on and returns the rest (a
 * `refund`, key `export-settle:<id>`). A failure that is the platform's fault returns everything.
 */
export const exportReserveKey = (exportId: string) => `export-reserve:${exportId}`;
export const exportSettleKey = (exportId: string) => `export-settle:${exportId}`;

/** The exports worker runs on Lambda, sized as a Lambda node (compute-cost.ts NODE_COMPUTE.lambda). */
export const EXPORT_RUNTIME = 'lambda' as const;

/**
 * Expected run time per format: a fixed part (downloading the table, starting DuckDB, uploading
 * the files) and a part per million rows, about twice what `npm run bench -- --only exports`
 * measured for 1 M rows × 20 columns (CSV 2.7 s, JSON 1.9 s, JSON Lines 2.9 s, Parquet 2.0 s,
 * Hugging Face 4.8 s, PyTorch 11.7 s, TensorFlow 35.4 s): the estimate is only held, and what the
 * worker measured is what is charged.
 */
export const EXPORT_DURATIONS: Record<ExportFormat, ExpectedDuration> = {
  csv: { baseSeconds: 3, secondsPerMillionRows: 6 },
  json: { baseSeconds: 3, secondsPerMillionRows: 6 },
  jsonl: { baseSeconds: 3, secondsPerMillionRows: 6 },
  parquet: { baseSeconds: 3, secondsPerMillionRows: 5 },
  huggingface: { baseSeconds: 3, secondsPerMillionRows: 10 },
  pytorch: { baseSeconds: 3, secondsPerMillionRows: 25 },
  tensorflow: { baseSeconds: 3, secondsPerMillionRows: 70 },
};

/** Whole credits held for exporting `rows` rows in `format` (at least one). */
export function estimateExportCredits(format: ExportFormat, rows: number): number {
  const seconds = expectedSeconds(EXPORT_DURATIONS[format], rows, undefined);
  return Math.max(1, totalCredits([chargeForSeconds(EXPORT_RUNTIME, seconds)]));
}

/** What `seconds` of the worker cost, in whole credits (0 for nothing measured). */
export function creditsForSeconds(seconds: number): number {
  return seconds > 0 ? totalCredits([chargeForSeconds(EXPORT_RUNTIME, seconds)]) : 0;
}

export async function reserveExportCredits(
  trx: DatabaseTransaction,
  request: { exportId: string; userId: string; credits: number; format: ExportFormat; rows: number },
): Promise<number> {
  return holdCredits(trx, {
    userId: request.userId,
    credits: request.credits,
    key: exportReserveKey(request.exportId),
    jobId: null,
    description: 'Reserved for an export',
    metadata: {
      exportId: request.exportId,
      format: request.format,
      rows: request.rows,
      estimate: request.credits,
    },
  });
}

/** Charges `usedCredits` of the hold (0: a full refund) and returns what was finally charged. */
export async function settleExportCredits(
  trx: DatabaseTransaction,
  request: { exportId: string; userId: string; usedCredits: number },
): Promise<number> {
  const { charged } = await releaseUnusedCredits(trx, {
    userId: request.userId,
    reserveKey: exportReserveKey(request.exportId),
    settleKey: exportSettleKey(request.exportId),
    usedCredits: request.usedCredits,
    jobId: null,
    metadata: { exportId: request.exportId },
  });
  return charged;
}
