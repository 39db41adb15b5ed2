/**
 * A reader of NumPy `.npy` files written from the published format description
 * (numpy.lib.format, NEP 1), independent of the writer under test: version 1.0 only, the dtypes
 * the exports use, C order.
 */
export interface NpyArray {
  version: [number, number];
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Offset of the data: a multiple of 64. */
  dataOffset: number;
  values: number[] | bigint[];
}

export function readNpy(bytes: Uint8Array): NpyArray {
  const magic = Buffer.from(bytes.subarray(0, 6));
  if (!magic.equals(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]))) throw new Error('not an npy file');
  const version: [number, number] = [bytes[6] ?? -1, bytes[7] ?? -1];
  if (version[0] !== 1 || version[1] !== 0) throw new Error(`npy version ${version.join('.')}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint16(8, true);
  const dataOffset = 10 + headerLength;
  const header = Buffer.from(bytes.subarray(10, dataOffset)).toString('latin1');
  if (!header.endsWith('\n')) throw new Error('npy header does not end with a newline');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`npy header unreadable: ${header}`);
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const values: number[] | bigint[] = [];
  if (descr === '<f4')
    for (let i = 0; i < count; i += 1) (values as number[]).push(view.getFloat32(dataOffset + i * 4, true));
  else if (descr === '<i8')
    for (let i = 0; i < count; i += 1) (values as bigint[]).push(view.getBigInt64(dataOffset + i * 8, true));
  else throw new Error(`npy dtype ${descr} not read here`);
  const itemSize = descr === '<f4' ? 4 : 8;
  if (bytes.length !== dataOffset + count * itemSize)
    throw new Error('npy data length does not match its shape');
  return { version, descr, fortranOrder: fortran === 'True', shape, dataOffset, values };
}
