import { describe, expect, it } from 'vitest';
import { parseAudioHeader } from '../../../../../../../../shared/domain/datasets/ingestion/workers/media/audio-header';
import { bytesSource } from '../../../../../../../../shared/domain/datasets/ingestion/workers/media/byte-reader';
import { parseImageHeader } from '../../../../../../../../shared/domain/datasets/ingestion/workers/media/image-header';
import {
  parseSegy,
  SegyFormatError,
} from '../../../../../../../../shared/domain/datasets/ingestion/workers/media/segy-header';
import { parseVideoHeader } from '../../../../../../../../shared/domain/datasets/ingestion/workers/media/video-header';

function bytes(size: number, write: (dv: DataView, u8: Uint8Array) => void): Uint8Array {
  const u8 = new Uint8Array(size);
  write(new DataView(u8.buffer), u8);
  return u8;
}
const put = (u8: Uint8Array, at: number, text: string) =>
  [...text].forEach((c, i) => (u8[at + i] = c.charCodeAt(0)));

describe('image headers', () => {
  it('reads PNG dimensions, bit depth and channels from IHDR', () => {
    const png = bytes(33, (dv, u8) => {
      u8.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      dv.setUint32(8, 13);
      put(u8, 12, 'IHDR');
      dv.setUint32(16, 640);
      dv.setUint32(20, 480);
      u8[24] = 8;
      u8[25] = 6;
    });
    expect(parseImageHeader(png)).toEqual({
      format: 'png',
      width: 640,
      height: 480,
      bitDepth: 8,
      channels: 4,
    });
  });

  it('finds the JPEG frame header after an APP segment', () => {
    const jpeg = bytes(40, (dv, u8) => {
      u8.set([0xff, 0xd8, 0xff, 0xe0]);
      dv.setUint16(4, 16); // APP0 of 16 bytes
      const sof = 4 + 16;
      u8.set([0xff, 0xc0], sof);
      dv.setUint16(sof + 2, 17);
      u8[sof + 4] = 8;
      dv.setUint16(sof + 5, 1080);
      dv.setUint16(sof + 7, 1920);
      u8[sof + 9] = 3;
    });
    expect(parseImageHeader(jpeg)).toEqual({
      format: 'jpeg',
      width: 1920,
      height: 1080,
      bitDepth: 8,
      channels: 3,
    });
  });

  it('reads GIF and WebP (lossy, lossless, extended)', () => {
    const gif = bytes(13, (dv, u8) => {
      put(u8, 0, 'GIF89a');
      dv.setUint16(6, 320, true);
      dv.setUint16(8, 200, true);
    });
    expect(parseImageHeader(gif)).toMatchObject({ format: 'gif', width: 320, height: 200 });
    const webp = (chunk: string, fill: (dv: DataView, u8: Uint8Array) => void) =>
      bytes(40, (dv, u8) => {
        put(u8, 0, 'RIFF');
        put(u8, 8, 'WEBP');
        put(u8, 12, chunk);
        fill(dv, u8);
      });
    expect(
      parseImageHeader(webp('VP8 ', (dv) => (dv.setUint16(26, 400, true), dv.setUint16(28, 300, true)))),
    ).toMatchObject({ width: 400, height: 300 });
    // VP8L packs width-1 and height-1 in 14 bits each: 99 and 49.
    expect(parseImageHeader(webp('VP8L', (_dv, u8) => u8.set([99, 0x40, 0x0c, 0x00], 21)))).toMatchObject({
      width: 100,
      height: 50,
    });
    expect(
      parseImageHeader(
        webp('VP8X', (_dv, u8) => (u8.set([0xff, 0x03, 0x00], 24), u8.set([0xdf, 0x01, 0x00], 27))),
      ),
    ).toMatchObject({ width: 1024, height: 480 });
  });

  it('recognises nothing in other bytes', () => {
    expect(parseImageHeader(new TextEncoder().encode('just some text, not an image'))).toBeUndefined();
  });
});

