import { describe, expect, it } from 'vitest';
import { npyHeader } from '../../../../../../shared/domain/exports/formats/npy';
import { readNpy } from '../support/npy-reader';

/** Headers NumPy 1.24 writes (numpy.lib.format.write_array, version (1, 0)) for zero arrays of these shapes. */
const NUMPY_HEADERS = {
  'float32 (3, 2)':
    '934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c2032292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a',
  'int64 (5,)':
    '934e554d5059010076007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028352c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a',
  'float32 (0, 4)':
    '934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028302c2034292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a',
};

describe('npyHeader', () => {
  it.each([
    ['float32 (3, 2)', '<f4', [3, 2]],
    ['int64 (5,)', '<i8', [5]],
    ['float32 (0, 4)', '<f4', [0, 4]],
  ] as const)('writes the bytes NumPy writes for %s', (name, dtype, shape) => {
    expect(Buffer.from(npyHeader(dtype, shape)).toString('hex')).toBe(NUMPY_HEADERS[name]);
  });

  it('pads the header so the data starts at a multiple of 64 bytes, ending in a newline', () => {
    for (const shape of [[1], [4, 3], [0, 7], [2, 1000], [1234567, 0]]) {
      const header = npyHeader('<f4', shape);
      expect(header.length % 64).toBe(0);
      expect(header[header.length - 1]).toBe(0x0a);
      const data = new Uint8Array(shape.reduce((a, b) => a * b, 1) * 4);
      const parsed = readNpy(new Uint8Array([...header, ...data]));
      expect(parsed).toMatchObject({ version: [1, 0], descr: '<f4', fortranOrder: false, shape });
      expect(parsed.dataOffset).toBe(header.length);
    }
  });
});
