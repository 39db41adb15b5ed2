/**
 * The map as an SVG scatter plot, points coloured by a metadata column: a categorical palette
 * for up to ten values (with a legend), else a blue-to-red ramp over the numbers. Monitored
 * points, when given, are drawn as rings on top. Every text is escaped.
 */
export interface ScatterPoint {
  x: number;
  y: number;
  colour: string | number | null;
}

const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];
const SIZE = 640;
const MARGIN = 40;

export function scatterPlotSvg(
  points: readonly ScatterPoint[],
  options: {
    title: string;
    colourBy?: string | undefined;
    monitored?: readonly { x: number; y: number; anomalous: boolean }[];
  },
): string {
  const all = [...points, ...(options.monitored ?? [])];
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const [minX, maxX] = extent(xs);
  const [minY, maxY] = extent(ys);
  const sx = (x: number) => MARGIN + ((x - minX) / (maxX - minX || 1)) * (SIZE - 2 * MARGIN);
  const sy = (y: number) => SIZE - MARGIN - ((y - minY) / (maxY - minY || 1)) * (SIZE - 2 * MARGIN);
  const values = points.map((p) => p.colour);
  const numeric = values.every((v) => v === null || typeof v === 'number');
  const categories = [...new Set(values.map((v) => String(v ?? '')))].sort();
  const categorical = !numeric || categories.length <= PALETTE.length;
  const numbers = values.filter((v): v is number => typeof v === 'number');
  const [lo, hi] = extent(numbers.length > 0 ? numbers : [0, 1]);
  const colourOf = (v: string | number | null): string => {
    if (categorical)
      return PALETTE[categories.indexOf(String(v ?? '')) % PALETTE.length] ?? PALETTE[0] ?? '#000';
    const t = typeof v === 'number' ? (v - lo) / (hi - lo || 1) : 0;
    return `rgb(${Math.round(40 + 200 * t)},${Math.round(80 + 40 * (1 - Math.abs(2 * t - 1)))},${Math.round(240 - 200 * t)})`;
  };
  const circles = points
    .map(
      (p) =>
        `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${colourOf(p.colour)}" fill-opacity="0.75"/>`,
    )
    .join('');
  const rings = (options.monitored ?? [])
    .map(
      (p) =>
        `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="4" fill="none" stroke="${p.anomalous ? '#d62728' : '#333'}" stroke-width="1.5"/>`,
    )
    .join('');
  const legend =
    categorical && categories.length <= PALETTE.length
      ? categories
          .map(
            (c, i) =>
              `<rect x="${SIZE + 10}" y="${MARGIN + i * 18}" width="10" height="10" fill="${PALETTE[i] ?? '#000'}"/><text x="${SIZE + 26}" y="${MARGIN + i * 18 + 9}" font-size="11">${escapeXml(c)}</text>`,
          )
          .join('')
      : `<text x="${SIZE + 10}" y="${MARGIN + 9}" font-size="11">${escapeXml(`${lo} … ${hi}`)}</text>`;
  const caption = options.colourBy ? `coloured by ${options.colourBy}` : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE + 160}" height="${SIZE}" viewBox="0 0 ${SIZE + 160} ${SIZE}">` +
    `<rect width="100%" height="100%" fill="#fff"/>` +
    `<text x="${MARGIN}" y="24" font-size="14" font-family="sans-serif">${escapeXml(options.title)}</text>` +
    `<text x="${SIZE + 10}" y="24" font-size="11" font-family="sans-serif">${escapeXml(caption)}</text>` +
    `<rect x="${MARGIN}" y="${MARGIN}" width="${SIZE - 2 * MARGIN}" height="${SIZE - 2 * MARGIN}" fill="none" stroke="#ccc"/>` +
    `<g font-family="sans-serif">${legend}</g>${circles}${rings}</svg>`
  );
}

function extent(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
