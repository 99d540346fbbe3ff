/**
 * Constants shared by the TypeScript code and the AssemblyScript kernels: this file is valid in
 * both languages. Float constants are written with a point (`1.0`), which AssemblyScript types as
 * f64 (it types `1` as an i32).
 */

/**
 * Bins per feature at most (a bin index fits a byte), and so the bin slots of every feature in a
 * histogram: with a constant stride the compiled kernels address a feature's bins with constants
 * (a table of per-feature offsets measured 1.13–1.2x slower histograms).
 */
export const MAX_BINS = 255;

/** fastExp (objective.ts): ln 2 split in two (Cody–Waite), so k · LN2_HI is exact. */
export const LN2_HI = 0.6931471803691238;
export const LN2_LO = 1.9082149292705877e-10;

/** fastExp: Taylor coefficients 1/n!, n = 0..11. */
export const C0 = 1.0;
export const C1 = 1.0;
export const C2 = 1.0 / 2.0;
export const C3 = 1.0 / 6.0;
export const C4 = 1.0 / 24.0;
export const C5 = 1.0 / 120.0;
export const C6 = 1.0 / 720.0;
export const C7 = 1.0 / 5040.0;
export const C8 = 1.0 / 40320.0;
export const C9 = 1.0 / 362880.0;
export const C10 = 1.0 / 3628800.0;
export const C11 = 1.0 / 39916800.0;
