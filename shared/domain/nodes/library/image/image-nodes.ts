import * as z from 'zod';
import type { EncodedFormat, ImageOperation } from '../../../../ports/image-codec.port';
import {
  createTable,
  findColumn,
  numberColumn,
  stringColumn,
  type Table,
  type TableColumn,
} from '../../../learning/table';
import { defineNode, type NodeContext, type NodeInputs, type NodeResult } from '../../node-definition';
import { NodeError } from '../../node-errors';
import { writeFrameOutput } from '../../table-frames';
import { planAugmentation } from './augment-plan';
import { imageFeatureNames, imageFeatures } from '../../../image/image-features';
import {
  eachRow,
  OBJECT_KEY_COLUMN,
  objectKeysOf,
  readMediaManifest,
  readOwnObject,
  writeMediaFeatures,
} from '../media/media-manifest';
import { IMAGE_MANIFEST, imageCodecOf, storeNodeImage } from './image-table';

/**
 * Image nodes over image manifests (one row per stored image). `image.resize`, `image.normalize`
 * and `image.augment` write new images under the node's outputs and output the manifest with
 * their keys, sizes and hashes; `image.features` turns each image into a row of numbers that the
 * tabular learners train on. Every node may run on Fargate when the images outgrow a Lambda.
 */
const CONCURRENCY = 4;

const compute = z
  .enum(['lambda', 'fargate'])
  .default('lambda')
  .describe(
    'Where the node runs: Fargate for more images than a Lambda handles in 15 minutes (about 50,000 small ones).',
  );
const format = z.enum(['png', 'jpeg', 'webp']).default('png').describe('Format of the images written.');
const quality = z.number().int().min(1).max(100).default(90).describe('JPEG and WebP quality.');

interface Rewritten {
  key: string;
  sha256: string;
  width: number;
  height: number;
  channels: number;
  sizeBytes: number;
  format: EncodedFormat;
}

/** Copies the other columns of `source` rows and sets the image columns to what was written. */
function rewrittenTable(
  source: Table,
  rows: readonly number[],
  images: readonly Rewritten[],
  extra: TableColumn[] = [],
): Table {
  const replaced = new Set([
    OBJECT_KEY_COLUMN,
    'width',
    'height',
    'channels',
    'format',
    'size_bytes',
    'sha256',
    'dhash',
  ]);
  const copied: TableColumn[] = source.columns
    .filter((c) => !replaced.has(c.name))
    .map((c) =>
      c.kind === 'string'
        ? stringColumn(
            c.name,
            rows.map((r) => c.values[r] ?? null),
          )
        : { ...c, values: Float64Array.from(rows, (r) => c.values[r] ?? NaN) },
    );
  const numbers = (name: string, pick: (image: Rewritten) => number) => numberColumn(name, images.map(pick));
  const texts = (name: string, pick: (image: Rewritten) => string) => stringColumn(name, images.map(pick));
  return createTable(
    [
      ...copied,
      numbers('width', (i) => i.width),
      numbers('height', (i) => i.height),
      numbers('channels', (i) => i.channels),
      texts('format', (i) => i.format),
      numbers('size_bytes', (i) => i.sizeBytes),
      texts('sha256', (i) => i.sha256),
      texts(OBJECT_KEY_COLUMN, (i) => i.key),
      ...extra,
    ],
    rows.length,
  );
}

