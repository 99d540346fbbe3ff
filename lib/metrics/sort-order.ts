/**
 * The ascending score order every ranking metric starts from, computed once per score vector.
 *
 * Ties are ordered by DEscending row index, so reading the order backwards gives "riskiest first,
 * ties by lower row index" — the deterministic tie-break of the alert budget.
 */

/** Below this many rows a comparator sort is as fast as radix and needs no scratch arrays. */
const RADIX_MIN_ROWS = 2048;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Throws naming the first row whose score is not a finite number. */
export function checkFiniteScores(scores: ArrayLike<number>, what = 'scores'): void {
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) throw new Error(`${what}[${i}] is ${scores[i]}, expected a finite number`);
  }
}

/**
 * Row indices sorted by ascending score (ties: descending index). O(n) LSD radix sort on the
 * float64 bit pattern for large inputs; scores must be finite.
 */
export function scoreOrder(scores: ArrayLike<number>): Uint32Array {
  const n = scores.length;
  const order = new Uint32Array(n);
  // Stable sort of a reversed identity keeps ties in descending index order.
  for (let i = 0; i < n; i++) order[i] = n - 1 - i;
  if (n < RADIX_MIN_ROWS || !LITTLE_ENDIAN) {
    checkFiniteScores(scores);
    return order.sort((a, b) => scores[a] - scores[b] || b - a);
  }
  // Map each double to two uint32 words whose unsigned order is the numeric order.
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  const f64 = new Float64Array(1);
  const words = new Uint32Array(f64.buffer);
  for (let i = 0; i < n; i++) {
    const v = scores[i];
    if (!Number.isFinite(v)) throw new Error(`scores[${i}] is ${v}, expected a finite number`);
    f64[0] = v === 0 ? 0 : v; // -0 ties with 0
    const h = words[1];
    if (h & 0x80000000) {
      hi[i] = ~h >>> 0;
      lo[i] = ~words[0] >>> 0;
    } else {
      hi[i] = (h | 0x80000000) >>> 0;
      lo[i] = words[0];
    }
  }
  let from = order;
  let to = new Uint32Array(n);
  const counts = new Uint32Array(65536);
  for (const [key, shift] of [
    [lo, 0],
    [lo, 16],
    [hi, 0],
    [hi, 16],
  ] as const) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(key[i] >>> shift) & 0xffff]++;
    // A digit shared by every row (e.g. the zero low bits of float32 scores) changes nothing.
    if (counts[(key[0] >>> shift) & 0xffff] === n) continue;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let j = 0; j < n; j++) {
      const row = from[j];
      to[counts[(key[row] >>> shift) & 0xffff]++] = row;
    }
    const swap = from;
    from = to;
    to = swap;
  }
  return from;
}
