import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { sharpImageCodec } from '../../shared/adapters/image/sharp-image-codec';
import { imageFeatures } from '../../shared/domain/image/image-features';
import { pad, padStart, seconds, summarize, verdict, type Summary } from '../report-format';

/**
 * The image benchmark: 1,000 JPEGs (640 × 480, drawn here) decoded, resized to 224 × 224 and
 * turned into the features image.features computes by default (8 × 8 pixels, 8-bin histograms,
 * HOG), through the same codec and feature code the node runs, one image at a time on one libvips
 * thread; against ImageMagick resizing the same files to 224 × 224 in the same run
 * (`mogrify -resize 224x224!`, i.e. `convert -resize` over every file in one process, writing
 * JPEGs, MAGICK_THREAD_LIMIT=1). Medians over the repetitions; the goal is ≤ 1.5× ImageMagick.
 */
export interface ImageRunOptions {
  dataDir: string;
  files?: number;
  repetitions?: number;
}

export interface ImageBenchReport {
  files: number;
  repetitions: number;
  oursMs: Summary;
  imageMagickMs: Summary;
  ratio: number;
  goal: number;
  met: boolean;
  /** Measurements that failed (an error throws instead: always 0). */
  failures: number;
}

const run = promisify(execFile);
const FEATURES = { pixelGrid: 8, histogramBins: 8, hog: true, hogSize: 32, hogCell: 8 };
const GOAL = 1.5;

export async function runImage(options: ImageRunOptions): Promise<ImageBenchReport> {
  const files = options.files ?? 1_000;
  const repetitions = options.repetitions ?? 5;
  const source = join(options.dataDir, 'jpeg');
  const out = join(options.dataDir, 'magick');
  await mkdir(source, { recursive: true });
  console.log(
    `\nimages: ${files} JPEGs of 640 × 480 → 224 × 224 (+ features), ${repetitions} repetitions, one thread each`,
  );
  for (let i = 0; i < files; i += 1)
    await writeFile(join(source, `${String(i).padStart(4, '0')}.jpg`), await drawPhoto(i));
  const names = (await readdir(source)).sort();
  sharp.concurrency(1);
  sharp.cache(false);

  const ours: number[] = [];
  const magick: number[] = [];
  let checksum = 0;
  for (let r = 0; r < repetitions; r += 1) {
    let started = performance.now();
    for (const name of names) {
      const pixels = await sharpImageCodec.decode(new Uint8Array(await readFile(join(source, name))), {
        width: 224,
        height: 224,
        fit: 'fill',
        channels: 3,
      });
      checksum += imageFeatures(pixels, FEATURES)[0] ?? 0;
    }
    ours.push(performance.now() - started);

    await rm(out, { recursive: true, force: true });
    await mkdir(out);
    started = performance.now();
    // One process over every file, like `convert in.jpg -resize 224x224! out.jpg` for each.
    await run('mogrify', ['-path', out, '-resize', '224x224!', ...names.map((n) => join(source, n))], {
      // eslint-disable-next-line no-restricted-properties -- the child inherits the benchmark's environment
      env: { ...process.env, MAGICK_THREAD_LIMIT: '1' },
      maxBuffer: 16 * 1024 * 1024,
    });
    magick.push(performance.now() - started);
    console.log(
      `  repetition ${r + 1}: ours ${seconds(ours[r] ?? 0)}, ImageMagick ${seconds(magick[r] ?? 0)}`,
    );
  }
  if (!Number.isFinite(checksum)) throw new Error('the features were not finite');
  const oursMs = summarize(ours);
  const imageMagickMs = summarize(magick);
  const ratio = oursMs.median / imageMagickMs.median;
  const met = ratio <= GOAL;
  console.log(
    `  ${pad('decode + resize 224 + features (ours)', 44)} ${padStart(seconds(oursMs.median), 9)} median (${seconds(oursMs.min)}–${seconds(oursMs.max)})`,
  );
  console.log(
    `  ${pad('ImageMagick mogrify -resize 224x224!', 44)} ${padStart(seconds(imageMagickMs.median), 9)} median (${seconds(imageMagickMs.min)}–${seconds(imageMagickMs.max)})`,
  );
  console.log(`  ratio ${ratio.toFixed(2)}× · goal ≤ ${GOAL}× · ${verdict(met)}`);
  return { files, repetitions, oursMs, imageMagickMs, ratio, goal: GOAL, met, failures: 0 };
}

/** A photo-like JPEG: a gradient, a few shapes and noise, different for every index. */
async function drawPhoto(index: number): Promise<Buffer> {
  const width = 640;
  const height = 480;
  const hue = (index * 47) % 360;
  const shapes = Array.from({ length: 6 }, (_, k) => {
    const x = (index * 97 + k * 131) % width;
    const y = (index * 61 + k * 89) % height;
    const r = 20 + ((index + k * 13) % 80);
    return `<circle cx="${x}" cy="${y}" r="${r}" fill="hsl(${(hue + k * 60) % 360},70%,50%)" fill-opacity="0.7"/>`;
  }).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(${hue},60%,80%)"/><stop offset="1" stop-color="hsl(${(hue + 120) % 360},60%,30%)"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/>${shapes}</svg>`;
  const noise = Buffer.alloc(width * height * 3);
  for (let i = 0; i < noise.length; i += 1) noise[i] = (i * 2654435761 + index * 97) % 32;
  return sharp(Buffer.from(svg))
    .composite([{ input: noise, raw: { width, height, channels: 3 }, blend: 'add' }])
    .jpeg({ quality: 85 })
    .toBuffer();
}
