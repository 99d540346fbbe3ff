/**
 * WebAssembly versions of the hot loops of histogram.ts (histogram, partition, start-of-tree),
 * generated per layout by a tiny emitter (no toolchain): features unrolled, offsets as
 * constants, and no bounds checks on every access as in JS typed arrays. Measured on the flights
 * data they are several times faster than the generated JS kernels, which stay as the reference.
 *
 * The records (histogram.ts RecordLayout) live in a shared WebAssembly.Memory (its buffer is a
 * SharedArrayBuffer, so every thread and the JS views see the same bytes) at byte 0; each
 * thread has its own histogram scratch area further up. The arithmetic is the same as in the JS
 * kernels operation by operation (the exp polynomial included), so results are bit-identical.
 */
import type { HistogramLayout, RecordLayout } from './histogram.ts';
import * as K from './kernels/constants.ts';

const FAST_EXP = {
  ln2Hi: K.LN2_HI,
  ln2Lo: K.LN2_LO,
  coefficients: [K.C0, K.C1, K.C2, K.C3, K.C4, K.C5, K.C6, K.C7, K.C8, K.C9, K.C10, K.C11],
};

// The WebAssembly API, typed here (the project's TypeScript libs do not declare it).
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
}
export type WasmModule = object;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

// --- a minimal WebAssembly binary emitter -------------------------------------------------

const I32 = 0x7f;
const I64 = 0x7e;
const F64 = 0x7c;
const V128 = 0x7b;
/** SIMD instructions: prefix 0xfd, then the opcode as LEB128. */
const SIMD = {
  load: [0xfd, 0x00],
  store: [0xfd, 0x0b],
  i32x4Splat: [0xfd, 0x11],
  i64x2Splat: [0xfd, 0x12],
  f64x2Splat: [0xfd, 0x14],
  i32x4ExtractLane: [0xfd, 0x1b],
  f64x2ExtractLane: [0xfd, 0x21],
  f64x2ReplaceLane: [0xfd, 0x22],
  load64Zero: [0xfd, 0x5d],
  f64x2Floor: [0xfd, 0x75],
  i32x4MaxS: [0xfd, 0xb8, 0x01],
  i64x2ExtendLowI32x4S: [0xfd, 0xc7, 0x01],
  i64x2Shl: [0xfd, 0xcb, 0x01],
  i64x2Add: [0xfd, 0xce, 0x01],
  f64x2Neg: [0xfd, 0xed, 0x01],
  f64x2Add: [0xfd, 0xf0, 0x01],
  f64x2Sub: [0xfd, 0xf1, 0x01],
  f64x2Mul: [0xfd, 0xf2, 0x01],
  f64x2Div: [0xfd, 0xf3, 0x01],
  f64x2Min: [0xfd, 0xf4, 0x01],
  f64x2Max: [0xfd, 0xf5, 0x01],
  i32x4TruncSatF64x2SZero: [0xfd, 0xfc, 0x01],
  f64x2ConvertLowI32x4S: [0xfd, 0xfe, 0x01],
} as const;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n = Math.floor(n / 128);
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function f64Bytes(x: number): number[] {
  return Array.from(new Uint8Array(new Float64Array([x]).buffer));
}

