/**
 * WAV (RIFF/WAVE) reading and writing on typed arrays: PCM 8 (unsigned), 16, 24 and 32-bit,
 * IEEE float 32 and 64-bit, plain or WAVE_FORMAT_EXTENSIBLE. Samples come out as one Float32Array
 * per channel in −1…1. Other codecs (FLAC, MP3, Ogg) reach this reader as WAV through the
 * transcoder port.
 */

export interface PcmAudio {
  sampleRate: number;
  /** One array per channel, −1…1. */
  channels: Float32Array[];
}

export interface WavInfo {
  sampleRate: number;
  channelCount: number;
  bitsPerSample: number;
  encoding: 'pcm' | 'float';
  frames: number;
}

export class AudioDecodeError extends Error {
  override name = 'AudioDecodeError';
  constructor(
    message: string,
    readonly reason: 'not-wav' | 'unsupported' | 'truncated' | 'empty',
  ) {
    super(message);
  }
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

function ascii(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);
}

/** Whether the bytes start like a WAV file. */
export function looksLikeWav(head: Uint8Array): boolean {
  return head.length >= 12 && ascii(head, 0) === 'RIFF' && ascii(head, 8) === 'WAVE';
}

interface Chunks {
  info: WavInfo;
  dataOffset: number;
  dataBytes: number;
}

function readChunks(bytes: Uint8Array): Chunks {
  if (!looksLikeWav(bytes))
    throw new AudioDecodeError('Not a WAV file (it does not start with RIFF…WAVE).', 'not-wav');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 12;
  let fmt: Omit<WavInfo, 'frames'> | undefined;
  let blockAlign = 0;
  while (at + 8 <= bytes.length) {
    const id = ascii(bytes, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length)
        throw new AudioDecodeError('The WAV format chunk is cut short.', 'truncated');
      let format = view.getUint16(body, true);
      const channelCount = view.getUint16(body + 2, true);
      const sampleRate = view.getUint32(body + 4, true);
      blockAlign = view.getUint16(body + 12, true);
      const bitsPerSample = view.getUint16(body + 14, true);
      if (format === FORMAT_EXTENSIBLE) {
        if (size < 40 || body + 26 > bytes.length)
          throw new AudioDecodeError('The WAV extensible format chunk is cut short.', 'truncated');
        format = view.getUint16(body + 24, true);
      }
      if (format !== FORMAT_PCM && format !== FORMAT_FLOAT)
        throw new AudioDecodeError(
          `WAV format code ${format} is not PCM (1) or IEEE float (3): convert it to PCM or upload FLAC, MP3 or Ogg.`,
          'unsupported',
        );
      const encoding = format === FORMAT_FLOAT ? 'float' : 'pcm';
      const supported = encoding === 'float' ? [32, 64] : [8, 16, 24, 32];
      if (!supported.includes(bitsPerSample))
        throw new AudioDecodeError(
          `${bitsPerSample}-bit ${encoding === 'float' ? 'float' : 'PCM'} WAV is not supported (supported: ${supported.join(', ')}-bit).`,
          'unsupported',
        );
      if (channelCount < 1 || channelCount > 32)
        throw new AudioDecodeError(`The WAV file declares ${channelCount} channels.`, 'unsupported');
      if (sampleRate < 1 || sampleRate > 768_000)
        throw new AudioDecodeError(`The WAV file declares a sample rate of ${sampleRate} Hz.`, 'unsupported');
      fmt = { sampleRate, channelCount, bitsPerSample, encoding };
    } else if (id === 'data') {
      if (!fmt)
        throw new AudioDecodeError('The WAV data chunk comes before its format chunk.', 'unsupported');
      const frameBytes = blockAlign || (fmt.channelCount * fmt.bitsPerSample) / 8;
      // A streaming writer may leave the size at 0 or 0xFFFFFFFF: the data runs to the end.
      const available = bytes.length - body;
      const dataBytes = size === 0 || size === 0xffffffff || size > available ? available : size;
      const frames = Math.floor(dataBytes / frameBytes);
      if (frames === 0) throw new AudioDecodeError('The WAV file holds no samples.', 'empty');
      return { info: { ...fmt, frames }, dataOffset: body, dataBytes: frames * frameBytes };
    }
    at = body + size + (size % 2);
  }
  throw new AudioDecodeError(
    fmt ? 'The WAV file has no data chunk (cut short?).' : 'The WAV file has no format chunk.',
    'truncated',
  );
}

/** The format of a WAV file without decoding its samples. */
export function readWavInfo(bytes: Uint8Array): WavInfo {
  return readChunks(bytes).info;
}

export function decodeWav(bytes: Uint8Array): PcmAudio {
  const { info, dataOffset } = readChunks(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { channelCount, frames, bitsPerSample, encoding } = info;
  const channels = Array.from({ length: channelCount }, () => new Float32Array(frames));
  const width = bitsPerSample / 8;
  let at = dataOffset;
  for (let f = 0; f < frames; f += 1) {
    for (let c = 0; c < channelCount; c += 1) {
      let v: number;
      if (encoding === 'float') v = width === 4 ? view.getFloat32(at, true) : view.getFloat64(at, true);
      else if (width === 1) v = ((bytes[at] ?? 128) - 128) / 128;
      else if (width === 2) v = view.getInt16(at, true) / 32768;
      else if (width === 3) {
        const raw = (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8) | ((bytes[at + 2] ?? 0) << 16);
        v = ((raw << 8) >> 8) / 8388608;
      } else v = view.getInt32(at, true) / 2147483648;
      (channels[c] as Float32Array)[f] = Number.isFinite(v) ? v : 0;
      at += width;
    }
  }
  return { sampleRate: info.sampleRate, channels };
}

/** A WAV file of the audio: 16-bit PCM (the default) or 32-bit float. */
export function encodeWav(audio: PcmAudio, encoding: 'pcm16' | 'float32' = 'pcm16'): Uint8Array {
  const channelCount = audio.channels.length;
  const frames = audio.channels[0]?.length ?? 0;
  const width = encoding === 'pcm16' ? 2 : 4;
  const dataBytes = frames * channelCount * width;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const text = (at: number, s: string) => {
    for (let i = 0; i < 4; i += 1) out[at + i] = s.charCodeAt(i);
  };
  text(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, encoding === 'pcm16' ? FORMAT_PCM : FORMAT_FLOAT, true);
  view.setUint16(22, channelCount, true);
  view.setUint32(24, audio.sampleRate, true);
  view.setUint32(28, audio.sampleRate * channelCount * width, true);
  view.setUint16(32, channelCount * width, true);
  view.setUint16(34, width * 8, true);
  text(36, 'data');
  view.setUint32(40, dataBytes, true);
  let at = 44;
  for (let f = 0; f < frames; f += 1)
    for (let c = 0; c < channelCount; c += 1) {
      const v = audio.channels[c]?.[f] ?? 0;
      if (encoding === 'pcm16') view.setInt16(at, Math.round(Math.max(-1, Math.min(1, v)) * 32767), true);
      else view.setFloat32(at, v, true);
      at += width;
    }
  return out;
}
