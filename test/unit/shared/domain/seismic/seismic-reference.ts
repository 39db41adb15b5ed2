/**
 * Reads the segyio and scipy reference fixtures (test/fixtures/seismic), written by
 * scripts/seismic-reference/make-reference.py.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TEST_FIXTURES } from '../../../../support/repo-paths';
import { bytesSegySource } from '../../../../../shared/domain/seismic/segy/segy-sources';

export const SEISMIC_FIXTURES = path.join(TEST_FIXTURES, 'seismic');

export interface ReferenceFile {
  endian: 'big' | 'little';
  format: number;
  tracecount: number;
  samplesPerTrace: number;
  textualHeader: string;
  binaryHeader: Record<string, number>;
  traceHeaders: number[][];
  samples: string;
}

export interface ReferenceFilter {
  name: string;
  order: number;
  lowHz: number | null;
  highHz: number | null;
  sampleRateHz: number;
  sos: number[][];
  traces: string;
}

export interface SeismicReference {
  sampleIntervalMicros: number;
  traceHeaderFields: number[];
  files: Record<string, ReferenceFile>;
  clean: string;
  filters: ReferenceFilter[];
}

export const reference = JSON.parse(
  readFileSync(path.join(SEISMIC_FIXTURES, 'reference.json'), 'utf8'),
) as SeismicReference;

export function float32s(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export function float64s(base64: string): Float64Array {
  const bytes = Buffer.from(base64, 'base64');
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(SEISMIC_FIXTURES, name)));
}

export function fixtureSource(name: string) {
  return bytesSegySource(fixtureBytes(name));
}
