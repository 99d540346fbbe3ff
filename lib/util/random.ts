/**
 * Small seeded PRNGs, so every random choice in training, tests and the bootstrap can be replayed
 * from a number in the model card. Not for cryptography.
 */

const MULBERRY_INCREMENT = 0x6d2b79f5;
const TWO_POW_32 = 4294967296;

/** mulberry32's output function: the state after the increment → a uniform uint32. */
function mulberryMix(state: number): number {
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (t ^ (t >>> 14)) >>> 0;
}

function seedState(seed: number): number {
  if (!Number.isFinite(seed)) throw new Error(`random seed must be a finite number, got ${seed}`);
  return Math.trunc(seed) | 0;
}

/** mulberry32: a fast 32-bit generator; returns floats in [0, 1) with 32 bits of randomness. */
export function createRandom(seed: number): () => number {
  let state = seedState(seed);
  return () => {
    state = (state + MULBERRY_INCREMENT) | 0;
    return mulberryMix(state) / TWO_POW_32;
  };
}

/**
 * Cumulative probabilities of Poisson(1) for k = 0, 1, …, up to where the remaining tail is below
 * double precision; the last entry is forced to 1 so the inverse-CDF walk always stops.
 */
const POISSON_ONE_CDF: Float64Array = (() => {
  const cdf: number[] = [];
  let p = Math.exp(-1);
  let sum = 0;
  for (let k = 0; sum < 1 - 1e-16 && k < 30; k++) {
    sum += p;
    cdf.push(sum);
    p /= k + 1;
  }
  cdf[cdf.length - 1] = 1;
  return Float64Array.from(cdf);
})();

function poissonOneOf(u: number): number {
  let k = 0;
  while (u >= POISSON_ONE_CDF[k]) k++;
  return k;
}

/** One draw from Poisson(1) by inverse CDF. */
export function poissonOne(random: () => number): number {
  return poissonOneOf(random());
}

/**
 * Inverse CDF of Poisson(1) by the top 8 bits of a uniform: the draw for every 8-bit prefix whose
 * whole interval maps to one value, AMBIGUOUS for the 5 intervals a CDF step falls in.
 */
const AMBIGUOUS = 255;
const POISSON_ONE_TABLE: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let h = 0; h < 256; h++) {
    // Same arithmetic as refinePoissonOne with the smallest and largest 32 extra bits.
    const low = refinePoissonOne(h, 0);
    const high = refinePoissonOne(h, TWO_POW_32 - 1);
    table[h] = low === high ? low : AMBIGUOUS;
  }
  return table;
})();

/** For an ambiguous 8-bit prefix: the exact draw from the prefix plus 32 more random bits. */
function refinePoissonOne(prefix: number, bits: number): number {
  return poissonOneOf((prefix + bits / TWO_POW_32) / 256);
}

/**
 * A seeded Poisson(1) stream for bootstrap weights, several times faster per draw than
 * `poissonOne`: each mulberry32 word gives four draws by table lookup; the rare ambiguous prefix
 * takes another word, so draws are exact inverse-CDF samples at 40-bit resolution.
 */
export function createPoissonOneStream(seed: number): (out: Uint8Array) => Uint8Array {
  let state = seedState(seed);
  const fill = (out: Uint8Array): Uint8Array => {
    if (out.byteOffset % 4 !== 0) {
      // Rare (a subarray view): draw into an aligned copy.
      out.set(fill(new Uint8Array(out.length)));
      return out;
    }
    const table = POISSON_ONE_TABLE;
    let s = state;
    // Four draws stored as one word (byte order follows the machine: still i.i.d. draws).
    const words = new Uint32Array(out.buffer, out.byteOffset, out.length >>> 2);
    for (let i = 0; i < words.length; i++) {
      s = (s + MULBERRY_INCREMENT) | 0;
      const word = mulberryMix(s);
      const h0 = word & 255;
      const h1 = (word >>> 8) & 255;
      const h2 = (word >>> 16) & 255;
      const h3 = word >>> 24;
      let a = table[h0];
      let b = table[h1];
      let c = table[h2];
      let d = table[h3];
      // Draws are < 128, so the high bit flags an ambiguous prefix.
      if ((a | b | c | d) & 0x80) {
        if (a === AMBIGUOUS) a = refinePoissonOne(h0, mulberryMix((s = (s + MULBERRY_INCREMENT) | 0)));
        if (b === AMBIGUOUS) b = refinePoissonOne(h1, mulberryMix((s = (s + MULBERRY_INCREMENT) | 0)));
        if (c === AMBIGUOUS) c = refinePoissonOne(h2, mulberryMix((s = (s + MULBERRY_INCREMENT) | 0)));
        if (d === AMBIGUOUS) d = refinePoissonOne(h3, mulberryMix((s = (s + MULBERRY_INCREMENT) | 0)));
      }
      words[i] = a | (b << 8) | (c << 16) | (d << 24);
    }
    for (let i = words.length << 2; i < out.length; i++) {
      s = (s + MULBERRY_INCREMENT) | 0;
      out[i] = poissonOneOf(mulberryMix(s) / TWO_POW_32);
    }
    state = s;
    return out;
  };
  return fill;
}
