import { forEachLimited } from '../../../../kernel/for-each-limited';
import type { MediaInput } from '../../../learning/media-input';
import { createTable, findColumn, numberColumn, type Table } from '../../../learning/table';
import type { NodeContext, NodeInputs, NodeResult } from '../../node-definition';
import { NodeError } from '../../node-errors';
import { readFrame, writeFrameOutput, writeJsonOutput } from '../../table-frames';
import { downloadInput, throwIfCancelled } from '../../table-io';
import type { TransformsDocument } from '../learning/transforms-document';

/**
 * Image, audio and video nodes read media manifests: tables with one row per stored file whose
 * `object_key` names the object (a dataset version's manifest, or what another media node wrote).
 * Only the caller's own objects are read, whatever a table says.
 */
export const OBJECT_KEY_COLUMN = 'object_key';

/** What a manifest's rows name, as its errors say it ("one of your stored recordings"). */
export type MediaNoun = 'image' | 'recording' | 'clip' | 'frame';

export interface ManifestKind {
  /** How the error names the expected table: "an image manifest". */
  what: string;
  /** The row's noun, for "naming each stored …". */
  noun: MediaNoun;
  /** The way out: "Connect an image dataset or another image node." */
  connect: string;
}

/** Reads a media manifest from an input port, refusing a table without a text `object_key`. */
export async function readMediaManifest(
  context: NodeContext,
  inputs: NodeInputs,
  kind: ManifestKind,
  port = 'table',
): Promise<Table> {
  const table = await readFrame(context, await downloadInput(context, inputs, port));
  const column = findColumn(table, OBJECT_KEY_COLUMN);
  if (!column || column.kind !== 'string')
    throw new NodeError(
      `The input is not ${kind.what}: it has no text column "${OBJECT_KEY_COLUMN}" naming each stored ${kind.noun}. ${kind.connect}`,
      `inputs.${port}`,
    );
  return table;
}

export function objectKeysOf(table: Table): (string | null)[] {
  const column = findColumn(table, OBJECT_KEY_COLUMN);
  return column && column.kind === 'string' ? [...column.values] : [];
}

/**
 * Reads the stored object a manifest row names, if it is one of the caller's: another account's
 * key, or a path that climbs out, is refused as if it did not exist. Errors name the row (counted
 * from 1) and the noun of what the manifest lists.
 */
export async function readOwnObject(
  context: NodeContext,
  key: string | null | undefined,
  row: number,
  noun: MediaNoun,
): Promise<Uint8Array> {
  if (!key) throw new NodeError(`Row ${row + 1} has no "${OBJECT_KEY_COLUMN}".`, 'inputs.table');
  const own = key.startsWith(`processed/${context.userId}/`) || key.startsWith(`jobs/${context.userId}/`);
  if (!own || key.includes('..'))
    throw new NodeError(
      `Row ${row + 1}: "${OBJECT_KEY_COLUMN}" does not name one of your stored ${noun}s.`,
      'inputs.table',
    );
  throwIfCancelled(context);
  try {
    return await context.blobs.getBytes(key);
  } catch (error) {
    if (error instanceof Error && error.name === 'NotFoundError')
      throw new NodeError(
        `Row ${row + 1}: the ${noun} ${key.split('/').pop() ?? ''} is no longer stored.`,
        'inputs.table',
      );
    throw error;
  }
}

/** Runs `work` over indices 0…n−1, `limit` at a time, reporting progress as rows finish. */
export async function eachRow(
  context: NodeContext,
  n: number,
  limit: number,
  step: string,
  work: (row: number) => Promise<void>,
): Promise<void> {
  let done = 0;
  await forEachLimited(n, limit, async (row) => {
    throwIfCancelled(context);
    await work(row);
    done += 1;
    if (done % 25 === 0) await context.progress(0.05 + (0.85 * done) / n, step);
  });
}

/**
 * Writes a feature node's table: the manifest's columns named in `keep` (when present), then one
 * number column per feature. When every row names a file of a dataset version as it was
 * ingested, the output carries (as its transforms document) how the features were made, so a
 * model trained on it can be sent the file itself and replay them. Files another node rewrote
 * (resized, normalised, augmented, resampled) are not replayed: those tables carry nothing and
 * their models predict in pipelines.
 */
export async function writeMediaFeatures(
  context: NodeContext,
  manifest: Table,
  features: { names: readonly string[]; columns: readonly Float64Array[]; keep: readonly string[] },
  media: MediaInput,
): Promise<NodeResult> {
  const { names, columns, keep } = features;
  const kept = keep.flatMap((name) => {
    const column = findColumn(manifest, name);
    return column && !names.includes(name) ? [column] : [];
  });
  const table = createTable(
    [...kept, ...names.map((name, f) => numberColumn(name, columns[f] ?? new Float64Array(0)))],
    manifest.nRows,
  );
  let out = await writeFrameOutput(context, 'table', table);
  const keys = objectKeysOf(manifest);
  if (keys.length > 0 && keys.every((key) => key?.startsWith(`processed/${context.userId}/`))) {
    const target = (await context.jobDataset())?.targetColumn ?? undefined;
    const document: TransformsDocument = {
      format: 'pipeweave.transforms',
      version: 1,
      inputs: table.columns
        .filter((column) => column.name !== target)
        .map((column) => ({ name: column.name, type: column.kind })),
      states: [],
      media,
    };
    out = { ...out, transformsKey: (await writeJsonOutput(context, 'transforms', document)).key };
  }
  return {
    outputs: { table: out },
    metrics: { rows: manifest.nRows, features: names.length, keptColumns: kept.map((c) => c.name).join(',') },
  };
}
