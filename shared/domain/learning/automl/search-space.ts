/**
 * Seeded random search around a centre point: each hyperparameter is drawn near the centre (the
 * defaults, then the learner's best point so far) in its own scale, and now and then from its
 * whole range, so that the search starts where the defaults are good and widens as it goes.
 */
import { canonicalJson } from '../../../kernel/canonical-json';
import type { HyperParams, ParamSpace, ParamValue, SearchSpace } from '../learner-catalog';
import type { SeededRandom } from '../random';

/** Chance that one hyperparameter is drawn from its whole range rather than near the centre. */
const EXPLORE_PROBABILITY = 0.25;

/**
 * A new point: `centre` with the hyperparameters of `space` redrawn. `spread` (0–1) is the
 * standard deviation of a draw near the centre as a share of the range (in log space where the
 * range is logarithmic).
 */
export function sampleAround(
  space: SearchSpace,
  centre: HyperParams,
  random: SeededRandom,
  spread: number,
): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = { ...centre };
  for (const name of Object.keys(space).sort()) {
    const dimension = space[name];
    if (dimension === undefined) continue;
    out[name] = sampleOne(dimension, centre[name], random, spread);
  }
  return out;
}

function sampleOne(
  dimension: ParamSpace,
  centre: ParamValue | undefined,
  random: SeededRandom,
  spread: number,
): ParamValue {
  if (dimension.kind === 'choice') {
    const values = dimension.values;
    const keep = centre !== undefined && values.includes(centre) && random.next() >= 0.3 + spread * 0.4;
    if (keep) return centre;
    return values[random.nextInt(values.length)] ?? null;
  }
  const log = dimension.log === true && dimension.low > 0;
  const toUnit = (v: number): number =>
    log
      ? (Math.log(v) - Math.log(dimension.low)) / (Math.log(dimension.high) - Math.log(dimension.low))
      : (v - dimension.low) / (dimension.high - dimension.low);
  const fromUnit = (u: number): number =>
    log
      ? Math.exp(Math.log(dimension.low) + u * (Math.log(dimension.high) - Math.log(dimension.low)))
      : dimension.low + u * (dimension.high - dimension.low);
  const explore = random.next() < EXPLORE_PROBABILITY;
  let unit: number;
  if (explore || typeof centre !== 'number' || dimension.high <= dimension.low) unit = random.next();
  else
    unit = toUnit(Math.min(dimension.high, Math.max(dimension.low, centre))) + random.nextGaussian() * spread;
  unit = Math.min(1, Math.max(0, unit));
  const value = fromUnit(unit);
  if (dimension.kind === 'int') return Math.min(dimension.high, Math.max(dimension.low, Math.round(value)));
  // Four significant digits: readable on the leaderboard, and exact through JSON.
  return Number(value.toPrecision(4));
}

/** A stable identity for a point, to avoid fitting the same hyperparameters twice. */
export function paramsKey(params: HyperParams): string {
  return canonicalJson(params);
}
