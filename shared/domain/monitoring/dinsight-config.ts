import * as z from 'zod';

/**
 * The parameters of a DInsight map, as the seed's `config_data` names them, with its defaults.
 *
 * What each one does here:
 * - `startDim`…`endDim`: the feature columns (by position in the table, both included);
 *   `endMeta`: the last metadata column (the columns before `startDim`, up to it, are kept aside).
 * - `optimizer`: `adam` (`alpha`, `beta1`, `beta2`, `epsilon`) or `sgd`, momentum gradient descent
 *   with step `eta` and momentum `beta`.
 * - `imax`: at most this many iterations; `gamma0`: stop earlier once the mean squared similarity
 *   error changes by less than this between two iterations.
 * - `a`, `w1`, `w2`, `whichW1`: the similarity f(x) = a·exp(−x²/w1) + (1 − a)(1 − x²/w2);
 *   `whichW1 = auto` takes w1 = mean of the normalised distances, anything else the given `w1`.
 * - `lowdim`: the map's dimension (2 for the picture; any positive whole number works).
 * - `mode` (`kanadaSan`, the only similarity there is) and `paramMode` are stored and echoed with
 *   the analysis for parity with the seed; they change nothing in the computation.
 * - `seed`: the starting positions (and every other random draw) are seeded by it.
 */
export const dinsightConfigSchema = z
  .object({
    gamma0: z.number().gt(0).default(1e-7),
    optimizer: z.enum(['adam', 'sgd']).default('adam'),
    alpha: z.number().gt(0).default(0.1),
    endMeta: z.string().min(1).max(255).optional(),
    startDim: z.string().min(1).max(255).default('f_0'),
    endDim: z.string().min(1).max(255).default('f_1023'),
    imax: z.number().int().min(1).max(100_000).default(1000),
    lowdim: z.number().int().min(1).max(10).default(2),
    eta: z.number().gt(0).default(0.5),
    epsilon: z.number().gt(0).default(1e-8),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    beta: z.number().min(0).lt(1).default(0.5),
    a: z.number().min(0).max(1).default(0.8),
    w1: z.number().gt(0).default(0.04),
    w2: z.number().gt(0).default(1),
    whichW1: z.enum(['auto', 'fixed']).default('auto'),
    mode: z.literal('kanadaSan').default('kanadaSan'),
    paramMode: z.number().default(0.3),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(42),
    /** The metadata column that colours the scatter plot (default: the last metadata column). */
    colorBy: z.string().min(1).max(255).optional(),
    /** Anomaly thresholds: `quantile` of the baseline's scores, or `sigma`: mean + k·σ. */
    thresholdMethod: z.enum(['quantile', 'sigma']).default('quantile'),
    /** The quantile of the baseline's leave-one-out scores a new row must pass to be anomalous. */
    quantile: z.number().gt(0.5).lt(1).default(0.995),
    /** k of mean + k·σ (the 2-D Mahalanobis threshold always uses it, as DInsight does). */
    sensitivity: z.number().gt(0).max(20).default(3),
    /** Principal components kept for T² and the reconstruction error. */
    pcaComponents: z.number().int().min(1).max(50).default(10),
  })
  .strict();

export type DinsightConfig = z.infer<typeof dinsightConfigSchema>;

export const DEFAULT_DINSIGHT_CONFIG: DinsightConfig = dinsightConfigSchema.parse({});
