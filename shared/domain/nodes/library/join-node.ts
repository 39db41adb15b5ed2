import * as z from 'zod';
import { defineNode } from '../node-definition';
import { NodeError } from '../node-errors';
import { countRows, describeColumns, downloadInput, requireColumns, writeParquetOutput } from '../table-io';
import { quoteIdentifier, readParquet } from '../table-sql';

const JOIN_SQL = {
  inner: 'INNER JOIN',
  left: 'LEFT JOIN',
  right: 'RIGHT JOIN',
  outer: 'FULL OUTER JOIN',
} as const;

/**
 * Joins `left` and `right` on key columns present in both. The keys appear once (taken from
 * whichever side has them in outer joins); a right column whose name the left table already uses
 * gets `rightSuffix`.
 */
export const joinNode = defineNode({
  key: 'table.join',
  params: z
    .object({
      on: z.array(z.string().min(1).max(255)).min(1).describe('Key columns present in both tables.'),
      how: z.enum(['inner', 'left', 'right', 'outer']).default('inner'),
      rightSuffix: z.string().min(1).max(32).default('_right'),
    })
    .strict(),
  async run(context, inputs, params) {
    const [leftFile, rightFile] = await Promise.all([
      downloadInput(context, inputs, 'left'),
      downloadInput(context, inputs, 'right'),
    ]);
    const [leftColumns, rightColumns] = await Promise.all([
      describeColumns(context, leftFile),
      describeColumns(context, rightFile),
    ]);
    requireColumns(leftColumns, params.on, 'on');
    requireColumns(rightColumns, params.on, 'on');
    const [leftRows, rightRows] = await Promise.all([
      countRows(context, leftFile),
      countRows(context, rightFile),
    ]);
    await context.progress(0.3, 'joining tables');

    const keys = new Set(params.on);
    const taken = new Set(leftColumns.map((c) => c.name));
    const select: string[] = [];
    for (const key of params.on) {
      const q = quoteIdentifier(key);
      select.push(
        params.how === 'inner' || params.how === 'left'
          ? `l.${q}`
          : params.how === 'right'
            ? `r.${q}`
            : `COALESCE(l.${q}, r.${q}) AS ${q}`,
      );
    }
    for (const column of leftColumns)
      if (!keys.has(column.name)) select.push(`l.${quoteIdentifier(column.name)}`);
    for (const column of rightColumns) {
      if (keys.has(column.name)) continue;
      let alias = column.name;
      if (taken.has(alias)) alias = `${column.name}${params.rightSuffix}`;
      if (taken.has(alias))
        throw new NodeError(
          `Column "${alias}" would appear twice: choose another rightSuffix.`,
          'rightSuffix',
        );
      taken.add(alias);
      select.push(
        alias === column.name
          ? `r.${quoteIdentifier(column.name)}`
          : `r.${quoteIdentifier(column.name)} AS ${quoteIdentifier(alias)}`,
      );
    }
    const condition = params.on
      .map((key) => `l.${quoteIdentifier(key)} = r.${quoteIdentifier(key)}`)
      .join(' AND ');
    const table = await writeParquetOutput(
      context,
      'table',
      `SELECT ${select.join(', ')} FROM ${readParquet(leftFile)} AS l ${JOIN_SQL[params.how]} ${readParquet(rightFile)} AS r ON ${condition}`,
    );
    return {
      outputs: { table },
      metrics: { leftRows, rightRows, rowsIn: leftRows + rightRows, rows: table.rows ?? 0, how: params.how },
    };
  },
});
