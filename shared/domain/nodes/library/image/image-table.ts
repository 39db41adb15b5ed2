import { createHash } from 'node:crypto';
import type { ImageCodec } from '../../../../ports/image-codec.port';
import type { NodeContext } from '../../node-definition';
import { NodeError } from '../../node-errors';
import type { ManifestKind } from '../media/media-manifest';

/** Image nodes read image manifests (a dataset version's, or what another image node wrote). */
export const IMAGE_MANIFEST: ManifestKind = {
  what: 'an image manifest',
  noun: 'image',
  connect: 'Connect an image dataset or another image node.',
};

export function imageCodecOf(context: NodeContext): ImageCodec {
  if (!context.images)
    throw new NodeError('This host cannot decode images: run the node on the node runner.', 'type');
  return context.images;
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
