import { describe, expect, it } from 'vitest';
import {
  checkFetchTarget,
  isPublicAddress,
  UnsafeUrlError,
} from '../../../../../../shared/domain/datasets/refresh/safe-fetch';
import {
  assertOwnS3Source,
  parseRefreshSource,
  refreshInterval,
} from '../../../../../../shared/domain/datasets/refresh/refresh-source';

describe('SSRF address checks', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '169.254.0.1',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    'fd00:ec2::254',
    'fc00::1',
    'fe80::1',
    'ff02::1',
    '64:ff9b::10.0.0.1',
    '2002:c0a8:0101::1',
    '2001:db8::1',
  ])('refuses %s', (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '192.169.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '64:ff9b::8.8.8.8',
  ])('allows %s', (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });

  it('refuses anything that is not an address', () => {
    expect(isPublicAddress('localhost')).toBe(false);
    expect(isPublicAddress('')).toBe(false);
  });

  it('refuses a host when any of its addresses is private (one bad record is enough)', async () => {
    const resolve = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ];
    await expect(checkFetchTarget(new URL('https://data.example.com/x.csv'), { resolve })).rejects.toThrow(
      /10\.0\.0\.5/,
    );
  });

  it('refuses plain http, credentials and literal private addresses before resolving anything', async () => {
    const resolve = async () => {
      throw new Error('must not resolve');
    };
    await expect(checkFetchTarget(new URL('http://example.com/a.csv'), { resolve })).rejects.toBeInstanceOf(
      UnsafeUrlError,
    );
    await expect(
      checkFetchTarget(new URL('https://u:p@example.com/a.csv'), { resolve }),
    ).rejects.toBeInstanceOf(UnsafeUrlError);
    await expect(
      checkFetchTarget(new URL('https://169.254.169.254/latest/meta-data'), { resolve }),
    ).rejects.toBeInstanceOf(UnsafeUrlError);
    await expect(checkFetchTarget(new URL('https://[::1]/a.csv'), { resolve })).rejects.toBeInstanceOf(
      UnsafeUrlError,
    );
  });

  it('lets an allow-listed host through (local runtime only) and returns the address to pin', async () => {
    const resolve = async () => [{ address: '127.0.0.1', family: 4 }];
    await expect(checkFetchTarget(new URL('https://files.test/a.csv'), { resolve })).rejects.toBeInstanceOf(
      UnsafeUrlError,
    );
    await expect(
      checkFetchTarget(new URL('https://files.test/a.csv'), { resolve, allowedHosts: ['files.test'] }),
    ).resolves.toEqual({
      address: '127.0.0.1',
      family: 4,
    });
  });
});

describe('refresh sources and schedules', () => {
  const user = '7f9c2a4e-1b3d-4c5e-8f6a-0b1c2d3e4f50';

  it('accepts https URLs and s3 URIs under the user’s own sources folder only', () => {
    expect(parseRefreshSource('https://example.com/data.csv').kind).toBe('https');
    expect(() => parseRefreshSource('http://example.com/data.csv')).toThrow(/https/);
    expect(() => parseRefreshSource('file:///etc/passwd')).toThrow(/https/);
    const s3 = (uri: string) => {
      const source = parseRefreshSource(uri);
      if (source.kind !== 's3') throw new Error('expected s3');
      return source;
    };
    const own = s3(`s3://bucket/sources/${user}/feeds/feed.csv`);
    expect(() => assertOwnS3Source(own, 'bucket', user)).not.toThrow();
    expect(() => assertOwnS3Source(own, 'other-bucket', user)).toThrow(/sources folder/);
    // The drop folder ingests and moves every file written there: a refresh would find nothing.
    expect(() => assertOwnS3Source(s3(`s3://bucket/dropbox/${user}/feed.csv`), 'bucket', user)).toThrow(
      /sources\/7f9c2a4e/,
    );
    expect(() => assertOwnS3Source(s3(`s3://bucket/raw/${user}/x/1/feed.csv`), 'bucket', user)).toThrow(
      /sources folder/,
    );
    const other = '0a9c2a4e-1b3d-4c5e-8f6a-0b1c2d3e4f50';
    expect(() => assertOwnS3Source(s3(`s3://bucket/sources/${other}/feed.csv`), 'bucket', user)).toThrow(
      /sources folder/,
    );
    expect(() =>
      assertOwnS3Source(s3(`s3://bucket/sources/${user}/../${other}/feed.csv`), 'bucket', user),
    ).toThrow(/sources folder/);
    expect(() => assertOwnS3Source(s3(`s3://bucket/sources/${user}/`), 'bucket', user)).toThrow(
      /sources folder/,
    );
  });

  it('reads rate schedules as intervals of at least 15 minutes and accepts cron', () => {
    expect(refreshInterval('rate(1 hour)')).toBe(3_600_000);
    expect(refreshInterval('rate(15 minutes)')).toBe(900_000);
    expect(refreshInterval('cron(0 3 * * ? *)')).toBeUndefined();
    expect(() => refreshInterval('rate(5 minutes)')).toThrow(/15 minutes/);
    expect(() => refreshInterval('every day')).toThrow(/rate/);
  });
});
