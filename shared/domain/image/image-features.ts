import type { RawImage } from '../../ports/image-codec.port';

/**
 * Features of one decoded image for the tabular learners, computed on typed arrays:
 * - downsampled pixels: the image averaged over a grid × grid of areas, per channel, in 0–1;
 * - colour histograms: the share of pixels in each of `histogramBins` intensity bins, per channel;
 * - HOG (histograms of oriented gradients, Dalal & Triggs): the grey image averaged to
 *   hogSize × hogSize, central-difference gradients, 9 unsigned orientation bins per cell of
 *   hogCell pixels (votes split between the two nearest bins), blocks of 2 × 2 cells with stride
 *   one cell, each block L2-Hys normalised (clipped at 0.2).
 */
export interface ImageFeatureOptions {
  /** 0 leaves the pixels out. */
  pixelGrid: number;
  /** 0 leaves the histograms out. */
  histogramBins: number;
  hog: boolean;
  hogSize: number;
  hogCell: number;
}

export const HOG_ORIENTATIONS = 9;
const CHANNEL_NAMES = ['r', 'g', 'b'];

export function imageFeatureNames(options: ImageFeatureOptions, channels: 1 | 3): string[] {
  const names: string[] = [];
  const channelNames = channels === 1 ? ['grey'] : CHANNEL_NAMES;
  for (let y = 0; y < options.pixelGrid; y += 1)
    for (let x = 0; x < options.pixelGrid; x += 1)
      for (const c of channelNames) names.push(`px_${y}_${x}_${c}`);
  for (const c of channelNames)
    for (let b = 0; b < options.histogramBins; b += 1) names.push(`hist_${c}_${b}`);
  for (let i = 0; i < hogLength(options); i += 1) names.push(`hog_${i}`);
  return names;
}

export function hogLength(options: ImageFeatureOptions): number {
  if (!options.hog) return 0;
  const cells = Math.floor(options.hogSize / options.hogCell);
  const blocks = Math.max(cells - 1, 0);
  return blocks * blocks * 4 * HOG_ORIENTATIONS;
}

export function imageFeatures(image: RawImage, options: ImageFeatureOptions): Float64Array {
  const out = new Float64Array(imageFeatureNames(options, image.channels).length);
  let at = 0;
  if (options.pixelGrid > 0) {
    const grid = areaAverage(image, options.pixelGrid, options.pixelGrid);
    for (let i = 0; i < grid.length; i += 1) out[at++] = (grid[i] ?? 0) / 255;
  }
  if (options.histogramBins > 0) {
    const bins = options.histogramBins;
    const counts = new Float64Array(image.channels * bins);
    const pixels = image.width * image.height;
    for (let p = 0; p < pixels; p += 1)
      for (let c = 0; c < image.channels; c += 1) {
        const v = image.data[p * image.channels + c] ?? 0;
        const slot = c * bins + Math.min(bins - 1, Math.floor((v * bins) / 256));
        counts[slot] = (counts[slot] ?? 0) + 1;
      }
    for (let i = 0; i < counts.length; i += 1) out[at++] = (counts[i] ?? 0) / Math.max(pixels, 1);
  }
  if (options.hog) {
    const hog = histogramOfGradients(grey(image), options.hogSize, options.hogCell);
    out.set(hog, at);
  }
  return out;
}

/** Luma (ITU-R BT.601) of an RGB image; a grey image as it is. */
function grey(image: RawImage): RawImage {
  if (image.channels === 1) return image;
  const pixels = image.width * image.height;
  const data = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p += 1) {
    const r = image.data[p * 3] ?? 0;
    const g = image.data[p * 3 + 1] ?? 0;
    const b = image.data[p * 3 + 2] ?? 0;
    data[p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
  }
  return { data, width: image.width, height: image.height, channels: 1 };
}

/**
 * The mean of each channel over each of width × height areas (box filter with fractional area
 * weights), as row-major interleaved values in 0–255.
 */
