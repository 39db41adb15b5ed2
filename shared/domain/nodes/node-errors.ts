/**
 * Errors a node host reports to the state machine. Their `name` becomes the Task's `Error`, which
 * the machine's Retry and Catch match: only `PipeWeave.TransientError` is retried.
 */

/** The node cannot do what its params ask with its inputs (a missing column, an empty join key…). */
export class NodeError extends Error {
  override name = 'PipeWeave.NodeError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The job was cancelled (or the host is stopping): the node stopped without finishing. */
export class NodeCancelledError extends Error {
  override name = 'PipeWeave.NodeCancelled';
  constructor(message = 'The job was cancelled; the node stopped.') {
    super(message);
  }
}

/** A dependency (database, object store) was unavailable: the same attempt may succeed later. */
export class TransientNodeError extends Error {
  override name = 'PipeWeave.TransientError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export const TRANSIENT_ERROR_NAME = 'PipeWeave.TransientError';
