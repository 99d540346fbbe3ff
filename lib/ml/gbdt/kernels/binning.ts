/**
 * Binning of raw float32 rows into records, the same branch-free search as binning.ts binRows:
 * the bin of x is the number of the feature's thresholds <= x, found in eight steps over its 256
 * thresholds padded with NaN. (Run once per training: a loop over the features, not unrolled as
 * in histogram.ts.)
 */

/** Bytes of one feature's padded thresholds (256 float64). */
const THRESHOLD_BYTES: usize = 2048;

class Search {
  /**
   * The bin of x among feature f's padded thresholds: p moves up by 128, 64, …, 1 while the
   * threshold just below the next position is <= x (threshold p + step − 1, read at the constant
   * offset (step − 1) · 8 from threshold p).
   */
  @inline static bin(thresholds: usize, f: usize, x: f32): u8 {
    const t = thresholds + f * THRESHOLD_BYTES;
    const v = <f64>x;
    let p: usize = 0;
    p += select<usize>(128, 0, load<f64>(t + (p << 3), 127 << 3) <= v);
    p += select<usize>(64, 0, load<f64>(t + (p << 3), 63 << 3) <= v);
    p += select<usize>(32, 0, load<f64>(t + (p << 3), 31 << 3) <= v);
    p += select<usize>(16, 0, load<f64>(t + (p << 3), 15 << 3) <= v);
    p += select<usize>(8, 0, load<f64>(t + (p << 3), 7 << 3) <= v);
    p += select<usize>(4, 0, load<f64>(t + (p << 3), 3 << 3) <= v);
    p += select<usize>(2, 0, load<f64>(t + (p << 3), 1 << 3) <= v);
    p += select<usize>(1, 0, load<f64>(t + (p << 3)) <= v);
    return <u8>p;
  }
}

/**
 * Bins `count` rows of `cols` row-major float32 values at byte address `src` into the records
 * from record `dst` on (bytes 0..cols−1 of records of `bytes` bytes). `thresholds`: per feature
 * 256 float64 thresholds padded with NaN (binning.ts paddedThresholds).
 */
export function bin(src: usize, count: i32, dst: i32, thresholds: usize, cols: i32, bytes: usize): void {
  let row = src;
  let record = <usize>dst * bytes;
  for (let i = 0; i < count; i++) {
    for (let f: usize = 0; f < <usize>cols; f++) {
      store<u8>(record + f, Search.bin(thresholds, f, load<f32>(row + (f << 2))));
    }
    row += (<usize>cols) << 2;
    record += bytes;
  }
}
