/** The most probable class of each row, from class probability columns (ties: the first class). */
export function argmaxRows(proba: readonly Float64Array[], nRows: number): Int32Array {
  const out = new Int32Array(nRows);
  for (let row = 0; row < nRows; row += 1) {
    let best = 0;
    let bestValue = -Infinity;
    for (let c = 0; c < proba.length; c += 1) {
      const v = proba[c]?.[row] ?? -Infinity;
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    out[row] = best;
  }
  return out;
}
