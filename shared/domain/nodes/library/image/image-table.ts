import { createHash } from 'node:crypto';
import type { ImageCodec } from '../../../../ports/image-codec.port';
import { findColumn, type Table } from '../../../learning/table';
import type { NodeContext, NodeInputs } from '../../node-definition';
import { NodeError } from '../../node-errors';
import { readFrame } from '../../table-frames';
import { downloadInput, throwIfCancelled } from '../../table-io';

/**
 * Image nodes read an image manifest: a table with one row per image whose `object_key` names the
 * stored image (a dataset version's manifest, or what another image node wrote). Only the
 * caller's own objects are read, whatever a table says.
 */
export const OBJECT_KEY_COLUMN = 'object_key';

export function imageCodecOf(context: NodeContext): ImageCodec {
  if (!context.images)
    throw new NodeError('This host cannot decode images: run the node on the node runner.', 'type');
  return context.images;
}

export async function readImageTable(
  context: NodeContext,
  inputs: NodeInputs,
  port = 'table',
): Promise<Table> {
  const table = await readFrame(context, await downloadInput(context, inputs, port));
  const column = findColumn(table, OBJECT_KEY_COLUMN);
  if (!column || column.kind !== 'string')
    throw new NodeError(
      `The input is not an image manifest: it has no text column "${OBJECT_KEY_COLUMN}" naming each stored image. Connect an image dataset or another image node.`,
      `inputs.${port}`,
    );
  return table;
}

export function objectKeysOf(table: Table): (string | null)[] {
  const column = findColumn(table, OBJECT_KEY_COLUMN);
  return column && column.kind === 'string' ? [...column.values] : [];
}

/** Reads one stored image of the caller's; another account's key is refused as if it did not exist. */
export async function readOwnImage(context: NodeContext, key: string, row: number): Promise<Uint8Array> {
  const own = key.startsWith(`processed/${context.userId}/`) || key.startsWith(`jobs/${context.userId}/`);
  if (!own || key.includes('..'))
    throw new NodeError(
      `Row ${row + 1}: "${OBJECT_KEY_COLUMN}" does not name one of your stored images.`,
      'inputs.table',
    );
  throwIfCancelled(context);
  try {
    return await context.blobs.getBytes(key);
  } catch (error) {
    if (error instanceof Error && error.name === 'NotFoundError')
      throw new NodeError(
        `Row ${row + 1}: the image ${key.split('/').pop() ?? ''} is no longer stored.`,
        'inputs.table',
      );
    throw error;
  }
}

/** Stores an image a node made under the node's outputs, named by its content. */
export async function storeNodeImage(
  context: NodeContext,
  bytes: Uint8Array,
  format: 'png' | 'jpeg' | 'webp',
): Promise<{ key: string; sha256: string }> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const key = context.outputKey(`img-${sha256.slice(0, 60)}`, format === 'jpeg' ? 'jpg' : format);
  await context.blobs.put(key, bytes, { contentType: `image/${format}`, contentLength: bytes.byteLength });
  return { key, sha256 };
}

/** Runs `work` over indices 0…n−1, `limit` at a time, reporting progress as rows finish. */
export async function eachRow(
  context: NodeContext,
  n: number,
  limit: number,
  step: string,
  work: (row: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let done = 0;
  const lanes = Array.from({ length: Math.min(limit, n) }, async () => {
    while (next < n) {
      const row = next;
      next += 1;
      throwIfCancelled(context);
      await work(row);
      done += 1;
      if (done % 25 === 0) await context.progress(0.05 + (0.85 * done) / n, step);
    }
  });
  await Promise.all(lanes);
}
