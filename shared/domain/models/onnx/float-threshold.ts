/**
 * Split thresholds for float32 inputs. Our trees compare double-precision values with double
 * thresholds; the graph receives float32 inputs, so a value can land on the float nearest a
 * threshold and take the other branch (19.3 between the training values 19.2 and 19.4: the
 * double midpoint 19.299999999999997 sends 19.3 right, but both round to the same float).
 *
 * A float32 input stands for the shortest decimal that rounds to it (what a client printed or
 * parsed). The graph's threshold is therefore placed after the largest float whose decimal our
 * predictor sends left, passed through the same float arithmetic the graph applies before the
 * tree (Imputer, Scaler, clipping): every float then takes the branch its decimal takes here.
 */

/** How a feature's value is computed from one numeric input, here (double) and in the graph (float32). */
export interface ValueEmulation {
  readonly ours: (input: number) => number;
  readonly graph: (input: number) => number;
}

export const IDENTITY: ValueEmulation = { ours: (v) => v, graph: (v) => v };

/** `next` applied after `previous`. */
export function compose(previous: ValueEmulation, next: ValueEmulation): ValueEmulation {
  return {
    ours: (v) => next.ours(previous.ours(v)),
    graph: (v) => next.graph(previous.graph(v)),
  };
}

const bits = new Float32Array(1);
const word = new Int32Array(bits.buffer);

/** Floats in order as integers (−0 and +0 are both 0). */
function orderOf(x: number): number {
  bits[0] = x;
  const w = word[0] ?? 0;
  return w < 0 ? -(w & 0x7fffffff) : w;
}

function floatAt(order: number): number {
  word[0] = order < 0 ? -order | 0x80000000 : order;
  return bits[0] ?? NaN;
}

/** The shortest decimal (as a double) that rounds to the float `f`. */
function decimalOf(f: number): number {
  if (!Number.isFinite(f)) return f;
  for (let digits = 1; digits <= 9; digits += 1) {
    const d = Number(f.toPrecision(digits));
    if (Math.fround(d) === f) return d;
  }
  return f;
}

/**
 * The float threshold for `x <= threshold` on a feature computed as `emulation` says: the graph
 * value of the largest float input whose decimal goes left here.
 */
export function floatThreshold(threshold: number, emulation: ValueEmulation): number {
  const left = (order: number) => emulation.ours(decimalOf(floatAt(order))) <= threshold;
  let low = orderOf(-Infinity);
  let high = orderOf(Infinity);
  if (!left(low)) return Math.fround(-Infinity);
  if (left(high)) return Infinity;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (left(mid)) low = mid;
    else high = mid;
  }
  return emulation.graph(floatAt(low));
}
