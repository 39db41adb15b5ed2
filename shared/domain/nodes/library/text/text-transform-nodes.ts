import * as z from 'zod';
import { STOP_WORD_LANGUAGES } from '../../../learning/transforms/text-words';
import type { NodeImplementation } from '../../node-definition';
import { defineTransformNode, transformNodeParams } from '../learning/transform-nodes';

/**
 * Text steps as fitted transforms: each is fitted on its `train` input, applied to `train` and
 * `test`, and joins the transforms its input carries, so a model trained downstream replays it on
 * the raw text of prediction requests. They read the `text` column of a text dataset by default.
 */
const target = z
  .string()
  .min(1)
  .max(255)
  .optional()
  .describe("The label column, left untouched; default: the dataset's target column.");
const textColumns = z
  .array(z.string().min(1).max(255))
  .min(1)
  .max(100)
  .default(['text'])
  .describe('The text columns; default: "text", the documents of a text dataset.');

export const textCleanNode: NodeImplementation = defineTransformNode(
  'text.clean',
  'text_clean',
  z
    .object({
      target,
      columns: textColumns,
      lowercase: z.boolean().default(true),
      stripMarkup: z
        .boolean()
        .default(true)
        .describe('Remove HTML/XML tags and decode character references.'),
      normalization: z.enum(['NFKC', 'NFC', 'NFKD', 'NFD', 'none']).default('NFKC'),
      stripAccents: z.boolean().default(false),
      collapseWhitespace: z.boolean().default(true),
    })
    .strict(),
);

export const textTokenizeNode: NodeImplementation = defineTransformNode(
  'text.tokenize',
  'text_tokenize',
  z
    .object({
      target,
      columns: textColumns,
      language: z
        .enum(['auto', 'none', ...STOP_WORD_LANGUAGES] as [string, ...string[]])
        .default('auto')
        .describe(
          'Whose stop words to drop: auto (detected on the training rows), none, or an ISO 639-3 code (eng, fra, deu, spa, ita, por, nld).',
        ),
      removeStopWords: z.boolean().default(true),
      extraStopWords: z.array(z.string().min(1).max(100)).max(10_000).optional(),
      minLength: z.number().int().min(1).max(50).default(1),
      lowercase: z.boolean().default(true),
    })
    .strict(),
);

export const textTfidfNode: NodeImplementation = defineTransformNode(
  'text.tfidf',
  'tfidf',
  transformNodeParams('tfidf').extend({
    column: z.string().min(1).max(255).default('text').describe('The text column; default: "text".'),
  }),
);

export const textTransformNodes: readonly NodeImplementation[] = [
  textCleanNode,
  textTokenizeNode,
  textTfidfNode,
];