function str(s: string): number[] {
  const bytes = Array.from(new TextEncoder().encode(s));
  return [...uleb(bytes.length), ...bytes];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** Builds one function body; locals are declared up front by type. */
class Fn {
  readonly params: number[];
  readonly results: number[];
  private readonly locals: number[] = [];
  readonly code: number[] = [];

  constructor(params: number[], results: number[]) {
    this.params = params;
    this.results = results;
  }

  local(type: number): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  get(i: number): this {
    return this.op(0x20, ...uleb(i));
  }
  set(i: number): this {
    return this.op(0x21, ...uleb(i));
  }
  tee(i: number): this {
    return this.op(0x22, ...uleb(i));
  }
  i32(n: number): this {
    return this.op(0x41, ...sleb(n));
  }
  i64(n: number): this {
    return this.op(0x42, ...sleb(n));
  }
  f64(x: number): this {
    return this.op(0x44, ...f64Bytes(x));
  }
  /** Memory access with a constant offset. */
  mem(opcode: number, align: number, offset: number): this {
    return this.op(opcode, align, ...uleb(offset));
  }

  body(): number[] {
    const groups: number[][] = this.locals.map((t) => [1, t]);
    const bytes = [...vec(groups), ...this.code, 0x0b];
    return [...uleb(bytes.length), ...bytes];
  }
}

const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  void: 0x40,
  select: 0x1b,
  i32Load: 0x28,
  i64Load: 0x29,
  f64Load: 0x2b,
  f32Load: 0x2a,
  i32Load8u: 0x2d,
  i32Store: 0x36,
  i64Store: 0x37,
  f64Store: 0x39,
  i32Store8: 0x3a,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32GtS: 0x4a,
  i32GtU: 0x4b,
  i32LeU: 0x4d,
  i32GeS: 0x4e,
  f64Le: 0x65,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32Shl: 0x74,
  i64Add: 0x7c,
  i64Shl: 0x86,
  f64Neg: 0x9a,
  f64Floor: 0x9c,
  f64Add: 0xa0,
  f64Sub: 0xa1,
  f64Mul: 0xa2,
  f64Div: 0xa3,
  f64Min: 0xa4,
  f64Max: 0xa5,
  i32TruncF64S: 0xaa,
  i64TruncF64S: 0xb0,
  f64ConvertI32S: 0xb7,
  f64ConvertI32U: 0xb8,
  f64PromoteF32: 0xbb,
  f64ReinterpretI64: 0xbf,
} as const;

function moduleBytes(fns: { name: string; fn: Fn }[]): Uint8Array {
  const types = fns.map(({ fn }) => [0x60, ...vec(fn.params.map((t) => [t])), ...vec(fn.results.map((t) => [t]))]);
  // Import "m"."memory": shared, min 1 page, max 65536 pages.
  const imports = vec([[...str('m'), ...str('memory'), 0x02, 0x03, ...uleb(1), ...uleb(65536)]]);
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, vec(fns.map((_, i) => uleb(i)))),
    ...section(7, vec(fns.map(({ name }, i) => [...str(name), 0x00, ...uleb(i)]))),
    ...section(10, vec(fns.map(({ fn }) => fn.body()))),
  ];
  return Uint8Array.from(bytes);
}

// --- the kernels ----------------------------------------------------------------------------

/** Locals of a record's gradient/hessian: scalars (for counts layouts) and a SIMD pair. */
interface Gradients {
  g: number;
  h: number;
  gh: number;
}

function gradientLocals(fn: Fn): Gradients {
  return { g: fn.local(F64), h: fn.local(F64), gh: fn.local(V128) };
}

/**
 * Emits: add the record at byte address `addr` (local) to the histogram at `hist` (local), with
 * its gradient/hessian loaded by emitLoadGradients. Without counts one bin is a (g, h) pair of
 * float64 and is updated with one SIMD add (lane-wise IEEE, the same sums as scalar adds).
 */
function emitAccumulate(fn: Fn, layout: HistogramLayout, addr: number, hist: number, v: Gradients, o: number): void {
  const bytesPerBin = layout.stride * 8;
  for (let f = 0; f < layout.cols; f++) {
    if (layout.numBins[f] <= 1) continue;
    // o = hist + (offset_f + bin) * bytesPerBin
    fn.get(addr).mem(OP.i32Load8u, 0, f);
    if (layout.offsets[f] !== 0) fn.i32(layout.offsets[f]).op(OP.i32Add);
    fn.i32(bytesPerBin).op(OP.i32Mul).get(hist).op(OP.i32Add).set(o);
    if (layout.stride === 2) {
      fn.get(o)
        .get(o)
        .op(...SIMD.load, 4, 0)
        .get(v.gh)
        .op(...SIMD.f64x2Add)
        .op(...SIMD.store, 4, 0);
    } else {
      fn.get(o).get(o).mem(OP.f64Load, 3, 0).get(v.g).op(OP.f64Add).mem(OP.f64Store, 3, 0);
      fn.get(o).get(o).mem(OP.f64Load, 3, 8).get(v.h).op(OP.f64Add).mem(OP.f64Store, 3, 8);
      fn.get(o).get(o).mem(OP.f64Load, 3, 16).f64(1).op(OP.f64Add).mem(OP.f64Store, 3, 16);
    }
  }
}

