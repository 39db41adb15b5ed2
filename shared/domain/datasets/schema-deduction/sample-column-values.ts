import { sqlIdent, sqlText, type SqlEngine } from '../../../ports/sql-engine.port';

/**
 * A reservoir sample of each column's non-missing values as text, for schema deduction. One query
 * for all columns (a fixed seed keeps proposals stable for the same file).
 */
export async function sampleColumnValues(
  engine: SqlEngine,
  relation: string,
  columns: readonly string[],
  size = 200,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(columns.map((c) => [c, []]));
  if (columns.length === 0) return out;
  const select = columns.map((c, i) => `${sqlIdent(c)}::VARCHAR AS v${i}`).join(', ');
  const rows = await engine.all(
    `SELECT ${select} FROM ${relation} USING SAMPLE reservoir(${size} ROWS) REPEATABLE (42)`,
  );
  for (const row of rows) {
    columns.forEach((c, i) => {
      const value = sqlText(row[`v${i}`]);
      if (value !== null) out.get(c)?.push(value);
    });
  }
  return out;
}
