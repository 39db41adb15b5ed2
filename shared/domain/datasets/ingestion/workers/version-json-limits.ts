import type { JsonValue } from '../../../../db/schema';
import type { VersionValidationIssue } from '../../dataset-records';
import { clip, dataApiJsonBytes, fitPrefix } from '../../../../kernel/bounded-json';

/**
 * What a dataset version row keeps as JSON stays readable through the Data API (rows of at most
 * 64 KB, see profiling/data-api-json.ts), however wide or broken the file: `columns_metadata`
 * lists the first columns that fit COLUMNS_METADATA_LIMIT_BYTES (`column_count` has the total and
 * `modality_metadata.columnsListed` says how many are listed; the processed Parquet and the profile
 * have them all), and `validation_errors` the first problems that fit VALIDATION_ERRORS_LIMIT_BYTES
 * plus one saying how many more there were.
 */
export const COLUMNS_METADATA_LIMIT_BYTES = 32 * 1024;
export const VALIDATION_ERRORS_LIMIT_BYTES = 8 * 1024;

export function listColumnsMetadata<T extends JsonValue>(
  columns: readonly T[],
): { columnsMetadata: T[]; columnsListed?: number } {
  const listed = fitPrefix(columns, COLUMNS_METADATA_LIMIT_BYTES);
  return listed.length === columns.length
    ? { columnsMetadata: listed }
    : { columnsMetadata: listed, columnsListed: listed.length };
}

export function capValidationIssues(issues: readonly VersionValidationIssue[]): VersionValidationIssue[] {
  const clipped = issues.map((issue) => ({
    ...issue,
    code: clip(issue.code, 64),
    message: clip(issue.message, 1_000),
    ...(issue.column === undefined ? {} : { column: clip(issue.column, 255) }),
    ...(issue.sample === undefined ? {} : { sample: clip(issue.sample, 120) }),
  }));
  const more = (n: number): VersionValidationIssue => ({
    code: 'VALIDATION.MORE_ISSUES',
    message: `${n.toLocaleString('en-US')} more ${n === 1 ? 'problem was' : 'problems were'} found and not listed; fix the ones above first.`,
  });
  if (dataApiJsonBytes(clipped) <= VALIDATION_ERRORS_LIMIT_BYTES) return clipped;
  const listed = fitPrefix(clipped, VALIDATION_ERRORS_LIMIT_BYTES - dataApiJsonBytes(more(issues.length)));
  return [...listed, more(issues.length - listed.length)];
}
