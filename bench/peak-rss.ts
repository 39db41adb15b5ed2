import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Peak resident set size of this process (Linux VmHWM, which counts DuckDB's native memory as
 * well as the JavaScript heap). `resetPeakRss()` starts a new peak from the current RSS, so a
 * measurement can exclude its own setup; where the kernel does not allow that, the peak covers the
 * whole process and `reset` says so.
 */
export function resetPeakRss(): boolean {
  try {
    // "5" resets the peak RSS counter (proc(5), clear_refs).
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

export function peakRssBytes(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match?.[1]) return Number(match[1]) * 1024;
  } catch {
    // Not Linux: fall back to getrusage's peak, which is in kilobytes there too.
  }
  return process.resourceUsage().maxRSS * 1024;
}