export function areaAverage(image: RawImage, width: number, height: number): Float64Array {
  const { channels } = image;
  const out = new Float64Array(width * height * channels);
  const sx = image.width / width;
  const sy = image.height / height;
  for (let oy = 0; oy < height; oy += 1) {
    const y0 = oy * sy;
    const y1 = y0 + sy;
    for (let ox = 0; ox < width; ox += 1) {
      const x0 = ox * sx;
      const x1 = x0 + sx;
      let weight = 0;
      const sums = new Float64Array(channels);
      for (let y = Math.floor(y0); y < Math.ceil(y1) && y < image.height; y += 1) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.ceil(x1) && x < image.width; x += 1) {
          const w = wy * (Math.min(x + 1, x1) - Math.max(x, x0));
          weight += w;
          const base = (y * image.width + x) * channels;
          for (let c = 0; c < channels; c += 1) sums[c] = (sums[c] ?? 0) + w * (image.data[base + c] ?? 0);
        }
      }
      for (let c = 0; c < channels; c += 1)
        out[(oy * width + ox) * channels + c] = (sums[c] ?? 0) / (weight || 1);
    }
  }
  return out;
}

function histogramOfGradients(image: RawImage, size: number, cell: number): Float64Array {
  const g = areaAverage(image, size, size);
  const cells = Math.floor(size / cell);
  const histograms = new Float64Array(cells * cells * HOG_ORIENTATIONS);
  const at = (x: number, y: number) =>
    g[Math.min(size - 1, Math.max(0, y)) * size + Math.min(size - 1, Math.max(0, x))] ?? 0;
  for (let y = 0; y < cells * cell; y += 1)
    for (let x = 0; x < cells * cell; x += 1) {
      const dx = at(x + 1, y) - at(x - 1, y);
      const dy = at(x, y + 1) - at(x, y - 1);
      const magnitude = Math.hypot(dx, dy);
      if (magnitude === 0) continue;
      let angle = (Math.atan2(dy, dx) * 180) / Math.PI;
      if (angle < 0) angle += 180;
      if (angle >= 180) angle -= 180;
      const position = angle / (180 / HOG_ORIENTATIONS) - 0.5;
      const lower = Math.floor(position);
      const share = position - lower;
      const base = (Math.floor(y / cell) * cells + Math.floor(x / cell)) * HOG_ORIENTATIONS;
      const b0 = (lower + HOG_ORIENTATIONS) % HOG_ORIENTATIONS;
      const b1 = (lower + 1) % HOG_ORIENTATIONS;
      histograms[base + b0] = (histograms[base + b0] ?? 0) + magnitude * (1 - share);
      histograms[base + b1] = (histograms[base + b1] ?? 0) + magnitude * share;
    }
  const blocks = Math.max(cells - 1, 0);
  const out = new Float64Array(blocks * blocks * 4 * HOG_ORIENTATIONS);
  let o = 0;
  const block = new Float64Array(4 * HOG_ORIENTATIONS);
  for (let by = 0; by < blocks; by += 1)
    for (let bx = 0; bx < blocks; bx += 1) {
      let k = 0;
      for (const [cy, cx] of [
        [by, bx],
        [by, bx + 1],
        [by + 1, bx],
        [by + 1, bx + 1],
      ] as const)
        for (let b = 0; b < HOG_ORIENTATIONS; b += 1)
          block[k++] = histograms[(cy * cells + cx) * HOG_ORIENTATIONS + b] ?? 0;
      l2Hys(block);
      out.set(block, o);
      o += block.length;
    }
  return out;
}

function l2Hys(values: Float64Array): void {
  const normalise = () => {
    let sum = 1e-10;
    for (const v of values) sum += v * v;
    const norm = Math.sqrt(sum);
    for (let i = 0; i < values.length; i += 1) values[i] = (values[i] ?? 0) / norm;
  };
  normalise();
  for (let i = 0; i < values.length; i += 1) values[i] = Math.min(values[i] ?? 0, 0.2);
  normalise();
}
