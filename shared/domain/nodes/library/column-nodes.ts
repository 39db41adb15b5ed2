import * as z from 'zod';
import { defineNode } from '../node-definition';
import { NodeError } from '../node-errors';
import { describeColumns, downloadInput, projection, requireColumns, writeParquetOutput } from '../table-io';
import { readParquet } from '../table-sql';

/** Column-level transforms: select, rename, drop. Each reads `table` and writes `table`. */
const columnName = z.string().min(1).max(255);
const columnList = z
  .array(columnName)
  .min(1)
  .refine((list) => new Set(list).size === list.length, { message: 'columns must not repeat' });

export const selectColumnsNode = defineNode({
  key: 'table.select_columns',
  params: z.object({ columns: columnList }).strict(),
  async run(context, inputs, params) {
    const file = await downloadInput(context, inputs, 'table');
    const columns = await describeColumns(context, file);
    requireColumns(columns, params.columns, 'columns');
    await context.progress(0.5, 'selecting columns');
    const table = await writeParquetOutput(
      context,
      'table',
      `SELECT ${projection(params.columns.map((source) => ({ source })))} FROM ${readParquet(file)}`,
    );
    return {
      outputs: { table },
      metrics: { rows: table.rows ?? 0, columnsIn: columns.length, columnsOut: params.columns.length },
    };
  },
});

export const renameColumnsNode = defineNode({
  key: 'table.rename_columns',
  params: z
    .object({
      mapping: z
        .record(columnName, columnName)
        .refine((m) => Object.keys(m).length > 0, 'mapping must rename at least one column'),
    })
    .strict(),
  async run(context, inputs, params) {
    const file = await downloadInput(context, inputs, 'table');
    const columns = await describeColumns(context, file);
    requireColumns(columns, Object.keys(params.mapping), 'mapping');
    const renamed = columns.map((c) => ({ source: c.name, alias: params.mapping[c.name] ?? c.name }));
    const seen = new Set<string>();
    for (const { alias } of renamed) {
      if (seen.has(alias))
        throw new NodeError(`After renaming, two columns would be called "${alias}".`, 'mapping');
      seen.add(alias);
    }
    await context.progress(0.5, 'renaming columns');
    const table = await writeParquetOutput(
      context,
      'table',
      `SELECT ${projection(renamed)} FROM ${readParquet(file)}`,
    );
    return {
      outputs: { table },
      metrics: { rows: table.rows ?? 0, renamed: Object.keys(params.mapping).length },
    };
  },
});

export const dropColumnsNode = defineNode({
  key: 'table.drop_columns',
  params: z.object({ columns: columnList }).strict(),
  async run(context, inputs, params) {
    const file = await downloadInput(context, inputs, 'table');
    const columns = await describeColumns(context, file);
    requireColumns(columns, params.columns, 'columns');
    const dropped = new Set(params.columns);
    const kept = columns.filter((c) => !dropped.has(c.name));
    if (kept.length === 0)
      throw new NodeError('Dropping these columns would leave the table with none.', 'columns');
    await context.progress(0.5, 'dropping columns');
    const table = await writeParquetOutput(
      context,
      'table',
      `SELECT ${projection(kept.map((c) => ({ source: c.name })))} FROM ${readParquet(file)}`,
    );
    return { outputs: { table }, metrics: { rows: table.rows ?? 0, dropped: dropped.size } };
  },
});
