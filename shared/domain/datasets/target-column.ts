import { ValidationError } from '../../kernel/app-error';
import type { JsonValue } from '../../db/schema';
import { closestName } from '../learning/table';
import type { DatasetVersion } from './dataset-records';

/**
 * The column names a version's schema lists, or undefined when it does not list them all (no
 * schema yet, or a wide table whose listing was capped): then any name may still be right.
 */
export function listedColumnNames(
  version: Pick<DatasetVersion, 'columnsMetadata' | 'columnCount'>,
): string[] | undefined {
  const listed = version.columnsMetadata;
  if (!Array.isArray(listed) || listed.length === 0) return undefined;
  const names = listed.flatMap((column: JsonValue) =>
    column !== null &&
    typeof column === 'object' &&
    !Array.isArray(column) &&
    typeof column['name'] === 'string'
      ? [column['name']]
      : [],
  );
  if (names.length !== listed.length) return undefined;
  if (version.columnCount !== null && version.columnCount !== names.length) return undefined;
  return names;
}

/** 400 naming the closest column when `targetColumn` is not a column of the version's schema. */
export function assertTargetColumnKnown(
  targetColumn: string,
  version: Pick<DatasetVersion, 'columnsMetadata' | 'columnCount' | 'versionNumber'>,
  field = 'body.targetColumn',
): void {
  const names = listedColumnNames(version);
  if (!names || names.includes(targetColumn)) return;
  const suggestion = closestName(targetColumn, names);
  const hint = suggestion
    ? ` Did you mean "${suggestion}"?`
    : ` Its columns: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''}.`;
  throw new ValidationError(
    `"${targetColumn.slice(0, 100)}" is not a column of the current version (${version.versionNumber}).${hint}`,
    {
      code: 'DATASET.UNKNOWN_TARGET_COLUMN',
      field,
      details: suggestion ? { suggestion } : { columns: names.slice(0, 100) },
    },
  );
}
