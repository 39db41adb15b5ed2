import { ConflictError, PayloadTooLargeError } from '../../kernel/app-error';

/**
 * What each tier may store. Enforced before an upload is allowed (the API refuses with 413/409
 * naming the limit and the tier) and again when the object arrives (a file bigger than allowed is
 * rejected and deleted). Counters come from the database triggers (users.dataset_count,
 * users.storage_used_bytes); nothing here writes them.
 */
export const TIERS = ['free', 'pro', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];

export interface TierLimits {
  /** Largest single file. S3 takes at most 5 GiB in one POST. */
  maxFileBytes: number;
  maxDatasets: number;
  maxStorageBytes: number;
  /**
   * What one uploaded archive (a zip of images, documents or sounds) may unpack to, counted while
   * inflating whatever its directory declares; at most what a worker's 10 GiB /tmp holds beside it.
   */
  maxUnpackedBytes: number;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const DEFAULT_TIER_LIMITS: Readonly<Record<Tier, TierLimits>> = {
  free: { maxFileBytes: 100 * MiB, maxDatasets: 10, maxStorageBytes: 1 * GiB, maxUnpackedBytes: 1 * GiB },
  pro: { maxFileBytes: 5 * GiB, maxDatasets: 200, maxStorageBytes: 100 * GiB, maxUnpackedBytes: 4 * GiB },
  enterprise: {
    maxFileBytes: 5 * GiB,
    maxDatasets: 10_000,
    maxStorageBytes: 5 * 1024 * GiB,
    maxUnpackedBytes: 4 * GiB,
  },
};

export type TierLimitOverrides = Partial<Record<Tier, Partial<TierLimits>>>;

export function tierLimits(tier: Tier, overrides: TierLimitOverrides = {}): TierLimits {
  return { ...DEFAULT_TIER_LIMITS[tier], ...(overrides[tier] ?? {}) };
}

export interface UsageSnapshot {
  tier: Tier;
  datasetCount: number;
  storageUsedBytes: number;
}

export type LimitName = 'fileSize' | 'datasetCount' | 'storage';

export interface LimitBreach {
  limit: LimitName;
  tier: Tier;
  allowed: number;
  requested: number;
  message: string;
}

export function humanBytes(bytes: number): string {
  if (bytes >= GiB) return `${trim(bytes / GiB)} GiB`;
  if (bytes >= MiB) return `${trim(bytes / MiB)} MiB`;
  if (bytes >= 1024) return `${trim(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

function trim(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** A file of `sizeBytes` for this user: too big on its own, or too much for the storage left. */
export function checkFileAllowed(
  usage: UsageSnapshot,
  limits: TierLimits,
  sizeBytes: number,
): LimitBreach | undefined {
  if (sizeBytes > limits.maxFileBytes) {
    return {
      limit: 'fileSize',
      tier: usage.tier,
      allowed: limits.maxFileBytes,
      requested: sizeBytes,
      message: `The file is ${humanBytes(sizeBytes)}; the ${usage.tier} tier accepts files up to ${humanBytes(limits.maxFileBytes)}.`,
    };
  }
  if (usage.storageUsedBytes + sizeBytes > limits.maxStorageBytes) {
    const left = Math.max(0, limits.maxStorageBytes - usage.storageUsedBytes);
    return {
      limit: 'storage',
      tier: usage.tier,
      allowed: limits.maxStorageBytes,
      requested: usage.storageUsedBytes + sizeBytes,
      message: `The file is ${humanBytes(sizeBytes)} but only ${humanBytes(left)} of the ${usage.tier} tier's ${humanBytes(limits.maxStorageBytes)} storage is left.`,
    };
  }
  return undefined;
}

export function checkDatasetAllowed(usage: UsageSnapshot, limits: TierLimits): LimitBreach | undefined {
  if (usage.datasetCount >= limits.maxDatasets) {
    return {
      limit: 'datasetCount',
      tier: usage.tier,
      allowed: limits.maxDatasets,
      requested: usage.datasetCount + 1,
      message: `The ${usage.tier} tier allows ${limits.maxDatasets} datasets and you have ${usage.datasetCount}; delete one or upgrade.`,
    };
  }
  return undefined;
}

/** The API's answer to a breach: 413 for a file too large, 409 for counts and storage. */
export function limitError(breach: LimitBreach): PayloadTooLargeError | ConflictError {
  const details = {
    limit: breach.limit,
    tier: breach.tier,
    allowed: breach.allowed,
    requested: breach.requested,
  };
  if (breach.limit === 'fileSize') {
    return new PayloadTooLargeError('LIMIT.FILE_SIZE', breach.message, { field: 'sizeBytes', details });
  }
  return new ConflictError(
    breach.limit === 'storage' ? 'LIMIT.STORAGE' : 'LIMIT.DATASET_COUNT',
    breach.message,
    {
      details,
    },
  );
}
