/** How long before its timeout a Lambda invocation stops its work, to clean up and record the outcome. */
export const STOP_BEFORE_TIMEOUT_MS = 30_000;

/** What the host tells about the time left (Lambda's `Context`; the local runtime builds the same). */
export interface TimedContext {
  getRemainingTimeInMillis?: () => number;
}

export interface InvocationDeadline {
  /** Aborted when the work should stop: `margin` before the host's time runs out. */
  signal: AbortSignal;
  /** Clears the timer once the invocation is over. */
  dispose(): void;
}

/**
 * A signal that fires shortly before the invocation's time runs out: Lambda kills a function at
 * its timeout without running `finally` blocks, so work that is still going then leaves its
 * scratch files behind and its status unrecorded. The margin is `marginMs`, or a quarter of the
 * time left when that is shorter. Undefined when the host gives no time limit.
 */
export function invocationDeadline(
  context: TimedContext | undefined,
  marginMs = STOP_BEFORE_TIMEOUT_MS,
): InvocationDeadline | undefined {
  const remaining = context?.getRemainingTimeInMillis?.();
  if (remaining === undefined || !Number.isFinite(remaining)) return undefined;
  const controller = new AbortController();
  const margin = Math.min(marginMs, Math.floor(remaining / 4));
  const timer = setTimeout(() => controller.abort(), Math.max(0, remaining - margin));
  timer.unref();
  return { signal: controller.signal, dispose: () => clearTimeout(timer) };
}

/** The work stopped because the invocation's time was nearly up, not because anything failed. */
export class InvocationOutOfTimeError extends Error {
  override name = 'PipeWeave.OutOfTime';
  constructor(what: string) {
    super(`${what} stopped: the invocation's time was nearly up.`);
  }
}

/** Throws InvocationOutOfTimeError once `deadline` has fired. */
export function checkDeadline(deadline: AbortSignal | undefined, what: string): void {
  if (deadline?.aborted) throw new InvocationOutOfTimeError(what);
}

/**
 * `work`, or InvocationOutOfTimeError as soon as `deadline` fires, whichever comes first. Work
 * that cannot be interrupted is left to finish on its own; its outcome is ignored (a rejection is
 * caught so it cannot crash the process later).
 */
export function untilDeadline<T>(
  work: Promise<T>,
  deadline: AbortSignal | undefined,
  what: string,
): Promise<T> {
  if (!deadline) return work;
  return new Promise<T>((resolve, reject) => {
    const onDeadline = () => {
      work.catch(() => undefined);
      reject(new InvocationOutOfTimeError(what));
    };
    if (deadline.aborted) return onDeadline();
    deadline.addEventListener('abort', onDeadline, { once: true });
    work.then(
      (value) => {
        deadline.removeEventListener('abort', onDeadline);
        resolve(value);
      },
      (error: unknown) => {
        deadline.removeEventListener('abort', onDeadline);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
