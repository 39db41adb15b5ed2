import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  MediaDecodeError,
  type MediaStreamFacts,
  type MediaTranscoder,
} from '../../ports/media-transcoder.port';

/**
 * The media transcoder on the ffmpeg and ffprobe binaries: the static builds the npm packages
 * `@ffmpeg-installer/linux-x64` and `@ffprobe-installer/linux-x64` ship, or, where they are not
 * installed (a bundled Lambda), those of a layer in /opt/bin. Their messages are reduced
 * to the reason (never a path of ours), and every run has a deadline.
 */

const require = createRequire(import.meta.url);

/** Where a Lambda layer puts its executables. */
const LAYER_BIN = '/opt/bin';

function binary(pkg: string, name: string): string {
  try {
    const path = join(dirname(require.resolve(`${pkg}/package.json`)), name);
    if (existsSync(path)) return path;
  } catch {
    // not installed here: look in the layer
  }
  const layered = join(LAYER_BIN, name);
  if (existsSync(layered)) return layered;
  throw new MediaDecodeError(
    `${name} is not available on this host: install ${pkg} (npm ci does) or attach the media layer.`,
    'unavailable',
  );
}

const TIMEOUT_MS = 5 * 60_000;

function run(
  command: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length < 1_000_000) stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-8_000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(
        new MediaDecodeError(
          `The media tool could not start (${error.message.split(' ')[0] ?? 'error'}).`,
          'unavailable',
        ),
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The last meaningful line of ffmpeg's stderr, without file paths. */
function reasonOf(stderr: string, ...paths: string[]): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('ffmpeg version') && !l.startsWith('built with'));
  let last = lines[lines.length - 1] ?? 'the decoder gave no reason';
  for (const path of paths) last = last.split(path).join('<file>');
  return last.replace(/\/[^\s:'"]+/g, '<file>').slice(0, 300);
}

function ratio(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const [n, d] = text.split('/').map(Number);
  if (n === undefined || !Number.isFinite(n)) return null;
  const value = d ? n / d : n;
  return Number.isFinite(value) && value > 0 ? value : null;
}

const numberOrNull = (value: unknown): number | null => {
  const n = Number(value);
  return value === undefined || value === null || value === '' || !Number.isFinite(n) ? null : n;
};

export const ffmpegTranscoder: MediaTranscoder = {
  async probe(inputPath) {
    const ffprobe = binary('@ffprobe-installer/linux-x64', 'ffprobe');
    const { code, stdout, stderr } = await run(ffprobe, [
      '-v',
      'error',
      '-print_format',
      'json',
      '-show_format',
      '-show_streams',
      inputPath,
    ]);
    if (code !== 0)
      throw new MediaDecodeError(`Not a readable media file: ${reasonOf(stderr, inputPath)}.`, 'unreadable');
    const parsed = JSON.parse(stdout) as {
      format?: { format_name?: string; duration?: string };
      streams?: Record<string, unknown>[];
    };
    const streams = parsed.streams ?? [];
    // Cover art in an audio file is a video stream marked as an attached picture.
    const video = streams.find(
      (s) =>
        s['codec_type'] === 'video' &&
        (s['disposition'] as Record<string, number> | undefined)?.['attached_pic'] !== 1,
    );
    const audio = streams.find((s) => s['codec_type'] === 'audio');
    const facts: MediaStreamFacts = {
      container: parsed.format?.format_name ?? 'unknown',
      durationSeconds: numberOrNull(parsed.format?.duration),
      video: video
        ? {
            codec: String(video['codec_name'] ?? 'unknown'),
            width: Number(video['width'] ?? 0),
            height: Number(video['height'] ?? 0),
            fps: ratio(video['avg_frame_rate']) ?? ratio(video['r_frame_rate']),
            frames: numberOrNull(video['nb_frames']),
          }
        : null,
      audio: audio
        ? {
            codec: String(audio['codec_name'] ?? 'unknown'),
            sampleRate: Number(audio['sample_rate'] ?? 0),
            channels: Number(audio['channels'] ?? 0),
          }
        : null,
    };
    if (!facts.video && !facts.audio)
      throw new MediaDecodeError('The file holds no audio or video stream.', 'no-stream');
    return facts;
  },

  async audioToWav(inputPath, outputPath, { maxSeconds }) {
    const ffmpeg = binary('@ffmpeg-installer/linux-x64', 'ffmpeg');
    const { code, stderr } = await run(ffmpeg, [
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-i',
      inputPath,
      '-map',
      '0:a:0',
      '-t',
      String(maxSeconds),
      '-c:a',
      'pcm_f32le',
      '-f',
      'wav',
      outputPath,
    ]);
    if (code !== 0)
      throw /matches no streams/i.test(stderr)
        ? new MediaDecodeError('The file holds no audio stream.', 'no-stream')
        : new MediaDecodeError(
            `The audio cannot be decoded: ${reasonOf(stderr, inputPath, outputPath)}.`,
            'unreadable',
          );
  },

  async extractFrames(inputPath, outputDir, { perSecond, maxFrames, width }) {
    const ffmpeg = binary('@ffmpeg-installer/linux-x64', 'ffmpeg');
    const { code, stderr } = await run(ffmpeg, [
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-i',
      inputPath,
      '-map',
      '0:v:0',
      '-vf',
      `fps=${perSecond},scale=${width}:-2`,
      '-frames:v',
      String(maxFrames),
      join(outputDir, 'frame-%06d.png'),
    ]);
    // ffmpeg's own words for a missing stream ("add a trailing '?' to the map") are for its users.
    if (code !== 0)
      throw /matches no streams/i.test(stderr)
        ? new MediaDecodeError('The file holds no video stream.', 'no-stream')
        : new MediaDecodeError(
            `Frames cannot be read from the video: ${reasonOf(stderr, inputPath, outputDir)}.`,
            'unreadable',
          );
    const names = (await readdir(outputDir)).filter((n) => /^frame-\d+\.png$/.test(n)).sort();
    // fps=N emits the frame nearest each 1/N s tick, starting at 0.
    return names.map((name, i) => ({ path: join(outputDir, name), seconds: i / perSecond }));
  },
};
