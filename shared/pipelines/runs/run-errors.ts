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

export function describeStatesError(error: StatesError): DescribedError {
  const fallback = {
    type: error.Error || 'Error',
    message: error.Cause || error.Error || 'Unknown error',
    traceback: [],
  };
  try {
    const parsed: unknown = JSON.parse(error.Cause);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const cause = parsed as Record<string, unknown>;
      const message = typeof cause['errorMessage'] === 'string' ? cause['errorMessage'] : fallback.message;
      const type = typeof cause['errorType'] === 'string' ? cause['errorType'] : fallback.type;
      const trace = Array.isArray(cause['trace']) ? cause['trace'].map(String) : [];
      return { type, message, traceback: trace };
    }
  } catch {
    // Plain-text cause.
  }
  return fallback;
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