describe('audio headers', () => {
  it('derives WAV duration from the data chunk and byte rate', () => {
    const wav = bytes(44, (dv, u8) => {
      put(u8, 0, 'RIFF');
      put(u8, 8, 'WAVE');
      put(u8, 12, 'fmt ');
      dv.setUint32(16, 16, true);
      dv.setUint16(20, 1, true);
      dv.setUint16(22, 2, true);
      dv.setUint32(24, 44_100, true);
      dv.setUint32(28, 44_100 * 4, true);
      dv.setUint16(32, 4, true);
      dv.setUint16(34, 16, true);
      put(u8, 36, 'data');
      dv.setUint32(40, 44_100 * 4 * 3, true); // three seconds
    });
    expect(parseAudioHeader(wav)).toEqual({
      format: 'wav',
      sampleRateHz: 44_100,
      channels: 2,
      bitsPerSample: 16,
      codec: 'pcm',
      durationSeconds: 3,
    });
  });

  it('reads FLAC STREAMINFO', () => {
    // 48 kHz, 2 channels, 24 bits, 96,000 samples (2 s).
    const flac = bytes(42, (_dv, u8) => {
      put(u8, 0, 'fLaC');
      u8[4] = 0x80;
      const s = 18;
      const rate = 48_000;
      u8[s] = rate >> 12;
      u8[s + 1] = (rate >> 4) & 0xff;
      u8[s + 2] = ((rate & 0x0f) << 4) | ((2 - 1) << 1) | ((24 - 1) >> 4);
      u8[s + 3] = ((24 - 1) & 0x0f) << 4;
      u8.set([0x00, 0x01, 0x77, 0x00], s + 4); // low 32 bits of 96,000
    });
    expect(parseAudioHeader(flac)).toMatchObject({
      format: 'flac',
      sampleRateHz: 48_000,
      channels: 2,
      bitsPerSample: 24,
      durationSeconds: 2,
    });
  });

  it('estimates MP3 duration from the bit rate after an ID3 tag', () => {
    const size = 10 + 20 + 16_000;
    const mp3 = bytes(size, (_dv, u8) => {
      put(u8, 0, 'ID3');
      u8[9] = 20; // tag body of 20 bytes
      // MPEG-1 layer III, 128 kbps, 44.1 kHz, stereo.
      u8.set([0xff, 0xfb, 0x90, 0x00], 30);
    });
    const header = parseAudioHeader(mp3);
    expect(header).toMatchObject({
      format: 'mp3',
      sampleRateHz: 44_100,
      channels: 2,
      bitrateKbps: 128,
      durationEstimated: true,
    });
    expect(header?.durationSeconds).toBeCloseTo((16_000 * 8) / 128_000, 6);
  });
});

describe('video containers', () => {
  it('reads the MP4 duration from moov/mvhd after a media box', async () => {
    const mp4 = bytes(16 + 24 + 8 + 8 + 108, (dv, u8) => {
      dv.setUint32(0, 16);
      put(u8, 4, 'ftyp');
      put(u8, 8, 'isom');
      dv.setUint32(16, 24);
      put(u8, 20, 'mdat');
      const moov = 40;
      dv.setUint32(moov, 8 + 8 + 108);
      put(u8, moov + 4, 'moov');
      dv.setUint32(moov + 8, 8 + 108);
      put(u8, moov + 12, 'mvhd');
      const body = moov + 16;
      dv.setUint32(body + 12, 1000); // timescale
      dv.setUint32(body + 16, 12_500); // duration
    });
    expect(await parseVideoHeader(bytesSource(mp4))).toEqual({
      container: 'mp4',
      brand: 'isom',
      timescale: 1000,
      durationSeconds: 12.5,
    });
  });

  it('recognises WebM by its EBML DocType', async () => {
    const webm = bytes(40, (_dv, u8) => {
      u8.set([0x1a, 0x45, 0xdf, 0xa3]);
      put(u8, 20, 'webm');
    });
    expect(await parseVideoHeader(bytesSource(webm))).toEqual({ container: 'webm' });
  });
});

describe('SEG-Y', () => {
  function segy(
    traces: number,
    samples: number,
    options: { intervalMicros?: number; format?: number; littleEndian?: boolean } = {},
  ) {
    const size = 3600 + traces * (240 + samples * 4);
    return bytes(size, (dv, u8) => {
      u8.fill(0x40, 0, 3200); // EBCDIC spaces
      u8.set([0xc3, 0xf0, 0xf1], 0); // "C01"
      const le = options.littleEndian ?? false;
      dv.setUint16(3216, options.intervalMicros ?? 2000, le);
      dv.setUint16(3220, samples, le);
      dv.setUint16(3224, options.format ?? 5, le);
      dv.setUint16(3500, 0x0100, le);
      for (let t = 0; t < traces; t += 1) dv.setUint16(3600 + t * (240 + samples * 4) + 114, samples, le);
    });
  }

  it('reads traces, samples, interval, rate and format from the headers', async () => {
    const header = await parseSegy(bytesSource(segy(24, 1501)));
    expect(header).toMatchObject({
      traces: 24,
      samplesPerTrace: 1501,
      sampleIntervalMicros: 2000,
      sampleRateHz: 500,
      formatCode: 5,
      formatName: '4-byte IEEE floating point',
      byteOrder: 'big-endian',
      revision: '1.0',
      textEncoding: 'ebcdic',
      recordLengthSeconds: 3.002,
    });
    expect(header.textualHeader.startsWith('C01')).toBe(true);
  });

  it('detects little-endian binary headers', async () => {
    expect(
      await parseSegy(bytesSource(segy(3, 100, { littleEndian: true, intervalMicros: 1000 }))),
    ).toMatchObject({
      byteOrder: 'little-endian',
      sampleRateHz: 1000,
      traces: 3,
    });
  });

  it('explains a truncated upload and a file that is not SEG-Y', async () => {
    const full = segy(4, 50);
    await expect(parseSegy(bytesSource(full.subarray(0, full.length - 10)))).rejects.toThrow(
      /Trace 4 declares 50 samples but the file ends/,
    );
    await expect(parseSegy(bytesSource(segy(1, 10, { format: 4 })))).rejects.toBeInstanceOf(SegyFormatError);
    await expect(parseSegy(bytesSource(new Uint8Array(100)))).rejects.toThrow(/3,600 bytes of headers/);
  });
});
