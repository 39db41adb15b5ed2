import { describe, expect, it } from 'vitest';
import { chargeForSeconds, totalCredits } from '../../../../../shared/domain/billing/compute-cost';
import {
  creditsForSeconds,
  estimateExportCredits,
  EXPORT_DURATIONS,
  exportReserveKey,
  exportSettleKey,
} from '../../../../../shared/domain/exports/export-credits';
import { EXPORT_FORMATS } from '../../../../../shared/domain/exports/export-table';

describe('export credits', () => {
  it('holds the expected seconds of the format for the rows, on the worker’s Lambda, in whole credits', () => {
    const { baseSeconds, secondsPerMillionRows } = EXPORT_DURATIONS.tensorflow;
    const seconds = baseSeconds + 10 * secondsPerMillionRows;
    expect(estimateExportCredits('tensorflow', 10_000_000)).toBe(
      totalCredits([chargeForSeconds('lambda', seconds)]),
    );
  });

  it.each(EXPORT_FORMATS)('holds at least one credit for a %s export, and more for more rows', (format) => {
    expect(estimateExportCredits(format, 0)).toBeGreaterThanOrEqual(1);
    expect(estimateExportCredits(format, 50_000_000)).toBeGreaterThan(estimateExportCredits(format, 0));
  });

  it('prices the slow layouts above the flat files for the same table', () => {
    expect(estimateExportCredits('tensorflow', 20_000_000)).toBeGreaterThan(
      estimateExportCredits('csv', 20_000_000),
    );
    expect(estimateExportCredits('pytorch', 20_000_000)).toBeGreaterThan(
      estimateExportCredits('parquet', 20_000_000),
    );
  });

  it('charges nothing for no measured time, and rounds measured time up to whole credits', () => {
    expect(creditsForSeconds(0)).toBe(0);
    expect(creditsForSeconds(0.2)).toBe(1);
    expect(creditsForSeconds(100)).toBe(Math.ceil(chargeForSeconds('lambda', 100).credits));
  });

  it('writes the ledger under keys of the export’s own', () => {
    expect(exportReserveKey('e1')).toBe('export-reserve:e1');
    expect(exportSettleKey('e1')).toBe('export-settle:e1');
  });
});