function emitLoadGradients(fn: Fn, layout: HistogramLayout, rec: RecordLayout, addr: number, v: Gradients): void {
  if (layout.stride === 2) {
    // (g, h) int32 pair → f64x2
    fn.get(addr)
      .op(...SIMD.load64Zero, 3, ...uleb(rec.gWord * 4))
      .op(...SIMD.f64x2ConvertLowI32x4S)
      .set(v.gh);
  } else {
    fn.get(addr)
      .mem(OP.i32Load, 2, rec.gWord * 4)
      .op(OP.f64ConvertI32S)
      .set(v.g);
    fn.get(addr)
      .mem(OP.i32Load, 2, rec.gWord * 4 + 4)
      .op(OP.f64ConvertI32S)
      .set(v.h);
  }
}

/** histogram(begin, end, hist): add records [begin, end) to the histogram at byte address hist. */
function histogramFn(layout: HistogramLayout, rec: RecordLayout): Fn {
  const fn = new Fn([I32, I32, I32], []);
  const [begin, end, hist] = [0, 1, 2];
  const addr = fn.local(I32);
  const stop = fn.local(I32);
  const o = fn.local(I32);
  const v = gradientLocals(fn);
  fn.get(begin).i32(rec.bytes).op(OP.i32Mul).set(addr);
  fn.get(end).i32(rec.bytes).op(OP.i32Mul).set(stop);
  fn.op(OP.block, OP.void, OP.loop, OP.void);
  fn.get(addr).get(stop).op(OP.i32GeS, OP.brIf, 1);
  emitLoadGradients(fn, layout, rec, addr, v);
  emitAccumulate(fn, layout, addr, hist, v, o);
  fn.get(addr).i32(rec.bytes).op(OP.i32Add).set(addr);
  fn.op(OP.br, 0, OP.end, OP.end);
  return fn;
}

/** partition(begin, end, feature, bin, side, hist) -> first right record; see PartitionKernel. */
function partitionFn(layout: HistogramLayout, rec: RecordLayout): Fn {
  const fn = new Fn([I32, I32, I32, I32, I32, I32], [I32]);
  const [begin, end, feature, bin, side, hist] = [0, 1, 2, 3, 4, 5];
  const i = fn.local(I32);
  const j = fn.local(I32);
  const ai = fn.local(I32);
  const aj = fn.local(I32);
  const o = fn.local(I32);
  const t = fn.local(I64);
  const tv = fn.local(V128);
  const v = gradientLocals(fn);
  const B = rec.bytes;
  const accumulateIf = (wanted: number, addr: number) => {
    fn.get(side).i32(wanted).op(OP.i32Eq, OP.if, OP.void);
    emitLoadGradients(fn, layout, rec, addr, v);
    emitAccumulate(fn, layout, addr, hist, v, o);
    fn.op(OP.end);
  };
  fn.get(begin).set(i);
  fn.get(end).i32(1).op(OP.i32Sub).set(j);
  fn.op(OP.block, OP.void, OP.loop, OP.void); // outer: br 1 = done, br 0 = again
  // while (i <= j && bin(i) <= bin) { accumulate if side 1; i++ }
  fn.op(OP.block, OP.void, OP.loop, OP.void);
  fn.get(i).get(j).op(OP.i32GtS, OP.brIf, 1);
  fn.get(i)
    .i32(B)
    .op(OP.i32Mul)
    .tee(ai)
    .get(feature)
    .op(OP.i32Add)
    .mem(OP.i32Load8u, 0, 0)
    .get(bin)
    .op(OP.i32GtU, OP.brIf, 1);
  accumulateIf(1, ai);
  fn.get(i).i32(1).op(OP.i32Add).set(i);
  fn.op(OP.br, 0, OP.end, OP.end);
  // while (i <= j && bin(j) > bin) { accumulate if side 2; j-- }
  fn.op(OP.block, OP.void, OP.loop, OP.void);
  fn.get(i).get(j).op(OP.i32GtS, OP.brIf, 1);
  fn.get(j)
    .i32(B)
    .op(OP.i32Mul)
    .tee(aj)
    .get(feature)
    .op(OP.i32Add)
    .mem(OP.i32Load8u, 0, 0)
    .get(bin)
    .op(OP.i32LeU, OP.brIf, 1);
  accumulateIf(2, aj);
  fn.get(j).i32(1).op(OP.i32Sub).set(j);
  fn.op(OP.br, 0, OP.end, OP.end);
  // if (i >= j) break
  fn.get(i).get(j).op(OP.i32GeS, OP.brIf, 1);
  // swap records i and j (8 bytes at a time)
  fn.get(i).i32(B).op(OP.i32Mul).set(ai);
  fn.get(j).i32(B).op(OP.i32Mul).set(aj);
  for (let k = 0; k < B; k += 16) {
    if (k + 16 <= B) {
      fn.get(ai)
        .op(...SIMD.load, 3, ...uleb(k))
        .set(tv);
      fn.get(ai)
        .get(aj)
        .op(...SIMD.load, 3, ...uleb(k))
        .op(...SIMD.store, 3, ...uleb(k));
      fn.get(aj)
        .get(tv)
        .op(...SIMD.store, 3, ...uleb(k));
    } else {
      fn.get(ai).mem(OP.i64Load, 3, k).set(t);
      fn.get(ai).get(aj).mem(OP.i64Load, 3, k).mem(OP.i64Store, 3, k);
      fn.get(aj).get(t).mem(OP.i64Store, 3, k);
    }
  }
  accumulateIf(1, ai);
  accumulateIf(2, aj);
  fn.get(i).i32(1).op(OP.i32Add).set(i);
  fn.get(j).i32(1).op(OP.i32Sub).set(j);
  fn.op(OP.br, 0, OP.end, OP.end);
  fn.get(i);
  return fn;
}

