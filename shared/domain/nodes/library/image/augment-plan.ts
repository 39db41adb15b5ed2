import type { ImageOperation } from '../../../../ports/image-codec.port';

/**
 * One augmented copy of one image, decided by a generator seeded from (seed, row, copy) alone, so
 * the same params give the same copies on any host, in any order, with any concurrency: a random
 * crop, mirror images, a rotation (cropped back to the crop's size), and colour jitter.
 */
export interface AugmentSettings {
  flipHorizontal: boolean;
  flipVertical: boolean;
  maxRotationDegrees: number;
  rightAngles: boolean;
  minCropScale: number;
  brightness: number;
  saturation: number;
  hueDegrees: number;
  seed: number;
}

/** mulberry32: a small, fast 32-bit generator, good enough for augmentation. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mix(seed: number, row: number, copy: number): number {
  let h = seed ^ 0x9e3779b9;
  for (const v of [row, copy]) {
    h = Math.imul(h ^ v, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

export function planAugmentation(
  settings: AugmentSettings,
  row: number,
  copy: number,
  width: number,
  height: number,
): { operations: ImageOperation[]; note: string } {
  const random = mulberry32(mix(settings.seed, row, copy));
  const operations: ImageOperation[] = [];
  const notes: string[] = [];

  const scale = settings.minCropScale + random() * (1 - settings.minCropScale);
  const cropWidth = Math.max(1, Math.round(width * scale));
  const cropHeight = Math.max(1, Math.round(height * scale));
  const left = Math.floor(random() * (width - cropWidth + 1));
  const top = Math.floor(random() * (height - cropHeight + 1));
  if (cropWidth < width || cropHeight < height) {
    operations.push({ op: 'crop', left, top, width: cropWidth, height: cropHeight });
    notes.push(`crop ${cropWidth}x${cropHeight}+${left}+${top}`);
  }
  if (settings.flipHorizontal && random() < 0.5) {
    operations.push({ op: 'flipHorizontal' });
    notes.push('flip horizontal');
  }
  if (settings.flipVertical && random() < 0.5) {
    operations.push({ op: 'flipVertical' });
    notes.push('flip vertical');
  }
  let degrees = (random() * 2 - 1) * settings.maxRotationDegrees;
  if (settings.rightAngles) degrees += 90 * Math.floor(random() * 4);
  degrees = Math.round(degrees * 10) / 10;
  if (degrees !== 0) {
    operations.push({ op: 'rotate', degrees });
    // A rotated image is larger than the crop: it is scaled and cut back to the crop's size (cover).
    operations.push({ op: 'resize', width: cropWidth, height: cropHeight, fit: 'cover' });
    notes.push(`rotate ${degrees}°`);
  }
  const brightness = round(1 + (random() * 2 - 1) * settings.brightness);
  const saturation = round(1 + (random() * 2 - 1) * settings.saturation);
  const hue = Math.round((random() * 2 - 1) * settings.hueDegrees);
  if (brightness !== 1 || saturation !== 1 || hue !== 0) {
    operations.push({ op: 'modulate', brightness, saturation, hue });
    notes.push(`brightness ${brightness}, saturation ${saturation}, hue ${hue}°`);
  }
  return { operations, note: notes.join('; ') || 'unchanged' };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
