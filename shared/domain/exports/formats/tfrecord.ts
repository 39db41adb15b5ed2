import { maskedCrc32c } from './crc32c';

/**
 * One TFRecord frame: the data's length (uint64, little-endian), the masked CRC-32C of those
 * 8 bytes, the data, and the masked CRC-32C of the data (both uint32, little-endian).
 */
export function tfRecordFrame(data: Uint8Array): Uint8Array {
  const frame = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(frame.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(frame.subarray(0, 8)), true);
  frame.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return frame;
}
