/**
 * Histograms: adds each record's gradient and hessian (and 1, with counts) to the bin it falls in,
 * for every feature. Feature f's bins are slots f · MAX_BINS … of the histogram (histogram.ts
 * histogramLayout), so they are addressed with constants. Histogram sums are exact
 * (objective.ts): the order records are added in never changes a result.
 *
 * Features are unrolled: `records` is inlined once per feature count 1..16 (the switch in each
 * kernel), where `cols` is a constant and the lines of the features beyond it compile away;
 * beyond 16 features a loop over the features does the same. Measured on the flights records
 * (13 features), the unrolled loop is as fast as code generated for the exact layout, and a loop
 * over the features, or a switch per record, 10–35% slower.
 */
import { MAX_BINS } from './constants';

/** A histogram of (gradient, hessian) pairs: 16 bytes a bin. */
class Pairs {
  /** Adds (g, h) to bin `bin` of feature f: one f64x2 add (lane-wise IEEE, as two scalar adds). */
  @inline static add(hist: usize, f: usize, bin: u8, gh: v128): void {
    const at = hist + f * (MAX_BINS * 16) + ((<usize>bin) << 4);
    v128.store(at, f64x2.add(v128.load(at), gh));
  }

  @inline static gradients(record: usize, gradientByte: usize): v128 {
    return f64x2.convert_low_i32x4_s(v128.load64_zero(record + gradientByte));
  }

  /** Records [begin, end) with `cols` (a constant, 1..16) features. */
  @inline static records(begin: i32, end: i32, hist: usize, bytes: usize, gradientByte: usize, cols: i32): void {
    const stop = <usize>end * bytes;
    for (let record = <usize>begin * bytes; record < stop; record += bytes) {
      const gh = Pairs.gradients(record, gradientByte);
      if (cols > 0) Pairs.add(hist, 0, load<u8>(record, 0), gh);
      if (cols > 1) Pairs.add(hist, 1, load<u8>(record, 1), gh);
      if (cols > 2) Pairs.add(hist, 2, load<u8>(record, 2), gh);
      if (cols > 3) Pairs.add(hist, 3, load<u8>(record, 3), gh);
      if (cols > 4) Pairs.add(hist, 4, load<u8>(record, 4), gh);
      if (cols > 5) Pairs.add(hist, 5, load<u8>(record, 5), gh);
      if (cols > 6) Pairs.add(hist, 6, load<u8>(record, 6), gh);
      if (cols > 7) Pairs.add(hist, 7, load<u8>(record, 7), gh);
      if (cols > 8) Pairs.add(hist, 8, load<u8>(record, 8), gh);
      if (cols > 9) Pairs.add(hist, 9, load<u8>(record, 9), gh);
      if (cols > 10) Pairs.add(hist, 10, load<u8>(record, 10), gh);
      if (cols > 11) Pairs.add(hist, 11, load<u8>(record, 11), gh);
      if (cols > 12) Pairs.add(hist, 12, load<u8>(record, 12), gh);
      if (cols > 13) Pairs.add(hist, 13, load<u8>(record, 13), gh);
      if (cols > 14) Pairs.add(hist, 14, load<u8>(record, 14), gh);
      if (cols > 15) Pairs.add(hist, 15, load<u8>(record, 15), gh);
    }
  }

  /** Records [begin, end) with any number of features. */
  @inline static anyRecords(begin: i32, end: i32, hist: usize, bytes: usize, gradientByte: usize, cols: i32): void {
    const stop = <usize>end * bytes;
    for (let record = <usize>begin * bytes; record < stop; record += bytes) {
      const gh = Pairs.gradients(record, gradientByte);
      for (let f: usize = 0; f < <usize>cols; f++) Pairs.add(hist, f, load<u8>(record + f), gh);
    }
  }
}

/** A histogram of (gradient, hessian, count) triples: 24 bytes a bin. */
class Triples {
  @inline static add(hist: usize, f: usize, bin: u8, g: f64, h: f64): void {
    const at = hist + f * (MAX_BINS * 24) + <usize>bin * 24;
    store<f64>(at, load<f64>(at) + g);
    store<f64>(at, load<f64>(at, 8) + h, 8);
    store<f64>(at, load<f64>(at, 16) + 1.0, 16);
  }

