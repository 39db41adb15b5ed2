import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { sharpImageCodec } from '../../../../../shared/adapters/image/sharp-image-codec';
import { ImageDecodeError } from '../../../../../shared/ports/image-codec.port';

async function photo(format: 'jpeg' | 'png'): Promise<Uint8Array> {
  const noise = Buffer.alloc(400 * 300 * 3);
  for (let i = 0; i < noise.length; i += 1) noise[i] = (i * 2654435761) % 251;
  const image = sharp(noise, { raw: { width: 400, height: 300, channels: 3 } });
  return new Uint8Array(await (format === 'jpeg' ? image.jpeg() : image.png()).toBuffer());
}

// Decoding and drawing images takes a while on a busy machine: the default 5 s is too short.
describe('the sharp image codec', { timeout: 60_000 }, () => {
  it.each(['jpeg', 'png'] as const)('reads a %s image’s format, size and channels', async (format) => {
    expect(await sharpImageCodec.inspect(await photo(format))).toMatchObject({
      format,
      width: 400,
      height: 300,
      channels: 3,
    });
  });

  it.each(['jpeg', 'png'] as const)('refuses a truncated %s file as corrupt', async (format) => {
    const bytes = await photo(format);
    const cut = bytes.subarray(0, Math.floor(bytes.length * 0.6));
    const inspected = sharpImageCodec.inspect(cut);
    await expect(inspected).rejects.toBeInstanceOf(ImageDecodeError);
    await expect(inspected).rejects.toMatchObject({ reason: 'corrupt' });
  });

  it('decodes to the size and channels asked for', async () => {
    const grey = await sharpImageCodec.decode(await photo('png'), {
      width: 9,
      height: 8,
      fit: 'fill',
      channels: 1,
    });
    expect([grey.width, grey.height, grey.channels, grey.data.length]).toEqual([9, 8, 1, 72]);
  });

  it('applies operations in the order given', async () => {
    const bytes = await photo('png');
    const cropped = await sharpImageCodec.transform(
      bytes,
      [
        { op: 'crop', left: 0, top: 0, width: 200, height: 100 },
        { op: 'rotate', degrees: 90 },
      ],
      { format: 'png' },
    );
    // Cropped to 200 × 100 first, then turned: 100 × 200.
    expect([cropped.width, cropped.height]).toEqual([100, 200]);
  });
});
