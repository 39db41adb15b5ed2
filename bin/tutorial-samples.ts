/**
 * `npm run --silent tutorial:sample -- <images|sounds|clips|seismic> <file>`: writes a small data
 * set for the modality tutorials (GET /tutorials): for images, sounds and clips a `.zip` in folders
 * per class, the layout the image, audio and video datasets take; for seismic a SEG-Y line:
 *
 *   images  72 PNG swatches of 32 × 32 in three colour families (red, green, blue), shades and
 *           noise seeded
 *   sounds  72 WAV recordings of half a second at 16 kHz: a low hum, a high whistle and hiss
 *   clips   6 MP4 clips of one second (64 × 48, 10 frames a second), red or blue, made by the
 *           ffmpeg build the repository installs
 *   seismic (to a `.sgy` file) a SEG-Y rev 1 line of 120 traces of 1 s at 2 ms, IEEE float: three
 *           reflectors (flat, dipping, curved) as 25 Hz Ricker wavelets, plus random noise
 *
 * The same seed gives the same files, so the tutorials show the same results to everyone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { encodeWav } from '../shared/domain/audio/wav';

type Files = Record<string, Uint8Array>;

/**
 * Images and recordings per class: the templates hold out a quarter, and gradient boosting wants
 * 20 rows in a leaf, so fewer would leave it nothing to split.
 */
const PER_CLASS = 24;

/** xorshift32 in 0…1: small, seeded and the same everywhere. */
function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

const SWATCH_HUES = { red: [200, 40, 40], green: [40, 160, 60], blue: [40, 70, 200] } as const;

async function images(): Promise<Files> {
  const random = seeded(11);
  const files: Files = {};
  const size = 32;
  for (const [label, base] of Object.entries(SWATCH_HUES))
    for (let i = 0; i < PER_CLASS; i += 1) {
      const shade = 0.75 + random() * 0.5;
      const pixels = Buffer.alloc(size * size * 3);
      for (let p = 0; p < size * size; p += 1)
        for (let c = 0; c < 3; c += 1) {
          const value = (base[c] ?? 0) * shade + (random() - 0.5) * 60;
          pixels[p * 3 + c] = Math.max(0, Math.min(255, Math.round(value)));
        }
      const png = await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
        .png()
        .toBuffer();
      files[`${label}/${label}-${String(i).padStart(2, '0')}.png`] = new Uint8Array(png);
    }
  return files;
}

function sounds(): Files {
  const random = seeded(23);
  const files: Files = {};
  const sampleRate = 16_000;
  const classes: Record<string, number> = { hum: 220, whistle: 2600, hiss: 0 };
  for (const [label, frequency] of Object.entries(classes))
    for (let i = 0; i < PER_CLASS; i += 1) {
      const pitch = frequency * (0.95 + random() * 0.1);
      const samples = new Float32Array(sampleRate / 2);
      for (let n = 0; n < samples.length; n += 1) {
        const noise = (random() - 0.5) * (frequency === 0 ? 0.6 : 0.1);
        samples[n] = (pitch > 0 ? 0.4 * Math.sin((2 * Math.PI * pitch * n) / sampleRate) : 0) + noise;
      }
      files[`${label}/${label}-${i}.wav`] = encodeWav({ sampleRate, channels: [samples] });
    }
  return files;
}

function ffmpegPath(): string {
  const installed = path.join(
    path.dirname(createRequire(import.meta.url).resolve('@ffmpeg-installer/linux-x64/package.json')),
    'ffmpeg',
  );
  if (!existsSync(installed)) throw new Error('ffmpeg is not installed here: run npm ci first.');
  return installed;
}

