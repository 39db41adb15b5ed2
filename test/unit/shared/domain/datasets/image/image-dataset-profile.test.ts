import { describe, expect, it } from 'vitest';
import {
  differenceHash,
  hammingDistance,
  profileImages,
  type ImageRowFacts,
} from '../../../../../../shared/domain/datasets/ingestion/workers/media/image-dataset-profile';

const row = (path: string, label: string | null, width: number, height: number, dhash: string, sha = path) =>
  ({ path, label, width, height, dhash, sha256: sha }) satisfies ImageRowFacts;

describe('the image dataset profile', () => {
  it('counts classes largest first with their shares and the imbalance ratio', () => {
    const profile = profileImages(
      [
        row('a', 'cat', 100, 50, '0000000000000000'),
        row('b', 'cat', 100, 50, '00000000000000ff'),
        row('c', 'cat', 200, 100, 'ffffffffffffffff'),
        row('d', 'dog', 50, 100, 'f0f0f0f0f0f0f0f0'),
        row('e', null, 60, 60, '0f0f0f0f0f0f0f0f'),
      ],
      { corrupt: 2, rejected: 3 },
    );
    expect(profile.classes).toEqual([
      { label: 'cat', count: 3, share: 0.75 },
      { label: 'dog', count: 1, share: 0.25 },
    ]);
    expect(profile).toMatchObject({
      images: 5,
      labelled: 4,
      imbalanceRatio: 3,
      corruptCount: 2,
      rejectedCount: 3,
      width: { min: 50, median: 100, max: 200 },
      aspectRatio: { min: 0.5, median: 2, max: 2 },
    });
    expect(profile.aspectRatio.histogram.reduce((n, bin) => n + bin.count, 0)).toBe(5);
  });

  it('groups images whose hashes are a few bits apart, transitively, and counts exact duplicates', () => {
    const profile = profileImages(
      [
        row('a', 'x', 10, 10, '0000000000000000', 's1'),
        row('b', 'x', 10, 10, '0000000000000007', 's2'),
        row('c', 'x', 10, 10, '000000000000003f', 's3'),
        row('d', 'x', 10, 10, 'ffffffffffffffff', 's1'),
      ],
      { corrupt: 0, rejected: 0 },
      4,
    );
    // Within 4 bits: a–b differ in 3 and b–c in 3, so a, b and c are one group though a–c are 6
    // apart; d stands alone.
    expect(profile.nearDuplicateGroups).toEqual([{ paths: ['a', 'b', 'c'], maxDistance: 3 }]);
    expect(profile.nearDuplicateGroupCount).toBe(1);
    expect(profile.exactDuplicateGroups).toBe(1);
  });

  it('hashes a left-to-right gradient as all ones and measures distances in bits', () => {
    const data = new Uint8Array(72);
    for (let y = 0; y < 8; y += 1) for (let x = 0; x < 9; x += 1) data[y * 9 + x] = 255 - x * 20;
    expect(differenceHash({ data, width: 9, height: 8, channels: 1 })).toBe('ffffffffffffffff');
    expect(hammingDistance('ffffffffffffffff', '0000000000000000')).toBe(64);
    expect(hammingDistance('00000000000000f0', '0000000000000001')).toBe(5);
  });
});