/**
 * start(begin, end, feature, bin, addLeft, addRight, scale, hist, sums): StartKernel without the
 * histogram (`hist` is ignored; run histogram() afterwards).
 */
function startFn(rec: RecordLayout): Fn {
  const fn = new Fn([I32, I32, I32, I32, F64, F64, F64, I32, I32], []);
  const [begin, end, feature, bin, addLeft, addRight, scale, , sums] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const addr = fn.local(I32);
  const stop = fn.local(I32);
  const gi = fn.local(I32);
  const hi = fn.local(I32);
  const s = fn.local(F64);
  const y = fn.local(F64);
  const k = fn.local(F64);
  const r = fn.local(F64);
  const r2 = fn.local(F64);
  const r4 = fn.local(F64);
  const r8 = fn.local(F64);
  const p = fn.local(F64);
  const g = fn.local(F64);
  const h = fn.local(F64);
  const sg = fn.local(F64);
  const sh = fn.local(F64);
  const scoreOffset = rec.scoreSlot * 8;
  fn.get(begin).i32(rec.bytes).op(OP.i32Mul).set(addr);
  fn.get(end).i32(rec.bytes).op(OP.i32Mul).set(stop);
  emitStartPairs(fn, rec, { addr, stop, feature, bin, addLeft, addRight, scale, sg, sh });
  fn.op(OP.block, OP.void, OP.loop, OP.void);
  fn.get(addr).get(stop).op(OP.i32GeS, OP.brIf, 1);
  // s = score + (bin(feature) <= bin ? addLeft : addRight); store it
  fn.get(addr).mem(OP.f64Load, 3, scoreOffset);
  fn.get(addLeft).get(addRight);
  fn.get(addr).get(feature).op(OP.i32Add).mem(OP.i32Load8u, 0, 0).get(bin).op(OP.i32LeU, OP.select);
  fn.op(OP.f64Add).set(s);
  fn.get(addr).get(s).mem(OP.f64Store, 3, scoreOffset);
  // fastExp(-s), as objective.ts: y = clamp(-s), k = floor(y·log2e + 0.5), r = y − k·hi − k·lo
  fn.get(s).op(OP.f64Neg).f64(-700).op(OP.f64Max).f64(700).op(OP.f64Min).set(y);
  fn.get(y).f64(Math.LOG2E).op(OP.f64Mul).f64(0.5).op(OP.f64Add, OP.f64Floor).set(k);
  fn.get(y)
    .get(k)
    .f64(FAST_EXP.ln2Hi)
    .op(OP.f64Mul, OP.f64Sub)
    .get(k)
    .f64(FAST_EXP.ln2Lo)
    .op(OP.f64Mul, OP.f64Sub)
    .set(r);
  // Estrin, exactly as objective.ts fastExp:
  //   s0 = c0 + c1·r + (c2 + c3·r)·r2, s1 = …, s2 = …;  p = s0 + s1·r4 + s2·r8;  then p · 2^k
  const c = FAST_EXP.coefficients;
  fn.get(r).get(r).op(OP.f64Mul).set(r2);
  fn.get(r2).get(r2).op(OP.f64Mul).set(r4);
  fn.get(r4).get(r4).op(OP.f64Mul).set(r8);
  const quad = (n: number) => {
    // c[n] + c[n+1]·r + (c[n+2] + c[n+3]·r)·r2, left to right as in JS
    fn.f64(c[n])
      .f64(c[n + 1])
      .get(r)
      .op(OP.f64Mul, OP.f64Add);
    fn.f64(c[n + 2])
      .f64(c[n + 3])
      .get(r)
      .op(OP.f64Mul, OP.f64Add)
      .get(r2)
      .op(OP.f64Mul, OP.f64Add);
  };
  quad(0);
  quad(4);
  fn.get(r4).op(OP.f64Mul, OP.f64Add);
  quad(8);
  fn.get(r8).op(OP.f64Mul, OP.f64Add);
  // × 2^k
  fn.get(k).op(OP.i64TruncF64S).i64(1023).op(OP.i64Add).i64(52).op(OP.i64Shl, OP.f64ReinterpretI64, OP.f64Mul);
  // p = 1 / (1 + e)
  fn.set(p);
  fn.f64(1).f64(1).get(p).op(OP.f64Add, OP.f64Div).set(p);
  // g = floor((p − y) · scale + 0.5)
  fn.get(p).get(addr).mem(OP.i32Load8u, 0, rec.labelByte).op(OP.f64ConvertI32U, OP.f64Sub);
  fn.get(scale).op(OP.f64Mul).f64(0.5).op(OP.f64Add, OP.f64Floor, OP.i32TruncF64S).set(gi);
  // h = max(1, floor(p · (1 − p) · scale + 0.5))
  fn.get(p)
    .f64(1)
    .get(p)
    .op(OP.f64Sub, OP.f64Mul)
    .get(scale)
    .op(OP.f64Mul)
    .f64(0.5)
    .op(OP.f64Add, OP.f64Floor, OP.i32TruncF64S)
    .set(hi);
  fn.get(hi).i32(1).get(hi).i32(1).op(OP.i32GtS, OP.select).set(hi);
  fn.get(addr)
    .get(gi)
    .mem(OP.i32Store, 2, rec.gWord * 4);
  fn.get(addr)
    .get(hi)
    .mem(OP.i32Store, 2, rec.gWord * 4 + 4);
  fn.get(gi).op(OP.f64ConvertI32S).set(g);
  fn.get(hi).op(OP.f64ConvertI32S).set(h);
  fn.get(sg).get(g).op(OP.f64Add).set(sg);
  fn.get(sh).get(h).op(OP.f64Add).set(sh);
  // (No histogram here: a separate histogram pass is faster than fusing it into this
  // latency-bound loop, measured 59 vs 74 ms on 2M rows.)
  fn.get(addr).i32(rec.bytes).op(OP.i32Add).set(addr);
  fn.op(OP.br, 0, OP.end, OP.end);
  fn.get(sums).get(sums).mem(OP.f64Load, 3, 0).get(sg).op(OP.f64Add).mem(OP.f64Store, 3, 0);
  fn.get(sums).get(sums).mem(OP.f64Load, 3, 8).get(sh).op(OP.f64Add).mem(OP.f64Store, 3, 8);
  return fn;
}