async function clips(): Promise<Files> {
  const ffmpeg = ffmpegPath();
  const scratch = await mkdtemp(path.join(tmpdir(), 'pw-clips-'));
  const files: Files = {};
  try {
    for (const colour of ['red', 'blue'])
      for (const [i, brightness] of ['-0.1', '0.0', '0.1'].entries()) {
        const out = path.join(scratch, `${colour}-${i}.mp4`);
        // A plain colour from ffmpeg's own test sources, a little darker or lighter per clip.
        const source = `color=c=${colour}:s=64x48:d=1:r=10,eq=brightness=${brightness}`;
        const args = [...'-v error -y -f lavfi -i'.split(' '), source, '-c:v', 'mpeg4', out];
        const made = spawnSync(ffmpeg, args);
        if (made.status !== 0) throw new Error(`ffmpeg could not make a clip: ${made.stderr.toString()}`);
        files[`${colour}/${colour}-${i}.mp4`] = new Uint8Array(await readFile(out));
      }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return files;
}

/** A SEG-Y rev 1 line, big-endian, samples as 4-byte IEEE floats, textual header in ASCII. */
function seismicLine(): Uint8Array {
  const traces = 120;
  const samples = 500;
  const intervalMicros = 2000;
  const random = seeded(31);
  const traceBytes = 240 + 4 * samples;
  const out = new Uint8Array(3600 + traces * traceBytes);
  const text = [
    'C01 PIPEWEAVE TUTORIAL SAMPLE: THREE REFLECTORS, 25 HZ RICKER WAVELET, RANDOM NOISE',
    'C39 SEG-Y REV1',
    'C40 END TEXTUAL HEADER',
  ];
  out.set(
    Buffer.from(
      text
        .map((line) => line.padEnd(80))
        .join('')
        .padEnd(3200),
      'ascii',
    ),
  );
  const view = new DataView(out.buffer);
  view.setInt16(3216, intervalMicros);
  view.setInt16(3220, samples);
  view.setInt16(3224, 5); // 4-byte IEEE float
  view.setInt16(3500, 0x0100); // revision 1.0
  view.setInt16(3502, 1); // every trace has the same length
  const ricker = (seconds: number) => {
    const a = (Math.PI * 25 * seconds) ** 2;
    return (1 - 2 * a) * Math.exp(-a);
  };
  for (let t = 0; t < traces; t += 1) {
    const at = 3600 + t * traceBytes;
    const x = t / (traces - 1);
    view.setInt32(at, t + 1); // trace sequence number in the line
    view.setInt32(at + 20, 1000 + t); // CDP
    view.setInt16(at + 114, samples);
    view.setInt16(at + 116, intervalMicros);
    view.setInt32(at + 188, 1); // inline
    view.setInt32(at + 192, 100 + t); // crossline
    const reflectors = [
      [0.2, 1],
      [0.35 + 0.3 * x, -0.7],
      [0.8 - 0.1 * Math.sin(Math.PI * x), 0.5],
    ] as const;
    for (let i = 0; i < samples; i += 1) {
      const time = (i * intervalMicros) / 1e6;
      const signal = reflectors.reduce((sum, [t0, amplitude]) => sum + amplitude * ricker(time - t0), 0);
      view.setFloat32(at + 240 + 4 * i, signal + (random() - 0.5) * 0.6);
    }
  }
  return out;
}

/** A `.zip` of stored (uncompressed) entries: every reader takes it, and the samples are small. */
function zipStored(files: Files): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of Object.entries(files)) {
    const fileName = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // names are UTF-8
    local.writeUInt16LE(0x21, 12); // 1980-01-01, the first date a zip can hold
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(fileName.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, fileName, Buffer.from(data));
    centrals.push(central, fileName);
    offset += local.length + fileName.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const ARCHIVES: Record<string, () => Files | Promise<Files>> = { images, sounds, clips };

const [kind = '', target = ''] = process.argv.slice(2);
const archive = ARCHIVES[kind];
if (!(archive && target.endsWith('.zip')) && !(kind === 'seismic' && /\.(sgy|segy)$/.test(target))) {
  console.error(
    `Usage: npm run --silent tutorial:sample -- <${Object.keys(ARCHIVES).join('|')}> <file.zip>, or seismic <file.sgy>`,
  );
  process.exit(2);
}
// npm runs scripts from the repository: the file goes where the command was typed.
const destination = path.resolve(process.env['INIT_CWD'] ?? process.cwd(), target);
if (archive) {
  const files = await archive();
  await writeFile(destination, zipStored(files));
  console.log(`${target}: ${Object.keys(files).length} files`);
} else {
  const line = seismicLine();
  await writeFile(destination, line);
  console.log(`${target}: 120 traces, ${line.length} bytes`);
}
