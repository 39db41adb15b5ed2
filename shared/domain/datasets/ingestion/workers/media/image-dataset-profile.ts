import type { RawImage } from '../../../../../ports/image-codec.port';

/**
 * What an image dataset looks like, from its manifest rows: classes and their balance, sizes and
 * aspect ratios, the files left out, and groups of near-duplicates by perceptual hash (dHash).
 */

/** dHash input: 9 × 8 grey pixels, each row compared left to right. */
export const DHASH_WIDTH = 9;
export const DHASH_HEIGHT = 8;

/** The 64-bit difference hash of a 9 × 8 grey image, as 16 hex digits. */
export function differenceHash(image: RawImage): string {
  if (image.width !== DHASH_WIDTH || image.height !== DHASH_HEIGHT || image.channels !== 1)
    throw new Error(`dHash needs a ${DHASH_WIDTH}×${DHASH_HEIGHT} grey image`);
  let hex = '';
  for (let y = 0; y < DHASH_HEIGHT; y += 1) {
    let byte = 0;
    for (let x = 0; x < DHASH_WIDTH - 1; x += 1) {
      const left = image.data[y * DHASH_WIDTH + x] ?? 0;
      const right = image.data[y * DHASH_WIDTH + x + 1] ?? 0;
      byte = (byte << 1) | (left > right ? 1 : 0);
    }
    hex += byte.toString(16).padStart(2, '0');
  }
  return hex;
}

/** Bits that differ between two hashes of the same length. */
export function hammingDistance(a: string, b: string): number {
  let distance = 0;
  for (let i = 0; i < a.length; i += 2) {
    let x = Number.parseInt(a.slice(i, i + 2), 16) ^ Number.parseInt(b.slice(i, i + 2), 16);
    while (x) {
      distance += x & 1;
      x >>= 1;
    }
  }
  return distance;
}

export interface ImageRowFacts {
  path: string;
  label: string | null;
  width: number;
  height: number;
  dhash: string;
  sha256: string;
}

export interface HistogramBin {
  lower: number;
  upper: number;
  count: number;
}

export interface ImageDatasetProfile {
  images: number;
  labelled: number;
  classes: { label: string; count: number; share: number }[];
  /** Largest class over smallest class (1 = balanced); null with fewer than two classes. */
  imbalanceRatio: number | null;
  width: { min: number; median: number; max: number };
  height: { min: number; median: number; max: number };
  /** Width ÷ height. */
  aspectRatio: { min: number; median: number; max: number; histogram: HistogramBin[] };
  /** Width × height in megapixels. */
  megapixels: HistogramBin[];
  corruptCount: number;
  rejectedCount: number;
  exactDuplicateGroups: number;
  /** Images whose dHashes differ in at most `nearDuplicateDistance` bits, grouped transitively. */
  nearDuplicateDistance: number;
  nearDuplicateGroups: { paths: string[]; maxDistance: number }[];
}

/** Listed groups stop here; `nearDuplicateGroupCount` in the metadata keeps the total. */
const LISTED_GROUPS = 20;
const LISTED_PATHS = 10;

export function profileImages(
  rows: readonly ImageRowFacts[],
  counts: { corrupt: number; rejected: number },
  nearDuplicateDistance = 6,
): ImageDatasetProfile & { nearDuplicateGroupCount: number } {
  const byLabel = new Map<string, number>();
  for (const row of rows) if (row.label !== null) byLabel.set(row.label, (byLabel.get(row.label) ?? 0) + 1);
  const labelled = [...byLabel.values()].reduce((a, b) => a + b, 0);
  const classes = [...byLabel.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([label, count]) => ({ label, count, share: round(count / Math.max(labelled, 1)) }));
  const most = classes[0]?.count ?? 0;
  const least = classes[classes.length - 1]?.count ?? 0;
  const aspects = rows.map((r) => r.width / Math.max(r.height, 1));
  const groups = nearDuplicates(rows, nearDuplicateDistance);
  return {
    images: rows.length,
    labelled,
    classes,
    imbalanceRatio: classes.length >= 2 && least > 0 ? round(most / least) : null,
    width: spread(rows.map((r) => r.width)),
    height: spread(rows.map((r) => r.height)),
    aspectRatio: { ...spread(aspects), histogram: histogram(aspects, 10) },
    megapixels: histogram(
      rows.map((r) => (r.width * r.height) / 1e6),
      10,
    ),
    corruptCount: counts.corrupt,
    rejectedCount: counts.rejected,
    exactDuplicateGroups: exactGroups(rows),
    nearDuplicateDistance,
    nearDuplicateGroups: groups.slice(0, LISTED_GROUPS).map((g) => ({
      paths: g.paths.slice(0, LISTED_PATHS),
      maxDistance: g.maxDistance,
    })),
    nearDuplicateGroupCount: groups.length,
  };
}

