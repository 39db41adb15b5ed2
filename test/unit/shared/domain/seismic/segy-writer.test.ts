/**
 * The writer keeps every header byte for byte and encodes samples in the file's own format and
 * byte order. The files it writes here (each synthetic file with its polarity reversed) are
 * committed under test/fixtures/seismic/written/, where scripts/seismic-reference/make-reference.py
 * --check reads them with segyio. Rewrite them with:
 *   PW_UPDATE_FIXTURES=1 npx vitest run --project unit test/unit/shared/domain/seismic/segy-writer.test.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSegy, readTraces } from '../../../../../shared/domain/seismic/segy/segy-reader';
import { bytesSegySource } from '../../../../../shared/domain/seismic/segy/segy-sources';
import { encodeSegy } from '../../../../../shared/domain/seismic/segy/segy-writer';
import { fixtureBytes, fixtureSource, float32s, reference, SEISMIC_FIXTURES } from './seismic-reference';

const UPDATE = process.env['PW_UPDATE_FIXTURES'] === '1';
const WRITTEN = path.join(SEISMIC_FIXTURES, 'written');

async function reversed(name: string): Promise<Uint8Array> {
  const source = fixtureSource(name);
  const file = await openSegy(source);
  const blocks = [];
  // In blocks of 10 traces, as nodes write them.
  for (let start = 0; start < file.layout.traceCount; start += 10) {
    const block = await readTraces(source, file.layout, start, 10);
    blocks.push({ ...block, samples: block.samples.map((v) => -v) });
  }
  return encodeSegy(file.preamble, file.layout, blocks);
}

describe('writing SEG-Y', () => {
  it.each(Object.keys(reference.files))('%s: headers byte for byte, samples re-encoded', async (name) => {
    const original = fixtureBytes(name);

    const written = await reversed(name);

    expect(written.length).toBe(original.length);
    const file = await openSegy(bytesSegySource(written));
    const layout = file.layout;
    expect(Buffer.from(written.subarray(0, layout.firstTraceOffset))).toEqual(
      Buffer.from(original.subarray(0, layout.firstTraceOffset)),
    );
    for (let t = 0; t < layout.traceCount; t += 1) {
      const at = layout.firstTraceOffset + t * layout.traceBytes;
      expect(Buffer.from(written.subarray(at, at + 240))).toEqual(
        Buffer.from(original.subarray(at, at + 240)),
      );
    }
    const back = await readTraces(bytesSegySource(written), layout, 0, layout.traceCount);
    // Negated zeros of integer formats read back as 0.
    expect(back.samples).toEqual(
      float32s(reference.files[name]?.samples ?? '').map((v) => (v === 0 ? 0 : -v)),
    );

    const committed = path.join(WRITTEN, name);
    if (UPDATE) {
      mkdirSync(WRITTEN, { recursive: true });
      writeFileSync(committed, written);
    }
    expect(Buffer.from(written)).toEqual(readFileSync(committed));
  });

  it('writing what was read without a change gives the same file', async () => {
    for (const name of Object.keys(reference.files)) {
      const source = fixtureSource(name);
      const file = await openSegy(source);
      const block = await readTraces(source, file.layout, 0, file.layout.traceCount);

      expect(Buffer.from(encodeSegy(file.preamble, file.layout, [block]))).toEqual(
        Buffer.from(fixtureBytes(name)),
      );
    }
  });
});
