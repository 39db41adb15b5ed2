import * as z from 'zod';
import { findColumn, stringColumn, type Table } from '../../../learning/table';
import { defineNode } from '../../node-definition';
import { NodeError } from '../../node-errors';
import { downloadInput, throwIfCancelled } from '../../table-io';
import { readFrame, writeFrameOutput } from '../../table-frames';
import { extractEntities, type Entity } from './extract-entities';

/**
 * text.entities: the English people, places and organisations of a text column, found by a
 * rule-based tagger (extract-entities.ts), as three columns of names separated by "; " and one
 * JSON column listing every entity with its type.
 */
export const entitiesNode = defineNode({
  key: 'text.entities',
  params: z
    .object({
      column: z.string().min(1).max(255).default('text').describe('The text column; default: "text".'),
      prefix: z.string().max(64).default('').describe('Put before the new column names, e.g. "body_".'),
    })
    .strict(),
  async run(context, inputs, params) {
    const table = await readFrame(context, await downloadInput(context, inputs, 'table'));
    const source = findColumn(table, params.column);
    if (!source || source.kind !== 'string')
      throw new NodeError(
        source
          ? `Column "${params.column}" is ${source.kind}, not text.`
          : `Column "${params.column}" does not exist (columns: ${table.columns.map((c) => `"${c.name}"`).join(', ')}).`,
        'params.column',
      );
    const names = ['people', 'places', 'organizations', 'entities'].map((n) => `${params.prefix}${n}`);
    const clash = names.find((n) => findColumn(table, n));
    if (clash)
      throw new NodeError(`The table already has a column "${clash}"; set "prefix".`, 'params.prefix');
    const found: Entity[][] = [];
    for (let row = 0; row < table.nRows; row += 1) {
      if (row % 500 === 0) {
        throwIfCancelled(context);
        await context.progress(
          row / Math.max(1, table.nRows),
          `tagging document ${row + 1} of ${table.nRows}`,
        );
      }
      found.push(extractEntities(source.values[row] ?? null));
    }
    const join = (type: Entity['type']) =>
      found.map((list) =>
        list
          .filter((e) => e.type === type)
          .map((e) => e.text)
          .join('; '),
      );
    const out: Table = {
      nRows: table.nRows,
      columns: [
        ...table.columns,
        stringColumn(names[0] ?? 'people', join('person')),
        stringColumn(names[1] ?? 'places', join('place')),
        stringColumn(names[2] ?? 'organizations', join('organization')),
        stringColumn(
          names[3] ?? 'entities',
          found.map((list) => JSON.stringify(list)),
        ),
      ],
    };
    const written = await writeFrameOutput(context, 'table', out);
    const count = (type: Entity['type']) =>
      found.reduce((n, list) => n + list.filter((e) => e.type === type).length, 0);
    return {
      outputs: { table: written },
      metrics: {
        rows: table.nRows,
        people: count('person'),
        places: count('place'),
        organizations: count('organization'),
      },
    };
  },
});