  @inline static records(begin: i32, end: i32, hist: usize, bytes: usize, gradientByte: usize, cols: i32): void {
    const stop = <usize>end * bytes;
    for (let record = <usize>begin * bytes; record < stop; record += bytes) {
      const g = <f64>load<i32>(record + gradientByte);
      const h = <f64>load<i32>(record + gradientByte, 4);
      if (cols > 0) Triples.add(hist, 0, load<u8>(record, 0), g, h);
      if (cols > 1) Triples.add(hist, 1, load<u8>(record, 1), g, h);
      if (cols > 2) Triples.add(hist, 2, load<u8>(record, 2), g, h);
      if (cols > 3) Triples.add(hist, 3, load<u8>(record, 3), g, h);
      if (cols > 4) Triples.add(hist, 4, load<u8>(record, 4), g, h);
      if (cols > 5) Triples.add(hist, 5, load<u8>(record, 5), g, h);
      if (cols > 6) Triples.add(hist, 6, load<u8>(record, 6), g, h);
      if (cols > 7) Triples.add(hist, 7, load<u8>(record, 7), g, h);
      if (cols > 8) Triples.add(hist, 8, load<u8>(record, 8), g, h);
      if (cols > 9) Triples.add(hist, 9, load<u8>(record, 9), g, h);
      if (cols > 10) Triples.add(hist, 10, load<u8>(record, 10), g, h);
      if (cols > 11) Triples.add(hist, 11, load<u8>(record, 11), g, h);
      if (cols > 12) Triples.add(hist, 12, load<u8>(record, 12), g, h);
      if (cols > 13) Triples.add(hist, 13, load<u8>(record, 13), g, h);
      if (cols > 14) Triples.add(hist, 14, load<u8>(record, 14), g, h);
      if (cols > 15) Triples.add(hist, 15, load<u8>(record, 15), g, h);
    }
  }

  @inline static anyRecords(begin: i32, end: i32, hist: usize, bytes: usize, gradientByte: usize, cols: i32): void {
    const stop = <usize>end * bytes;
    for (let record = <usize>begin * bytes; record < stop; record += bytes) {
      const g = <f64>load<i32>(record + gradientByte);
      const h = <f64>load<i32>(record + gradientByte, 4);
      for (let f: usize = 0; f < <usize>cols; f++) Triples.add(hist, f, load<u8>(record + f), g, h);
    }
  }
}

class Histogram {
  /** Records [begin, end) with `cols` (a constant, 1..16) features. */
  @inline static records(
    begin: i32,
    end: i32,
    hist: usize,
    bytes: usize,
    gradientByte: usize,
    counts: bool,
    cols: i32,
  ): void {
    if (counts) Triples.records(begin, end, hist, bytes, gradientByte, cols);
    else Pairs.records(begin, end, hist, bytes, gradientByte, cols);
  }
}

/**
 * Adds records [begin, end) to the histogram at byte address `hist` (not cleared): pairs, or
 * triples when `counts`. Records of `bytes` bytes with the bins of `cols` features in bytes
 * 0..cols−1 and the int32 gradient and hessian at `gradientByte`.
 */
export function histogram(
  begin: i32,
  end: i32,
  hist: usize,
  cols: i32,
  bytes: usize,
  gradientByte: usize,
  counts: bool,
): void {
  switch (cols) {
    case 1:
      Histogram.records(begin, end, hist, bytes, gradientByte, counts, 1);
      break;
    case 2:
      Histogram.records(begin, end, hist, bytes, gradientByte, counts, 2);
      break;
    case 3:
      Histogram.records(begin, end, hist, bytes, gradientByte, counts, 3);
      break;
    case 4:
      Histogram.records(begin, end, hist, bytes, gradientByte, counts, 4);
      break;
    case 5:
      Histogram.records(begin, end, hist, bytes, gradientByte, counts, 5);
      break;
    case 6:
      Histogram.records(begin, end, hist, bytes, gradientByte, counts, 6);
      break;
    case 7:
      Histogram.records(begin, end, hist, bytes, gradientByte, counts, 7);
      break;
    case 8:
      Histogram.records(begin, end, hist, bytes, gradientByte, counts, 8);
      break;
    case 9:
      Histogram.records(begin, end, hist, bytes, gradientByte, counts, 9);
      break;
    case 10:
      Histogram.records(begin, end, hist, bytes, gradientByte, counts, 10);
      break;
    case 11:
      Histogram.records(begin, end, hist, bytes, gradientByte, counts, 11);
      break;
    case 12:
      Histogram.records(begin, end, hist, bytes, gradientByte, counts, 12);
      break;
    case 13:
      Histogram.records(begin, end, hist, bytes, gradientByte, counts, 13);
      break;
    case 14:
      Histogram.records(begin, end, hist, bytes, gradientByte, counts, 14);
      break;
    case 15:
      Histogram.records(begin, end, hist, bytes, gradientByte, counts, 15);
      break;
    case 16:
      Histogram.records(begin, end, hist, bytes, gradientByte, counts, 16);
      break;
    default:
      if (counts) Triples.anyRecords(begin, end, hist, bytes, gradientByte, cols);
      else Pairs.anyRecords(begin, end, hist, bytes, gradientByte, cols);
  }
}
