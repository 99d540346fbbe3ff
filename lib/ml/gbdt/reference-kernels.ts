/**
 * The training kernels in plain TypeScript: the reference that the WebAssembly kernels
 * (wasm-kernels.ts, used for training) are tested bit-identical against. Same interface, same
 * memory (byte addresses in one buffer), the same arithmetic operation by operation; written to
 * be read, not to be fast (several times slower).
 */
import { paddedBin } from './binning.ts';
import type { HistogramLayout, RecordLayout, TrainingKernels } from './histogram.ts';
import { fastExp } from './objective.ts';

export function referenceKernels(buffer: ArrayBufferLike, layout: HistogramLayout, rec: RecordLayout): TrainingKernels {
  const u8 = new Uint8Array(buffer);
  const i32 = new Int32Array(buffer);
  const f32 = new Float32Array(buffer);
  const f64 = new Float64Array(buffer);
  const { cols, bytes, words, labelByte, gWord, scoreSlot } = rec;
  const slots = bytes / 8;
  const { offsets, stride } = layout;
  return {
    histogram(begin, end, histAt) {
      const hist = new Float64Array(buffer, histAt, layout.size);
      for (let i = begin; i < end; i++) {
        const g = i32[i * words + gWord];
        const h = i32[i * words + gWord + 1];
        for (let f = 0; f < cols; f++) {
          const o = (offsets[f] + u8[i * bytes + f]) * stride;
          hist[o] += g;
          hist[o + 1] += h;
          if (stride === 3) hist[o + 2] += 1;
        }
      }
    },

    // Hoare-style: scan from both ends, swap misplaced pairs.
    partition(begin, end, feature, bin) {
      let i = begin;
      let j = end - 1;
      for (;;) {
        while (i <= j && u8[i * bytes + feature] <= bin) i++;
        while (i <= j && u8[j * bytes + feature] > bin) j--;
        if (i >= j) return i;
        for (let k = 0; k < words; k++) {
          const t = i32[i * words + k];
          i32[i * words + k] = i32[j * words + k];
          i32[j * words + k] = t;
        }
        i++;
        j--;
      }
    },

    start(begin, end, feature, bin, addLeft, addRight, scale, sumsAt) {
      let sg = 0;
      let sh = 0;
      for (let i = begin; i < end; i++) {
        const at = i * slots + scoreSlot;
        f64[at] += u8[i * bytes + feature] <= bin ? addLeft : addRight;
        const p = 1 / (1 + fastExp(-f64[at]));
        // floor(x + 0.5): round half up.
        const g = Math.floor((p - u8[i * bytes + labelByte]) * scale + 0.5);
        const h = Math.max(1, Math.floor(p * (1 - p) * scale + 0.5));
        i32[i * words + gWord] = g;
        i32[i * words + gWord + 1] = h;
        sg += g;
        sh += h;
      }
      const sums = new Float64Array(buffer, sumsAt, 2);
      sums[0] += sg;
      sums[1] += sh;
    },

    bin(src, count, dst, thresholdsAt) {
      for (let f = 0; f < cols; f++) {
        const T = new Float64Array(buffer, thresholdsAt + f * 2048, 256);
        for (let r = 0; r < count; r++) u8[(dst + r) * bytes + f] = paddedBin(T, f32[src / 4 + r * cols + f]);
      }
    },
  };
}
