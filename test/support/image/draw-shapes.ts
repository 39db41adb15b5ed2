import sharp from 'sharp';
import { mulberry32 } from '../../../shared/domain/nodes/library/image/augment-plan';

/**
 * A small labelled image set drawn with sharp: each class is a shape (circle, square, triangle)
 * in a colour family of its own, at a seeded random place, size and shade on a light background.
 */
export const SHAPE_CLASSES = ['circle', 'square', 'triangle'] as const;
export type ShapeClass = (typeof SHAPE_CLASSES)[number];

/** The generator the augmentation uses (mulberry32), seeded. */
export const seededRandom = mulberry32;

const HUES: Record<ShapeClass, number> = { circle: 0, square: 220, triangle: 120 };

export async function drawShape(
  shape: ShapeClass,
  random: () => number,
  options: { size?: number; format?: 'png' | 'jpeg' } = {},
): Promise<Buffer> {
  const size = options.size ?? 64;
  const r = size * (0.2 + random() * 0.15);
  const cx = r + random() * (size - 2 * r);
  const cy = r + random() * (size - 2 * r);
  const hue = HUES[shape] + (random() - 0.5) * 30;
  const fill = `hsl(${hue.toFixed(0)}, ${(60 + random() * 30).toFixed(0)}%, ${(35 + random() * 20).toFixed(0)}%)`;
  const background = `hsl(0, 0%, ${(85 + random() * 15).toFixed(0)}%)`;
  const body =
    shape === 'circle'
      ? `<circle cx="${cx}" cy="${cy}" r="${r}" fill="${fill}"/>`
      : shape === 'square'
        ? `<rect x="${cx - r}" y="${cy - r}" width="${2 * r}" height="${2 * r}" fill="${fill}"/>`
        : `<polygon points="${cx},${cy - r} ${cx - r},${cy + r} ${cx + r},${cy + r}" fill="${fill}"/>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="100%" height="100%" fill="${background}"/>${body}</svg>`;
  const image = sharp(Buffer.from(svg));
  return options.format === 'jpeg' ? image.jpeg({ quality: 90 }).toBuffer() : image.png().toBuffer();
}

/** `perClass` images of every class, as ImageFolder entries (`circle/circle-003.png`). */
export async function drawShapeSet(
  perClass: number,
  seed: number,
  options: { size?: number; format?: 'png' | 'jpeg' } = {},
): Promise<{ name: string; label: ShapeClass; bytes: Buffer }[]> {
  const random = seededRandom(seed);
  const ext = options.format === 'jpeg' ? 'jpg' : 'png';
  const out: { name: string; label: ShapeClass; bytes: Buffer }[] = [];
  for (let i = 0; i < perClass; i += 1)
    for (const label of SHAPE_CLASSES)
      out.push({
        name: `${label}/${label}-${String(i).padStart(3, '0')}.${ext}`,
        label,
        bytes: await drawShape(label, random, options),
      });
  return out;
}
