import type { VersionValidationIssue } from '../../datasets/dataset-records';

/**
 * Thrown by a modality processor when the file itself is at fault (empty, malformed, too wide…).
 * The worker records it as a failed version with these issues and does not retry: the same bytes
 * would fail the same way.
 */
export class FileValidationFailure extends Error {
  override name = 'FileValidationFailure';
  constructor(readonly issues: VersionValidationIssue[]) {
    super(issues[0]?.message ?? 'The file did not pass validation.');
  }
}

export function failFile(
  code: string,
  message: string,
  extra: Omit<VersionValidationIssue, 'code' | 'message'> = {},
): never {
  throw new FileValidationFailure([{ code, message, ...extra }]);
}

/** Bounded sample of an offending value for an error message. */
export function sampleOf(value: string, max = 120): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
