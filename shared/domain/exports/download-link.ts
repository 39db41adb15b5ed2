import type { Clock } from '../../kernel/clock.port';
import type { BlobStore } from '../../ports/blob-store.port';
import { safeDownloadName } from '../../storage/download-name';

/**
 * Downloads are short-lived presigned GETs of the object itself: the API never streams file bytes.
 * Every download route answers the same way (as `GET /models/{id}/download` does): a 302 to the
 * link, with a body that repeats it and says what it serves, for clients that do not follow
 * redirects.
 */

/** How long a download link stays valid. */
export const DOWNLOAD_LINK_SECONDS = 300;

export interface DownloadLink {
  url: string;
  expiresAt: string;
  /** The name the file is saved under (`Content-Disposition` of the link's answer). */
  fileName: string;
  /** SHA-256 of the bytes the link serves, when it is recorded. */
  sha256: string | null;
  sizeBytes: number | null;
}

export interface DownloadLinkDeps {
  blobs: BlobStore;
  clock: Clock;
}

/** A presigned GET of `key`, saved as `fileName` (made safe here; `fallbackName` when nothing of it is). */
export async function downloadLink(
  deps: DownloadLinkDeps,
  object: {
    key: string;
    fileName: string;
    fallbackName: string;
    sha256: string | null;
    sizeBytes: number | null;
  },
): Promise<DownloadLink> {
  const fileName = safeDownloadName(object.fileName, object.fallbackName);
  const expiresAt = new Date(deps.clock.now().getTime() + DOWNLOAD_LINK_SECONDS * 1000);
  const url = await deps.blobs.presignGet(object.key, DOWNLOAD_LINK_SECONDS, { downloadName: fileName });
  return {
    url,
    expiresAt: expiresAt.toISOString(),
    fileName,
    sha256: object.sha256,
    sizeBytes: object.sizeBytes,
  };
}
