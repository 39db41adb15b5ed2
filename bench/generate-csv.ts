import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';

export interface CsvShape {
  columns: number;
  /** Stop after this many data rows… */
  rows?: number;
  /** …or once the file has at least this many bytes (whole rows only). */
  minBytes?: number;
}

export interface GeneratedCsv {
  rows: number;
  bytes: number;
}

/**
 * A deterministic CSV shaped like a typical upload: an integer id, then columns cycling through
 * float, float, a four-value label, an ISO date and a quoted free-text note that contains a comma
 * (so a reader must honour quoting). About 2% of the cells after the id are empty.
 */
export async function generateCsv(path: string, shape: CsvShape): Promise<GeneratedCsv> {
  if (shape.rows === undefined && shape.minBytes === undefined)
    throw new Error('generateCsv needs rows or minBytes');
  const kinds = Array.from({ length: Math.max(0, shape.columns - 1) }, (_, i) => KINDS[i % KINDS.length]);
  const header = ['id', ...kinds.map((kind, i) => `${kind}_${i + 1}`)].join(',');
  const random = mulberry32(42);
  const out = createWriteStream(path);
  let bytes = 0;
  let rows = 0;
  let chunk = `${header}\n`;
  const done = () =>
    (shape.rows !== undefined && rows >= shape.rows) ||
    // Every character is ASCII, so string length is byte length.
    (shape.minBytes !== undefined && bytes + chunk.length >= shape.minBytes);
  try {
    while (!done()) {
      let line = String(rows);
      for (const kind of kinds) line += `,${random() < 0.02 ? '' : cell(kind, random)}`;
      chunk += `${line}\n`;
      rows += 1;
      if (chunk.length >= 1 << 20) {
        bytes += chunk.length;
        const ok = out.write(chunk);
        chunk = '';
        if (!ok) await once(out, 'drain');
      }
    }
    out.write(chunk);
  } finally {
    out.end();
    await once(out, 'close');
  }
  return { rows, bytes: (await stat(path)).size };
}

const KINDS = ['x', 'y', 'label', 'date', 'note'] as const;
type Kind = (typeof KINDS)[number];
const LABELS = ['alpha', 'beta', 'gamma', 'delta'];
const DAY_MS = 86_400_000;
const FIRST_DAY = Date.UTC(2015, 0, 1);

function cell(kind: Kind | undefined, random: () => number): string {
  switch (kind) {
    case 'x':
      return (random() * 1000 - 100).toFixed(3);
    case 'y':
      return (random() * random() * 50).toFixed(2);
    case 'label':
      return LABELS[Math.floor(random() * LABELS.length)] ?? 'alpha';
    case 'date':
      return new Date(FIRST_DAY + Math.floor(random() * 3650) * DAY_MS).toISOString().slice(0, 10);
    default:
      return `"order ${Math.floor(random() * 100_000)}, batch ${Math.floor(random() * 50)}"`;
  }
}

/** A small seeded generator: the same file every run, so runs compare. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
