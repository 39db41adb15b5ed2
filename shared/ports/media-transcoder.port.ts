/**
 * Decoding compressed audio and reading video containers (shared/adapters/media implements it
 * with the ffmpeg and ffprobe binaries that npm packages ship; in AWS, a Lambda layer). The core
 * reads WAV itself; everything else reaches it as WAV.
 */

export interface MediaStreamFacts {
  /** ffprobe's container names, e.g. "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "wav". */
  container: string;
  durationSeconds: number | null;
  video: { codec: string; width: number; height: number; fps: number | null; frames: number | null } | null;
  audio: { codec: string; sampleRate: number; channels: number } | null;
}

export class MediaDecodeError extends Error {
  override name = 'MediaDecodeError';
  constructor(
    message: string,
    readonly reason: 'unreadable' | 'no-stream' | 'too-long' | 'unavailable',
  ) {
    super(message);
  }
}

export interface MediaTranscoder {
  /** What the file holds (streams, codecs, duration); MediaDecodeError when it is not media. */
  probe(inputPath: string): Promise<MediaStreamFacts>;
  /** Decodes the first audio stream to a 32-bit float WAV at its own rate and channels. */
  audioToWav(inputPath: string, outputPath: string, options: { maxSeconds: number }): Promise<void>;
  /** Writes `count` frames sampled evenly (or `perSecond` frames a second) as PNG files; returns their paths in order. */
  extractFrames(
    inputPath: string,
    outputDir: string,
    options: { perSecond: number; maxFrames: number; width: number },
  ): Promise<{ path: string; seconds: number }[]>;
}