/**
 * bin(src, count, dst, thresholds): bins `count` rows of row-major float32 values at byte address
 * src into the records starting at record dst (bytes 0..cols-1 of each). thresholds: per feature
 * 256 float64 thresholds padded with +Infinity (binning.ts paddedThresholds), 2048 bytes each.
 * Same branch-free search as binning.ts binRows.
 */
function binFn(cols: number, rec: RecordLayout): Fn {
  const fn = new Fn([I32, I32, I32, I32], []);
  const [src, count, dst, thresholds] = [0, 1, 2, 3];
  const i = fn.local(I32);
  const at = fn.local(I32);
  const out = fn.local(I32);
  const t = fn.local(I32);
  const p = fn.local(I32);
  const x = fn.local(F64);
  fn.get(src).set(at);
  fn.get(dst).i32(rec.bytes).op(OP.i32Mul).set(out);
  fn.op(OP.block, OP.void, OP.loop, OP.void);
  fn.get(i).get(count).op(OP.i32GeS, OP.brIf, 1);
  for (let f = 0; f < cols; f++) {
    fn.get(at)
      .mem(OP.f32Load, 2, f * 4)
      .op(OP.f64PromoteF32)
      .set(x);
    fn.get(thresholds)
      .i32(f * 2048)
      .op(OP.i32Add)
      .set(t);
    fn.i32(0).set(p);
    for (let step = 128; step >= 1; step >>= 1) {
      // p += T[p + step - 1] <= x ? step : 0
      fn.get(p).i32(step).i32(0);
      fn.get(p)
        .i32(3)
        .op(OP.i32Shl)
        .get(t)
        .op(OP.i32Add)
        .mem(OP.f64Load, 3, (step - 1) * 8)
        .get(x)
        .op(OP.f64Le);
      fn.op(OP.select, OP.i32Add).set(p);
    }
    fn.get(out).get(p).mem(OP.i32Store8, 0, f);
  }
  fn.get(at)
    .i32(cols * 4)
    .op(OP.i32Add)
    .set(at);
  fn.get(out).i32(rec.bytes).op(OP.i32Add).set(out);
  fn.get(i).i32(1).op(OP.i32Add).set(i);
  fn.op(OP.br, 0, OP.end, OP.end);
  return fn;
}

