import { seriesStrength } from './decomposition';
import { inferFrequency, stepsBetween, type Frequency } from './frequency';

/**
 * What a time-series upload holds, series by series: timestamps in file order are checked (they
 * must increase within a series), the frequency inferred, and gaps, irregular spacing, missing
 * values, the range and the strength of trend and seasonality reported. Pure: the caller reads
 * the rows.
 */

export interface SeriesRows {
  /** The series each row belongs to ('' when the file holds one series). */
  series: readonly string[];
  /** Epoch milliseconds, NaN when the row has no usable timestamp. */
  times: Float64Array;
  /** The value profiled (NaN for a missing value). */
  values: Float64Array;
  /** Each row's 1-based row in the file (header = row 1). */
  rows: Int32Array;
}

export type OrderIssueKind = 'duplicate' | 'non_monotonic' | 'missing_timestamp';

export interface OrderIssue {
  kind: OrderIssueKind;
  series: string;
  row: number;
  /** The offending timestamp (ISO 8601), and the one before it in the same series. */
  timestamp: string | null;
  previous: string | null;
}

export interface SeriesProfile {
  series: string;
  length: number;
  start: string;
  end: string;
  frequency: string | null;
  /** Median interval between consecutive timestamps, in seconds. */
  medianIntervalSeconds: number | null;
  seasonalPeriod: number;
  /** Steps that should be there and are not (a gap of k missing steps counts k). */
  missingSteps: number;
  /** Places where one or more steps are missing. */
  gaps: number;
  /** Gaps that are not whole steps of the frequency. */
  irregularIntervals: number;
  /** Rows whose value is missing. */
  missingValues: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  trendStrength: number | null;
  seasonalityStrength: number | null;
}

export interface SeriesReport {
  profiles: SeriesProfile[];
  issues: OrderIssue[];
  /** Issues found in all, by kind (the list stops at `maxIssues`). */
  issueCounts: Record<OrderIssueKind, number>;
}

const iso = (t: number) => (Number.isFinite(t) ? new Date(t).toISOString() : null);
const round = (x: number | null, digits = 4) =>
  x === null || !Number.isFinite(x) ? null : Math.round(x * 10 ** digits) / 10 ** digits;

/** Groups rows by series, in first-seen order, keeping file order inside each. */
export function groupSeries(rows: SeriesRows): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < rows.series.length; i += 1) {
    const key = rows.series[i] ?? '';
    const list = groups.get(key);
    if (list) list.push(i);
    else groups.set(key, [i]);
  }
  return groups;
}

export function profileSeries(rows: SeriesRows, maxIssues = 20): SeriesReport {
  const issues: OrderIssue[] = [];
  const issueCounts: Record<OrderIssueKind, number> = {
    duplicate: 0,
    non_monotonic: 0,
    missing_timestamp: 0,
  };
  const note = (issue: OrderIssue) => {
    issueCounts[issue.kind] += 1;
    if (issues.length < maxIssues) issues.push(issue);
  };
  const profiles: SeriesProfile[] = [];
  for (const [series, indices] of groupSeries(rows)) {
    const times: number[] = [];
    const values: number[] = [];
    let previous = NaN;
    for (const i of indices) {
      const t = rows.times[i] ?? NaN;
      const row = rows.rows[i] ?? 0;
      if (Number.isNaN(t)) {
        note({ kind: 'missing_timestamp', series, row, timestamp: null, previous: iso(previous) });
        continue;
      }
      if (!Number.isNaN(previous) && t <= previous) {
        note({
          kind: t === previous ? 'duplicate' : 'non_monotonic',
          series,
          row,
          timestamp: iso(t),
          previous: iso(previous),
        });
        continue;
      }
      times.push(t);
      values.push(rows.values[i] ?? NaN);
      previous = t;
    }
    profiles.push(describeSeries(series, times, values));
  }
  return { profiles, issues, issueCounts };
}

function describeSeries(series: string, times: number[], values: number[]): SeriesProfile {
  const frequency = inferFrequency(times);
  const { missingSteps, gaps, irregular } = frequency
    ? spacing(frequency, times)
    : { missingSteps: 0, gaps: 0, irregular: 0 };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let present = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
    present += 1;
  }
  const period = frequency?.seasonalPeriod ?? 1;
  const strength = present >= 4 ? seriesStrength(values, period) : { trend: null, seasonality: null };
  return {
    series,
    length: times.length,
    start: iso(times[0] ?? NaN) ?? '',
    end: iso(times[times.length - 1] ?? NaN) ?? '',
    frequency: frequency?.name ?? null,
    medianIntervalSeconds: medianInterval(times),
    seasonalPeriod: period,
    missingSteps,
    gaps,
    irregularIntervals: irregular,
    missingValues: values.length - present,
    min: present ? min : null,
    max: present ? max : null,
    mean: present ? round(sum / present, 6) : null,
    trendStrength: round(strength.trend),
    seasonalityStrength: round(strength.seasonality),
  };
}

function spacing(frequency: Frequency, times: number[]) {
  let missingSteps = 0;
  let gaps = 0;
  let irregular = 0;
  for (let i = 1; i < times.length; i += 1) {
    const steps = stepsBetween(frequency, times[i - 1] ?? 0, times[i] ?? 0);
    const whole = Math.round(steps);
    if (Math.abs(steps - whole) > 0.01 || whole < 1) {
      irregular += 1;
      if (steps > 1.5) gaps += 1;
      continue;
    }
    if (whole > 1) {
      gaps += 1;
      missingSteps += whole - 1;
    }
  }
  return { missingSteps, gaps, irregular };
}

function medianInterval(times: number[]): number | null {
  if (times.length < 2) return null;
  const diffs = times.slice(1).map((t, i) => t - (times[i] ?? 0));
  diffs.sort((a, b) => a - b);
  const mid = diffs.length >> 1;
  const ms = diffs.length % 2 ? (diffs[mid] ?? 0) : ((diffs[mid - 1] ?? 0) + (diffs[mid] ?? 0)) / 2;
  return ms / 1000;
}
