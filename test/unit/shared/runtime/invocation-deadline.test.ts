import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  InvocationOutOfTimeError,
  invocationDeadline,
  untilDeadline,
} from '../../../../shared/runtime/invocation-deadline';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A Lambda-like context whose time runs out `ms` from now (on the fake clock). */
function contextWithRemaining(ms: number) {
  const end = Date.now() + ms;
  return { getRemainingTimeInMillis: () => Math.max(0, end - Date.now()) };
}

describe('invocationDeadline', () => {
  it('fires 30 s before a 15-minute invocation runs out', () => {
    const deadline = invocationDeadline(contextWithRemaining(900_000));
    expect(deadline?.signal.aborted).toBe(false);
    vi.advanceTimersByTime(869_999);
    expect(deadline?.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(deadline?.signal.aborted).toBe(true);
  });

  it('keeps a quarter of a short invocation as the margin', () => {
    const deadline = invocationDeadline(contextWithRemaining(60_000));
    vi.advanceTimersByTime(44_999);
    expect(deadline?.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(deadline?.signal.aborted).toBe(true);
  });

  it('gives no deadline when the host has no time limit, and none after dispose', () => {
    expect(invocationDeadline(undefined)).toBeUndefined();
    expect(invocationDeadline({})).toBeUndefined();
    const deadline = invocationDeadline(contextWithRemaining(900_000));
    deadline?.dispose();
    vi.advanceTimersByTime(900_000);
    expect(deadline?.signal.aborted).toBe(false);
  });
});

describe('untilDeadline', () => {
  it('stops waiting for work that outlives the deadline', async () => {
    const deadline = invocationDeadline(contextWithRemaining(120_000));
    const never = new Promise<string>(() => undefined);
    const waiting = untilDeadline(never, deadline?.signal, 'Processing the file');
    const outcome = expect(waiting).rejects.toBeInstanceOf(InvocationOutOfTimeError);
    await vi.advanceTimersByTimeAsync(90_000);
    await outcome;
    await expect(waiting).rejects.toThrow(/Processing the file stopped/);
  });

  it('passes through the result or error of work that ends first', async () => {
    const deadline = invocationDeadline(contextWithRemaining(120_000));
    await expect(untilDeadline(Promise.resolve(42), deadline?.signal, 'work')).resolves.toBe(42);
    await expect(
      untilDeadline(Promise.reject(new Error('bad file')), deadline?.signal, 'work'),
    ).rejects.toThrow('bad file');
  });
});
