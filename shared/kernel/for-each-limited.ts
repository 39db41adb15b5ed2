/**
 * Runs `work(0)` … `work(count - 1)` with at most `limit` of them in flight at once, in index
 * order of starting; the first rejection rejects the whole.
 */
export async function forEachLimited(
  count: number,
  limit: number,
  work: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(Math.max(1, limit), count) }, async () => {
    while (next < count) {
      const index = next;
      next += 1;
      await work(index);
    }
  });
  await Promise.all(lanes);
}
