import { describe, expect, it } from 'vitest';
import { crc32c, maskedCrc32c } from '../../../../../../shared/domain/exports/formats/crc32c';
import { crc32cBitwise, maskCrc } from '../support/tfrecord-reader';

const ascii = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));

describe('crc32c', () => {
  it.each([
    // The check value of CRC-32C, and the test vectors of RFC 3720 (iSCSI), appendix B.4.
    ['123456789', ascii('123456789'), 0xe3069283],
    ['no bytes', new Uint8Array(0), 0],
    ['32 zero bytes', new Uint8Array(32), 0x8a9136aa],
    ['32 bytes 0xff', new Uint8Array(32).fill(0xff), 0x62a8ab43],
    ['bytes 0 to 31', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    ['bytes 31 to 0', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
  ])('of %s is the published value', (_name, bytes, expected) => {
    expect(crc32c(bytes)).toBe(expected);
  });

  it('masks as TensorFlow does: rotate right 15 bits, add 0xa282ead8', () => {
    // ((0xe3069283 >>> 15) | (0xe3069283 << 17)) + 0xa282ead8, worked by hand (mod 2^32).
    expect(maskedCrc32c(ascii('123456789'))).toBe(0xc78ab0e5);
  });

  it('agrees with a bitwise implementation on other data', () => {
    for (let length = 0; length < 300; length += 7) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 131 + length * 17) & 0xff);
      expect(crc32c(bytes)).toBe(crc32cBitwise(bytes));
      expect(maskedCrc32c(bytes)).toBe(maskCrc(crc32cBitwise(bytes)));
    }
  });
});
