/**
 * A SEG-Y file this reader cannot read as it is, with a stable code and a message that says where
 * (which trace, which header bytes) and what would fix it.
 */
export type SegyProblem =
  | 'SEGY.TOO_SHORT'
  | 'SEGY.TRUNCATED'
  | 'SEGY.UNKNOWN_FORMAT'
  | 'SEGY.INCONSISTENT_TRACE_LENGTH'
  | 'SEGY.ZERO_SAMPLE_RATE'
  | 'SEGY.NO_SAMPLES'
  | 'SEGY.UNSUPPORTED';

export class SegyFormatError extends Error {
  override name = 'SegyFormatError';
  constructor(
    readonly code: SegyProblem,
    message: string,
    /** The 1-based trace the problem is in, when it is in one. */
    readonly trace?: number,
  ) {
    super(message);
  }
}