/**
 * The start kernel eight rows at a time: four f64x2 SIMD pairs, their steps interleaved so the
 * long exp/divide dependency chains overlap (measured 15 ms per 2M rows, against 32 ms one pair
 * at a time and 38 ms scalar). The same operations lane by lane
 * as the scalar loop (which then finishes the last rows), so the results are identical.
 * Advances `addr`; sets sg, sh to the gradient/hessian sums of the rows done here.
 */
function emitStartPairs(
  fn: Fn,
  rec: RecordLayout,
  l: {
    addr: number;
    stop: number;
    feature: number;
    bin: number;
    addLeft: number;
    addRight: number;
    scale: number;
    sg: number;
    sh: number;
  },
): void {
  const B = rec.bytes;
  const PAIRS = 4;
  const scoreOffset = rec.scoreSlot * 8;
  const SG = fn.local(V128);
  const SH = fn.local(V128);
  const SCALE = fn.local(V128);
  const pairs = Array.from({ length: PAIRS }, () => ({
    a0: fn.local(I32),
    a1: fn.local(I32),
    s0: fn.local(F64),
    s1: fn.local(F64),
    S: fn.local(V128),
    Y: fn.local(V128),
    K: fn.local(V128),
    R: fn.local(V128),
    R2: fn.local(V128),
    R4: fn.local(V128),
    R8: fn.local(V128),
    P: fn.local(V128),
    Gi: fn.local(V128),
    Hi: fn.local(V128),
  }));
  type Pair = (typeof pairs)[number];
  const v = (...bytes: number[]) => fn.op(...bytes);
  const C = (x: number) => fn.f64(x).op(...SIMD.f64x2Splat);
  const each = (step: (q: Pair) => void) => pairs.forEach(step);
  const c = FAST_EXP.coefficients;
  fn.get(l.scale)
    .op(...SIMD.f64x2Splat)
    .set(SCALE);
  C(0).set(SG);
  C(0).set(SH);
  fn.op(OP.block, OP.void, OP.loop, OP.void);
  // while (addr + 2·PAIRS·B <= stop)
  fn.get(l.addr)
    .i32(2 * PAIRS * B)
    .op(OP.i32Add)
    .get(l.stop)
    .op(OP.i32GtS, OP.brIf, 1);
  pairs.forEach((q, n) => {
    fn.get(l.addr)
      .i32(2 * n * B)
      .op(OP.i32Add)
      .set(q.a0);
    fn.get(l.addr)
      .i32((2 * n + 1) * B)
      .op(OP.i32Add)
      .set(q.a1);
  });
  each((q) => {
    for (const [a, s] of [
      [q.a0, q.s0],
      [q.a1, q.s1],
    ]) {
      fn.get(a).mem(OP.f64Load, 3, scoreOffset);
      fn.get(l.addLeft).get(l.addRight);
      fn.get(a).get(l.feature).op(OP.i32Add).mem(OP.i32Load8u, 0, 0).get(l.bin).op(OP.i32LeU, OP.select);
      fn.op(OP.f64Add).set(s);
      fn.get(a).get(s).mem(OP.f64Store, 3, scoreOffset);
    }
    fn.get(q.s0)
      .op(...SIMD.f64x2Splat)
      .get(q.s1)
      .op(...SIMD.f64x2ReplaceLane, 1)
      .set(q.S);
  });
  // Y = clamp(−S), K = floor(Y·log2e + 0.5), R = Y − K·hi − K·lo
  each((q) => {
    fn.get(q.S);
    v(...SIMD.f64x2Neg);
    C(-700);
    v(...SIMD.f64x2Max);
    C(700);
    v(...SIMD.f64x2Min).set(q.Y);
  });
  each((q) => {
    fn.get(q.Y);
    C(Math.LOG2E);
    v(...SIMD.f64x2Mul);
    C(0.5);
    v(...SIMD.f64x2Add, ...SIMD.f64x2Floor).set(q.K);
  });
  each((q) => {
    fn.get(q.Y).get(q.K);
    C(FAST_EXP.ln2Hi);
    v(...SIMD.f64x2Mul, ...SIMD.f64x2Sub).get(q.K);
    C(FAST_EXP.ln2Lo);
    v(...SIMD.f64x2Mul, ...SIMD.f64x2Sub).set(q.R);
  });
  each((q) =>
    fn
      .get(q.R)
      .get(q.R)
      .op(...SIMD.f64x2Mul)
      .set(q.R2),
  );
  each((q) =>
    fn
      .get(q.R2)
      .get(q.R2)
      .op(...SIMD.f64x2Mul)
      .set(q.R4),
  );
  each((q) =>
    fn
      .get(q.R4)
      .get(q.R4)
      .op(...SIMD.f64x2Mul)
      .set(q.R8),
  );
  const quad = (q: Pair, n: number) => {
    C(c[n]);
    C(c[n + 1]);
    fn.get(q.R).op(...SIMD.f64x2Mul, ...SIMD.f64x2Add);
    C(c[n + 2]);
    C(c[n + 3]);
    fn.get(q.R)
      .op(...SIMD.f64x2Mul, ...SIMD.f64x2Add)
      .get(q.R2)
      .op(...SIMD.f64x2Mul, ...SIMD.f64x2Add);
  };
  each((q) => {
    // P = s0 + s1·R4 + s2·R8, then × 2^K: ((i64)K + 1023) << 52 reinterpreted
    quad(q, 0);
    quad(q, 4);
    fn.get(q.R4).op(...SIMD.f64x2Mul, ...SIMD.f64x2Add);
    quad(q, 8);
    fn.get(q.R8).op(...SIMD.f64x2Mul, ...SIMD.f64x2Add);
    fn.get(q.K).op(...SIMD.i32x4TruncSatF64x2SZero, ...SIMD.i64x2ExtendLowI32x4S);
    fn.i64(1023)
      .op(...SIMD.i64x2Splat, ...SIMD.i64x2Add)
      .i32(52)
      .op(...SIMD.i64x2Shl, ...SIMD.f64x2Mul);
    fn.set(q.P);
  });
  // P = 1 / (1 + E)
  each((q) => {
    C(1);
    C(1);
    fn.get(q.P)
      .op(...SIMD.f64x2Add, ...SIMD.f64x2Div)
      .set(q.P);
  });
  // G = floor((P − label) · scale + 0.5)
  each((q) => {
    fn.get(q.P);
    fn.get(q.a0)
      .mem(OP.i32Load8u, 0, rec.labelByte)
      .op(OP.f64ConvertI32U, ...SIMD.f64x2Splat);
    fn.get(q.a1)
      .mem(OP.i32Load8u, 0, rec.labelByte)
      .op(OP.f64ConvertI32U, ...SIMD.f64x2ReplaceLane, 1);
    fn.op(...SIMD.f64x2Sub)
      .get(SCALE)
      .op(...SIMD.f64x2Mul);
    C(0.5);
    v(...SIMD.f64x2Add, ...SIMD.f64x2Floor, ...SIMD.i32x4TruncSatF64x2SZero).set(q.Gi);
  });
  // H = max(1, floor(P · (1 − P) · scale + 0.5))
  each((q) => {
    fn.get(q.P);
    C(1);
    fn.get(q.P)
      .op(...SIMD.f64x2Sub, ...SIMD.f64x2Mul)
      .get(SCALE)
      .op(...SIMD.f64x2Mul);
    C(0.5);
    v(...SIMD.f64x2Add, ...SIMD.f64x2Floor, ...SIMD.i32x4TruncSatF64x2SZero);
    fn.i32(1)
      .op(...SIMD.i32x4Splat, ...SIMD.i32x4MaxS)
      .set(q.Hi);
  });
  each((q) => {
    fn.get(q.a0)
      .get(q.Gi)
      .op(...SIMD.i32x4ExtractLane, 0)
      .mem(OP.i32Store, 2, rec.gWord * 4);
    fn.get(q.a0)
      .get(q.Hi)
      .op(...SIMD.i32x4ExtractLane, 0)
      .mem(OP.i32Store, 2, rec.gWord * 4 + 4);
    fn.get(q.a1)
      .get(q.Gi)
      .op(...SIMD.i32x4ExtractLane, 1)
      .mem(OP.i32Store, 2, rec.gWord * 4);
    fn.get(q.a1)
      .get(q.Hi)
      .op(...SIMD.i32x4ExtractLane, 1)
      .mem(OP.i32Store, 2, rec.gWord * 4 + 4);
    fn.get(SG)
      .get(q.Gi)
      .op(...SIMD.f64x2ConvertLowI32x4S, ...SIMD.f64x2Add)
      .set(SG);
    fn.get(SH)
      .get(q.Hi)
      .op(...SIMD.f64x2ConvertLowI32x4S, ...SIMD.f64x2Add)
      .set(SH);
  });
  fn.get(l.addr)
    .i32(2 * PAIRS * B)
    .op(OP.i32Add)
    .set(l.addr);
  fn.op(OP.br, 0, OP.end, OP.end);
  fn.get(SG)
    .op(...SIMD.f64x2ExtractLane, 0)
    .get(SG)
    .op(...SIMD.f64x2ExtractLane, 1)
    .op(OP.f64Add)
    .set(l.sg);
  fn.get(SH)
    .op(...SIMD.f64x2ExtractLane, 0)
    .get(SH)
    .op(...SIMD.f64x2ExtractLane, 1)
    .op(OP.f64Add)
    .set(l.sh);
}

