import { describe, expect, it } from 'vitest';
import { ConflictError, PayloadTooLargeError } from '../../../../../shared/kernel/app-error';
import {
  checkDatasetAllowed,
  checkFileAllowed,
  humanBytes,
  limitError,
  tierLimits,
} from '../../../../../shared/domain/datasets/tier-limits';

const MiB = 1024 * 1024;

describe('tier limits', () => {
  it('refuses a file over the tier size with the size, the tier and the allowance in words', () => {
    const breach = checkFileAllowed(
      { tier: 'free', datasetCount: 0, storageUsedBytes: 0 },
      tierLimits('free'),
      150 * MiB,
    );
    expect(breach).toMatchObject({
      limit: 'fileSize',
      tier: 'free',
      allowed: 100 * MiB,
      requested: 150 * MiB,
    });
    expect(breach?.message).toBe('The file is 150 MiB; the free tier accepts files up to 100 MiB.');
  });

  it('accepts a file exactly at the limit and refuses one byte more', () => {
    const usage = { tier: 'free' as const, datasetCount: 0, storageUsedBytes: 0 };
    const limits = tierLimits('free', { free: { maxFileBytes: 1000 } });
    expect(checkFileAllowed(usage, limits, 1000)).toBeUndefined();
    expect(checkFileAllowed(usage, limits, 1001)?.limit).toBe('fileSize');
  });

  it('refuses a file that fits alone but not in the storage left', () => {
    const limits = tierLimits('free');
    const breach = checkFileAllowed(
      { tier: 'free', datasetCount: 1, storageUsedBytes: limits.maxStorageBytes - 10 * MiB },
      limits,
      20 * MiB,
    );
    expect(breach).toMatchObject({ limit: 'storage', allowed: limits.maxStorageBytes });
    expect(breach?.message).toContain('only 10 MiB');
  });

  it('counts datasets: the tenth is allowed on free, the eleventh is not', () => {
    const limits = tierLimits('free');
    expect(
      checkDatasetAllowed({ tier: 'free', datasetCount: 9, storageUsedBytes: 0 }, limits),
    ).toBeUndefined();
    expect(checkDatasetAllowed({ tier: 'free', datasetCount: 10, storageUsedBytes: 0 }, limits)?.limit).toBe(
      'datasetCount',
    );
    expect(
      checkDatasetAllowed({ tier: 'pro', datasetCount: 10, storageUsedBytes: 0 }, tierLimits('pro')),
    ).toBeUndefined();
  });

  it('maps file size to 413 and the other limits to 409, with the facts as details', () => {
    const big = limitError({ limit: 'fileSize', tier: 'pro', allowed: 1, requested: 2, message: 'too big' });
    expect(big).toBeInstanceOf(PayloadTooLargeError);
    expect(big).toMatchObject({
      status: 413,
      code: 'LIMIT.FILE_SIZE',
      details: { tier: 'pro', allowed: 1, requested: 2 },
    });
    const count = limitError({
      limit: 'datasetCount',
      tier: 'free',
      allowed: 10,
      requested: 11,
      message: 'too many',
    });
    expect(count).toBeInstanceOf(ConflictError);
    expect(count.code).toBe('LIMIT.DATASET_COUNT');
    expect(
      limitError({ limit: 'storage', tier: 'free', allowed: 1, requested: 2, message: 'full' }).code,
    ).toBe('LIMIT.STORAGE');
  });

  it('overrides only the fields given, per tier', () => {
    expect(tierLimits('free', { free: { maxDatasets: 2 } })).toEqual({
      ...tierLimits('free'),
      maxDatasets: 2,
    });
    expect(tierLimits('pro', { free: { maxDatasets: 2 } })).toEqual(tierLimits('pro'));
  });

  it.each([
    [512, '512 bytes'],
    [4096, '4 KiB'],
    [1536 * 1024, '1.5 MiB'],
    [5 * 1024 * MiB, '5 GiB'],
  ])('writes %d bytes as %s', (bytes, text) => {
    expect(humanBytes(bytes)).toBe(text);
  });
});
