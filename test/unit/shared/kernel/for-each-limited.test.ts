import { describe, expect, it } from 'vitest';
import { forEachLimited } from '../../../../shared/kernel/for-each-limited';

describe('forEachLimited', () => {
  it('runs every index once, never more than the limit at a time', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    await forEachLimited(23, 4, async (index) => {
      running += 1;
      most = Math.max(most, running);
      await Promise.resolve();
      seen.push(index);
      running -= 1;
    });
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(most).toBe(4);
  });

  it('rejects with the first failure', async () => {
    await expect(
      forEachLimited(5, 2, async (index) => {
        if (index === 3) throw new Error('row 3 failed');
      }),
    ).rejects.toThrow('row 3 failed');
  });
});
