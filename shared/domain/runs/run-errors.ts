import { projectRelativeFrames, scrubServerPaths } from '../../kernel/scrub-server-paths';

/**
 * Errors as Step Functions hands them to the control plane: `{ Error, Cause }`, where a Lambda
 * function's Cause is the JSON `{ errorType, errorMessage, trace }` and a Fargate node's (or the
 * service's) Cause is plain text.
 */
export interface StatesError {
  Error: string;
  Cause: string;
}

export interface DescribedError {
  type: string;
  message: string;
  traceback: string[];
}

/**
 * What a job and its node records keep of an error, which their owner may read: no server paths
 * in the message, and frames named relative to the project (the full stack is in the logs).
 */
export function describeStatesError(error: StatesError): DescribedError {
  const fallback = {
    type: error.Error || 'Error',
    message: scrubServerPaths(error.Cause || error.Error || 'Unknown error'),
    traceback: [],
  };
  try {
    const parsed: unknown = JSON.parse(error.Cause);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const cause = parsed as Record<string, unknown>;
      const message =
        typeof cause['errorMessage'] === 'string'
          ? scrubServerPaths(cause['errorMessage'])
          : fallback.message;
      const type = typeof cause['errorType'] === 'string' ? cause['errorType'] : fallback.type;
      // A Lambda's trace starts with the error's own line (`Error: ENOENT … open '/tmp/…'`), which
      // may name a file the way a message does: every line loses its server paths.
      const trace = Array.isArray(cause['trace'])
        ? projectRelativeFrames(cause['trace'].map(String)).map(scrubServerPaths)
        : [];
      return { type, message, traceback: trace };
    }
  } catch {
    // Plain-text cause.
  }
  return fallback;
}

/**
 * The `{ Error, Cause }` Step Functions reports for an error thrown by a Lambda function: Error is
 * the error's name, Cause the JSON `{ errorType, errorMessage, trace }`. Hosts that report a
 * node's failure themselves (the Fargate container, the local interpreter) build it here so the
 * control plane reads every failure the same way (`describeStatesError`).
 */
export function lambdaErrorCause(error: unknown): StatesError {
  const name = error instanceof Error && error.name ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const trace =
    error instanceof Error && error.stack
      ? error.stack
          .split('\n')
          .slice(1)
          .map((line) => line.trim())
      : [];
  return { Error: name, Cause: JSON.stringify({ errorType: name, errorMessage: message, trace }) };
}

/** A human explanation of what went wrong, for a node's error. */
export function explainNodeError(described: DescribedError): string {
  switch (described.type) {
    case 'States.Timeout':
      return `The node ran out of time: ${described.message}`;
    case 'States.HeartbeatTimeout':
      return `The node stopped reporting heartbeats: ${described.message}`;
    default:
      return described.message;
  }
}
