import { ascii, view } from './byte-reader';

/** Audio facts from the headers of WAV (RIFF), FLAC (STREAMINFO) and MP3 (frame header, Xing/Info). */
export interface AudioHeader {
  format: 'wav' | 'flac' | 'mp3';
  sampleRateHz: number;
  channels: number;
  bitsPerSample?: number;
  /** Seconds, when derivable from the headers (MP3 without a Xing/Info frame: estimated from the bit rate). */
  durationSeconds?: number;
  durationEstimated?: boolean;
  bitrateKbps?: number;
  codec?: string;
}

export const AUDIO_HEAD_BYTES = 256 * 1024;

export function parseAudioHeader(bytes: Uint8Array, fileSize = bytes.length): AudioHeader | undefined {
  if (bytes.length < 12) return undefined;
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WAVE') return parseWav(bytes);
  if (ascii(bytes, 0, 4) === 'fLaC') return parseFlac(bytes);
  return parseMp3(bytes, fileSize);
}

function parseWav(bytes: Uint8Array): AudioHeader | undefined {
  const dv = view(bytes);
  let at = 12;
  let fmt: { codec: number; channels: number; rate: number; byteRate: number; bits: number } | undefined;
  while (at + 8 <= bytes.length) {
    const id = ascii(bytes, at, 4);
    const size = dv.getUint32(at + 4, true);
    if (id === 'fmt ' && at + 24 <= bytes.length) {
      fmt = {
        codec: dv.getUint16(at + 8, true),
        channels: dv.getUint16(at + 10, true),
        rate: dv.getUint32(at + 12, true),
        byteRate: dv.getUint32(at + 16, true),
        bits: dv.getUint16(at + 22, true),
      };
    }
    if (id === 'data' && fmt) {
      return {
        format: 'wav',
        sampleRateHz: fmt.rate,
        channels: fmt.channels,
        bitsPerSample: fmt.bits,
        codec: fmt.codec === 1 ? 'pcm' : fmt.codec === 3 ? 'ieee-float' : `wave-format-${fmt.codec}`,
        ...(fmt.byteRate > 0 ? { durationSeconds: size / fmt.byteRate } : {}),
      };
    }
    at += 8 + size + (size % 2);
  }
  return undefined;
}

function parseFlac(bytes: Uint8Array): AudioHeader | undefined {
  // The first metadata block is STREAMINFO (type 0); its sample facts start 10 bytes into its data.
  if (((bytes[4] ?? 0x7f) & 0x7f) !== 0 || bytes.length < 8 + 18) return undefined;
  const s = 8 + 10;
  const b = (i: number) => bytes[s + i] ?? 0;
  const sampleRate = (b(0) << 12) | (b(1) << 4) | (b(2) >> 4);
  const channels = ((b(2) >> 1) & 0x07) + 1;
  const bits = (((b(2) & 0x01) << 4) | (b(3) >> 4)) + 1;
  const totalSamples = (b(3) & 0x0f) * 2 ** 32 + ((b(4) << 24) >>> 0) + (b(5) << 16) + (b(6) << 8) + b(7);
  if (sampleRate === 0) return undefined;
  return {
    format: 'flac',
    sampleRateHz: sampleRate,
    channels,
    bitsPerSample: bits,
    codec: 'flac',
    ...(totalSamples > 0 ? { durationSeconds: totalSamples / sampleRate } : {}),
  };
}

const MP3_BITRATES: Record<string, number[]> = {
  // [version group][layer] → kbps by index 1–14
  'v1-l1': [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  'v1-l2': [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  'v1-l3': [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  'v2-l1': [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  'v2-l2': [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  'v2-l3': [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MP3_RATES: Record<number, number[]> = {
  3: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  0: [11025, 12000, 8000],
};

function parseMp3(bytes: Uint8Array, fileSize: number): AudioHeader | undefined {
  let at = 0;
  if (ascii(bytes, 0, 3) === 'ID3' && bytes.length >= 10) {
    const size =
      (((bytes[6] ?? 0) & 0x7f) << 21) |
      (((bytes[7] ?? 0) & 0x7f) << 14) |
      (((bytes[8] ?? 0) & 0x7f) << 7) |
      ((bytes[9] ?? 0) & 0x7f);
    at = 10 + size;
  }
  // The first frame sync within a few KiB of the tags.
  const limit = Math.min(bytes.length - 4, at + 8192);
  for (; at < limit; at += 1) {
    if (bytes[at] !== 0xff || ((bytes[at + 1] ?? 0) & 0xe0) !== 0xe0) continue;
    const b1 = bytes[at + 1] ?? 0;
    const b2 = bytes[at + 2] ?? 0;
    const b3 = bytes[at + 3] ?? 0;
    const version = (b1 >> 3) & 0x03; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
    const layerBits = (b1 >> 1) & 0x03; // 1 = layer III
    const bitrateIndex = b2 >> 4;
    const rateIndex = (b2 >> 2) & 0x03;
    if (version === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3)
      continue;
    const layer = 4 - layerBits;
    const sampleRate = MP3_RATES[version]?.[rateIndex];
    const bitrate = MP3_BITRATES[`${version === 3 ? 'v1' : 'v2'}-l${layer}`]?.[bitrateIndex - 1];
    if (!sampleRate || !bitrate) continue;
    const channels = b3 >> 6 === 3 ? 1 : 2;
    const samplesPerFrame = layer === 1 ? 384 : layer === 3 && version !== 3 ? 576 : 1152;
    // Xing/Info (VBR) header: after the side information, carries the frame count.
    const sideInfo = version === 3 ? (channels === 1 ? 17 : 32) : channels === 1 ? 9 : 17;
    const xing = at + 4 + sideInfo;
    const tag = ascii(bytes, xing, 4);
    if ((tag === 'Xing' || tag === 'Info') && ((bytes[xing + 7] ?? 0) & 0x01) === 1) {
      const frames = view(bytes).getUint32(xing + 8);
      return {
        format: 'mp3',
        sampleRateHz: sampleRate,
        channels,
        bitrateKbps: bitrate,
        codec: `mpeg-layer-${layer}`,
        durationSeconds: (frames * samplesPerFrame) / sampleRate,
      };
    }
    return {
      format: 'mp3',
      sampleRateHz: sampleRate,
      channels,
      bitrateKbps: bitrate,
      codec: `mpeg-layer-${layer}`,
      durationSeconds: ((fileSize - at) * 8) / (bitrate * 1000),
      durationEstimated: true,
    };
  }
  return undefined;
}
