import * as z from 'zod';

/**
 * How a model's feature columns were made from a stored file, recorded in its artifact so that a
 * prediction request can send the file itself: an image (decoded to size × size, then downsampled
 * pixels, colour histograms and HOG) or a recording (mixed to mono, resampled, then MFCC, log-mel
 * and spectral statistics). `field` names the row key that carries the file.
 */
export const imageMediaInputSchema = z
  .object({
    kind: z.literal('image'),
    field: z.string().min(1).max(255),
    features: z
      .object({
        size: z.number().int().min(8).max(1024),
        colour: z.enum(['rgb', 'grey']),
        pixelGrid: z.number().int().min(0).max(32),
        histogramBins: z.number().int().min(0).max(64),
        hog: z.boolean(),
        hogSize: z.number().int().min(16).max(256),
        hogCell: z.number().int().min(4).max(32),
      })
      .strict(),
  })
  .strict();

export const audioMediaInputSchema = z
  .object({
    kind: z.literal('audio'),
    field: z.string().min(1).max(255),
    features: z
      .object({
        sampleRate: z.number().int().min(4000).max(48_000),
        nFft: z.union([z.literal(256), z.literal(512), z.literal(1024), z.literal(2048)]),
        hop: z.number().int().min(32).max(2048),
        nMels: z.number().int().min(8).max(128),
        nMfcc: z.number().int().min(1).max(40),
        rolloff: z.number().min(0.5).max(0.99),
      })
      .strict(),
  })
  .strict();

export const mediaInputSchema = z.discriminatedUnion('kind', [imageMediaInputSchema, audioMediaInputSchema]);

export type MediaInput = z.infer<typeof mediaInputSchema>;
export type ImageMediaInput = z.infer<typeof imageMediaInputSchema>;
export type AudioMediaInput = z.infer<typeof audioMediaInputSchema>;