/** The compiled module for a layout (compile once, instantiate per thread with the memory). */
export function compileKernels(layout: HistogramLayout, rec: RecordLayout): WasmModule {
  const bytes = moduleBytes([
    { name: 'histogram', fn: histogramFn(layout, rec) },
    { name: 'partition', fn: partitionFn(layout, rec) },
    { name: 'start', fn: startFn(rec) },
    { name: 'bin', fn: binFn(layout.cols, rec) },
  ]);
  return new WA.Module(bytes);
}

export interface WasmKernels {
  histogram(begin: number, end: number, hist: number): void;
  partition(begin: number, end: number, feature: number, bin: number, side: number, hist: number): number;
  start(
    begin: number,
    end: number,
    feature: number,
    bin: number,
    addLeft: number,
    addRight: number,
    scale: number,
    hist: number,
    sums: number,
  ): void;
  bin(src: number, count: number, dst: number, thresholds: number): void;
}

export function instantiateKernels(module: WasmModule, memory: WasmMemory): WasmKernels {
  const instance = new WA.Instance(module, { m: { memory } });
  return instance.exports as unknown as WasmKernels;
}

/** A shared memory of at least `bytes` bytes. */
export function sharedMemory(bytes: number): WasmMemory {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  if (pages > 65536) throw new Error(`gbdt: ${bytes} bytes of training data exceed the 4 GiB WebAssembly memory`);
  return new WA.Memory({ initial: pages, maximum: pages, shared: true });
}