/** Applies per-row operations to every image, stores the results, outputs the new manifest. */
async function rewriteImages(
  context: NodeContext,
  inputs: NodeInputs,
  output: { format: EncodedFormat; quality: number },
  plan: (
    row: number,
    width: number,
    height: number,
  ) => { operations: ImageOperation[]; note?: string | null }[],
  step: string,
): Promise<NodeResult> {
  const codec = imageCodecOf(context);
  const table = await readMediaManifest(context, inputs, IMAGE_MANIFEST);
  const keys = objectKeysOf(table);
  const widths = findColumn(table, 'width');
  const heights = findColumn(table, 'height');
  const results: { row: number; image: Rewritten; note: string | null }[][] = new Array(table.nRows);
  await eachRow(context, table.nRows, CONCURRENCY, step, async (row) => {
    const bytes = await readOwnObject(context, keys[row], row, 'image');
    const width = widths && widths.kind === 'number' ? (widths.values[row] ?? NaN) : NaN;
    const height = heights && heights.kind === 'number' ? (heights.values[row] ?? NaN) : NaN;
    const out: { row: number; image: Rewritten; note: string | null }[] = [];
    for (const variant of plan(row, width, height)) {
      const made = await codec.transform(bytes, variant.operations, output);
      const stored = await storeNodeImage(context, made.bytes, output.format);
      out.push({
        row,
        note: variant.note ?? null,
        image: {
          ...stored,
          width: made.width,
          height: made.height,
          channels: made.channels,
          sizeBytes: made.bytes.byteLength,
          format: output.format,
        },
      });
    }
    results[row] = out;
  });
  const flat = results.flat();
  const hasNotes = flat.some((r) => r.note !== null);
  const written = rewrittenTable(
    table,
    flat.map((r) => r.row),
    flat.map((r) => r.image),
    hasNotes
      ? [
          stringColumn(
            'augmentation',
            flat.map((r) => r.note),
          ),
        ]
      : [],
  );
  const out = await writeFrameOutput(context, 'table', written);
  return {
    outputs: { table: out },
    metrics: { rowsIn: table.nRows, rows: written.nRows, imagesWritten: flat.length },
  };
}

export const imageResizeNode = defineNode({
  key: 'image.resize',
  params: z
    .object({
      width: z.number().int().min(1).max(4096).default(224),
      height: z.number().int().min(1).max(4096).optional().describe('Default: the width.'),
      fit: z
        .enum(['cover', 'contain', 'fill', 'inside'])
        .default('cover')
        .describe(
          'cover: crop to fill; contain: pad with white; fill: stretch; inside: fit within, keeping the aspect ratio.',
        ),
      format,
      quality,
      compute,
    })
    .strict(),
  runtimeFor: (params) => params.compute,
  run: (context, inputs, params) =>
    rewriteImages(
      context,
      inputs,
      params,
      () => [
        {
          operations: [
            { op: 'resize', width: params.width, height: params.height ?? params.width, fit: params.fit },
          ],
        },
      ],
      'resizing images',
    ),
});

export const imageNormalizeNode = defineNode({
  key: 'image.normalize',
  params: z
    .object({
      colour: z.enum(['rgb', 'grey']).default('rgb').describe('rgb: sRGB colour; grey: one grey channel.'),
      stretchContrast: z
        .boolean()
        .default(false)
        .describe('Stretch each image’s luminance to the full 0–255 range.'),
      format,
      quality,
      compute,
    })
    .strict(),
  runtimeFor: (params) => params.compute,
  run: (context, inputs, params) =>
    rewriteImages(
      context,
      inputs,
      params,
      () => [
        {
          operations: [
            { op: 'flatten' },
            ...(params.colour === 'grey' ? [{ op: 'greyscale' } as const] : []),
            ...(params.stretchContrast ? [{ op: 'stretchContrast' } as const] : []),
          ],
        },
      ],
      'normalising images',
    ),
});