function exactGroups(rows: readonly ImageRowFacts[]): number {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.sha256, (counts.get(row.sha256) ?? 0) + 1);
  return [...counts.values()].filter((n) => n > 1).length;
}

/**
 * Pairs within the distance, joined into groups (union–find). Pairs are compared within buckets of
 * one of four 16-bit hash quarters: two hashes within 3 bits share at least one quarter exactly,
 * and every pair is compared when the set is small.
 */
function nearDuplicates(
  rows: readonly ImageRowFacts[],
  distance: number,
): { paths: string[]; maxDistance: number }[] {
  const parent = rows.map((_, i) => i);
  const find = (i: number): number => {
    let root = i;
    while (parent[root] !== root) root = parent[root] ?? root;
    parent[i] = root;
    return root;
  };
  const groupMax = new Map<number, number>();
  const link = (a: number, b: number, d: number) => {
    const ra = find(a);
    const rb = find(b);
    const max = Math.max(d, groupMax.get(ra) ?? 0, groupMax.get(rb) ?? 0);
    if (ra !== rb) parent[rb] = ra;
    groupMax.set(find(a), max);
  };
  const compare = (a: number, b: number) => {
    const ha = rows[a]?.dhash ?? '';
    const hb = rows[b]?.dhash ?? '';
    const d = hammingDistance(ha, hb);
    if (d <= distance) link(a, b, d);
  };
  if (rows.length <= 4_000) {
    for (let a = 0; a < rows.length; a += 1) for (let b = a + 1; b < rows.length; b += 1) compare(a, b);
  } else {
    const seen = new Set<string>();
    for (let quarter = 0; quarter < 4; quarter += 1) {
      const buckets = new Map<string, number[]>();
      rows.forEach((row, i) => {
        const key = row.dhash.slice(quarter * 4, quarter * 4 + 4);
        const bucket = buckets.get(key) ?? [];
        bucket.push(i);
        buckets.set(key, bucket);
      });
      for (const bucket of buckets.values())
        for (let x = 0; x < bucket.length; x += 1)
          for (let y = x + 1; y < bucket.length; y += 1) {
            const a = bucket[x] ?? 0;
            const b = bucket[y] ?? 0;
            const pair = `${a}:${b}`;
            if (seen.has(pair)) continue;
            seen.add(pair);
            compare(a, b);
          }
    }
  }
  const groups = new Map<number, number[]>();
  rows.forEach((_, i) => {
    const root = find(i);
    const members = groups.get(root) ?? [];
    members.push(i);
    groups.set(root, members);
  });
  return [...groups.entries()]
    .filter(([, members]) => members.length > 1)
    .map(([root, members]) => ({
      paths: members.map((i) => rows[i]?.path ?? '').sort(),
      maxDistance: groupMax.get(root) ?? 0,
    }))
    .sort((a, b) => b.paths.length - a.paths.length || (a.paths[0] ?? '').localeCompare(b.paths[0] ?? ''));
}

function spread(values: readonly number[]): { min: number; median: number; max: number } {
  if (values.length === 0) return { min: 0, median: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { min: round(sorted[0] ?? 0), median: round(median), max: round(sorted[sorted.length - 1] ?? 0) };
}

function histogram(values: readonly number[], bins: number): HistogramBin[] {
  if (values.length === 0) return [];
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (max === min) return [{ lower: round(min), upper: round(max), count: values.length }];
  const width = (max - min) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    const bin = Math.min(bins - 1, Math.floor((v - min) / width));
    counts[bin] = (counts[bin] ?? 0) + 1;
  }
  return counts.map((count, i) => ({
    lower: round(min + i * width),
    upper: round(min + (i + 1) * width),
    count,
  }));
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
