import type { VersionValidationIssue } from '../../dataset-records';
import { scrubServerPaths } from '../../../../kernel/scrub-server-paths';
import { capValidationIssues } from './version-json-limits';

/**
 * Thrown by a modality processor when the file itself is at fault (empty, malformed, too wide…).
 * The worker records it as a failed version with these issues and does not retry: the same bytes
 * would fail the same way.
 */
export class FileValidationFailure extends Error {
  override name = 'FileValidationFailure';
  /** As stored in `validation_errors`: bounded, however many problems the file has. */
  readonly issues: VersionValidationIssue[];
  constructor(issues: VersionValidationIssue[]) {
    super(issues[0]?.message ?? 'The file did not pass validation.');
    // Messages often quote a library's error; server paths never reach the user.
    this.issues = capValidationIssues(
      issues.map((issue) => ({ ...issue, message: scrubServerPaths(issue.message) })),
    );
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
