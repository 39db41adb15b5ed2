/**
 * The header of a NumPy `.npy` file, format version 1.0 (numpy/lib/format.py, NEP 1): the magic
 * string `\x93NUMPY`, version bytes 1 and 0, the header length (uint16, little-endian), then a
 * Python dict literal (`descr`, `fortran_order`, `shape`) padded with spaces and ending in `\n`
 * so that the data that follows starts at a multiple of 64 bytes. Data is C order
 * (row-major) in the byte order `descr` names.
 */
export type NpyDtype = '<f4' | '<i8';

export const NPY_ITEM_BYTES: Record<NpyDtype, number> = { '<f4': 4, '<i8': 8 };

const MAGIC = [0x93, ...Buffer.from('NUMPY', 'latin1')];
const ALIGNMENT = 64;

export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${dims}, }`;
  const prefix = MAGIC.length + 2 + 2;
  const unpadded = prefix + dict.length + 1;
  const total = Math.ceil(unpadded / ALIGNMENT) * ALIGNMENT;
  const text = dict + ' '.repeat(total - unpadded) + '\n';
  if (text.length > 0xffff) throw new RangeError('npy header longer than format 1.0 allows');
  const header = new Uint8Array(total);
  header.set(MAGIC, 0);
  header[6] = 1;
  header[7] = 0;
  new DataView(header.buffer).setUint16(8, text.length, true);
  header.set(Buffer.from(text, 'latin1'), prefix);
  return header;
}
