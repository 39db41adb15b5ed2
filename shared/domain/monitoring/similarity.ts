/** DInsight's similarity of a (normalised) distance x: f(x) = a·exp(−x²/w1) + (1 − a)(1 − x²/w2). */
export interface Similarity {
  a: number;
  w1: number;
  w2: number;
}

export function similarity(s: Similarity, x: number): number {
  const x2 = x * x;
  return s.a * Math.exp(-x2 / s.w1) + (1 - s.a) * (1 - x2 / s.w2);
}

/** Normalises a distance with the baseline's smallest positive and largest distance. */
export function normaliseDistance(d: number, range: { min: number; max: number }): number {
  const span = range.max - range.min;
  if (!(span > 0)) return 0;
  // A far-away monitored row keeps a value above 1: that is how it lands far from the map.
  return Math.max(0, (d - range.min) / span);
}
