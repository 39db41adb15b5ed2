import type { MediaInput } from '../../../learning/media-input';
import type { ColumnKind } from '../../../learning/table';
import type { TransformState } from '../../../learning/transforms/transform-state';
import type { NodeContext } from '../../node-definition';
import { NodeError } from '../../node-errors';
import { readJsonInput } from '../../table-frames';

/**
 * What the `transforms` output of a transform node holds: the columns the first transform saw
 * (what a prediction request sends) and every fitted state since, in order.
 */
export interface TransformsDocument {
  format: 'pipeweave.transforms';
  version: 1;
  inputs: { name: string; type: ColumnKind }[];
  states: TransformState[];
  /** The inputs are features of a stored file (image.features, audio.features), made this way. */
  media?: MediaInput;
}

export async function readTransforms(context: NodeContext, key: string): Promise<TransformsDocument> {
  const document = (await readJsonInput(context, key)) as Partial<TransformsDocument> | null;
  if (
    !document ||
    document.format !== 'pipeweave.transforms' ||
    !Array.isArray(document.inputs) ||
    !Array.isArray(document.states)
  )
    throw new NodeError('The fitted transforms of the input table could not be read.');
  return document as TransformsDocument;
}
