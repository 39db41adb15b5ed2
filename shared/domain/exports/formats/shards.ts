/**
 * Shards of a split: `count` consecutive row ranges of (nearly) equal size, never more than the
 * split has rows (an empty split is one empty shard), named as `datasets` names them.
 */
export function shardRanges(rows: number, count: number): { from: number; to: number }[] {
  const shards = Math.max(1, Math.min(count, rows));
  return Array.from({ length: shards }, (_, index) => ({
    from: Math.floor((index * rows) / shards),
    to: Math.floor(((index + 1) * rows) / shards),
  }));
}

/** `train-00000-of-00004`. */
export function shardName(split: string, index: number, count: number): string {
  return `${split}-${String(index).padStart(5, '0')}-of-${String(count).padStart(5, '0')}`;
}