export const imageAugmentParams = z
  .object({
    copies: z.number().int().min(1).max(20).default(2).describe('Augmented copies made of each image.'),
    keepOriginals: z.boolean().default(true).describe('Keep each original row beside its copies.'),
    flipHorizontal: z.boolean().default(true).describe('Mirror left–right with probability ½.'),
    flipVertical: z.boolean().default(false).describe('Mirror top–bottom with probability ½.'),
    maxRotationDegrees: z
      .number()
      .min(0)
      .max(180)
      .default(15)
      .describe('Rotate by a uniform angle in ±this.'),
    rightAngles: z.boolean().default(false).describe('Also rotate by 0, 90, 180 or 270 degrees at random.'),
    minCropScale: z
      .number()
      .min(0.3)
      .max(1)
      .default(0.85)
      .describe('Crop a random box of this share of each side or more.'),
    brightness: z.number().min(0).max(0.9).default(0.2).describe('Brightness multiplied by 1 ± up to this.'),
    saturation: z.number().min(0).max(0.9).default(0.2).describe('Saturation multiplied by 1 ± up to this.'),
    hueDegrees: z.number().min(0).max(180).default(10).describe('Hue shifted by up to ± this.'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(42),
    format,
    quality,
    compute,
  })
  .strict();

export const imageAugmentNode = defineNode({
  key: 'image.augment',
  params: imageAugmentParams,
  runtimeFor: (params) => params.compute,
  run: (context, inputs, params) =>
    rewriteImages(
      context,
      inputs,
      params,
      (row, width, height) => {
        if (!Number.isFinite(width) || !Number.isFinite(height))
          throw new NodeError(
            'The manifest needs "width" and "height" columns to plan crops.',
            'inputs.table',
          );
        const copies = Array.from({ length: params.copies }, (_, copy) =>
          planAugmentation(params, row, copy, width, height),
        );
        return params.keepOriginals ? [{ operations: [], note: null }, ...copies] : copies;
      },
      'augmenting images',
    ),
});

export const imageFeaturesParams = z
  .object({
    size: z
      .number()
      .int()
      .min(8)
      .max(1024)
      .default(64)
      .describe('Each image is first resized to size × size pixels.'),
    colour: z.enum(['rgb', 'grey']).default('rgb'),
    pixelGrid: z
      .number()
      .int()
      .min(0)
      .max(32)
      .default(8)
      .describe('Pixels averaged over a grid × grid; 0 leaves them out.'),
    histogramBins: z
      .number()
      .int()
      .min(0)
      .max(64)
      .default(8)
      .describe('Colour histogram bins per channel; 0 leaves them out.'),
    hog: z
      .boolean()
      .default(true)
      .describe('Histograms of oriented gradients (9 orientations, 2 × 2-cell blocks).'),
    hogSize: z
      .number()
      .int()
      .min(16)
      .max(256)
      .default(32)
      .describe('HOG is computed on the grey image averaged to hogSize × hogSize.'),
    hogCell: z.number().int().min(4).max(32).default(8),
    keep: z
      .array(z.string().min(1).max(255))
      .max(50)
      .default(['label'])
      .describe('Columns of the manifest copied beside the features when present (e.g. label, path).'),
    compute,
  })
  .strict()
  .refine((p) => p.hogCell * 2 <= p.hogSize || !p.hog, {
    message: 'hogSize must hold at least 2 × 2 cells of hogCell',
  })
  .refine((p) => p.pixelGrid > 0 || p.histogramBins > 0 || p.hog, {
    message: 'choose at least one kind of feature',
  });

export const imageFeaturesNode = defineNode({
  key: 'image.features',
  params: imageFeaturesParams,
  runtimeFor: (params) => params.compute,
  async run(context, inputs, params) {
    const codec = imageCodecOf(context);
    const table = await readMediaManifest(context, inputs, IMAGE_MANIFEST);
    const keys = objectKeysOf(table);
    const channels = params.colour === 'grey' ? 1 : 3;
    const options = {
      pixelGrid: params.pixelGrid,
      histogramBins: params.histogramBins,
      hog: params.hog,
      hogSize: params.hogSize,
      hogCell: params.hogCell,
    };
    const names = imageFeatureNames(options, channels);
    const columns = names.map(() => new Float64Array(table.nRows));
    await eachRow(context, table.nRows, CONCURRENCY, 'computing image features', async (row) => {
      const pixels = await codec.decode(await readOwnObject(context, keys[row], row, 'image'), {
        width: params.size,
        height: params.size,
        fit: 'fill',
        channels,
      });
      const features = imageFeatures(pixels, options);
      for (let f = 0; f < features.length; f += 1) {
        const column = columns[f];
        if (column) column[row] = features[f] ?? NaN;
      }
    });
    return writeMediaFeatures(
      context,
      table,
      { names, columns, keep: params.keep },
      { kind: 'image', field: 'image', features: { size: params.size, colour: params.colour, ...options } },
    );
  },
});

export const imageNodes = [imageResizeNode, imageNormalizeNode, imageAugmentNode, imageFeaturesNode];
