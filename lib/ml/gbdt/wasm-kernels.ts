/**
 * The WebAssembly training kernels: kernels/*.ts (AssemblyScript) compiled by
 * `npm run build:kernels` (kernel-build.ts) into two modules committed next to the sources,
 * records.wasm (histogram, partition, binning) and gradients.wasm (start of a tree), built with
 * different optimisations; `npm run lint` checks that they are what the sources compile to.
 * Tested bit-identical to the plain TypeScript of reference-kernels.ts.
 *
 * The records (histogram.ts RecordLayout) live in a shared WebAssembly.Memory (its buffer is a
 * SharedArrayBuffer, so every thread and the JS views see the same bytes) from byte 0; each thread
 * instantiates the module on it once and has its own histogram scratch area further up.
 */
import { readFileSync } from 'node:fs';
import type { HistogramLayout, RecordLayout, TrainingKernels } from './histogram.ts';

/** The compiled modules, next to their sources. */
export const KERNEL_FILES = {
  records: new URL('./kernels/records.wasm', import.meta.url),
  gradients: new URL('./kernels/gradients.wasm', import.meta.url),
};
export type KernelName = keyof typeof KERNEL_FILES;

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

/** A kernel of TrainingKernels with the layout values it needs as extra arguments. */
type WithLayout<K extends keyof TrainingKernels, Layout extends unknown[]> = (
  ...args: [...Parameters<TrainingKernels[K]>, ...Layout]
) => ReturnType<TrainingKernels[K]>;

/** What the two modules export. */
interface KernelExports {
  histogram: WithLayout<'histogram', [cols: number, bytes: number, gradientByte: number, counts: boolean]>;
  partition: WithLayout<'partition', [bytes: number]>;
  start: WithLayout<'start', [bytes: number, labelByte: number, gradientByte: number, scoreByte: number]>;
  bin: WithLayout<'bin', [cols: number, bytes: number]>;
}

export type KernelModules = Record<KernelName, WasmModule>;

let compiled: KernelModules | null = null;

/** The compiled modules (once per thread; modules can be posted to workers and instantiated there). */
export function kernelModules(): KernelModules {
  compiled ??= {
    records: new WA.Module(readFileSync(KERNEL_FILES.records)),
    gradients: new WA.Module(readFileSync(KERNEL_FILES.gradients)),
  };
  return compiled;
}

/** The kernels on `memory` for these layouts (one instance of each module per thread). */
export function wasmKernels(
  modules: KernelModules,
  memory: WasmMemory,
  layout: HistogramLayout,
  rec: RecordLayout,
): TrainingKernels {
  const imports = { env: { memory } };
  const k = {
    ...(new WA.Instance(modules.records, imports).exports as object),
    ...(new WA.Instance(modules.gradients, imports).exports as object),
  } as KernelExports;
  const { cols, bytes, labelByte } = rec;
  const gradientByte = rec.gWord * 4;
  const scoreByte = rec.scoreSlot * 8;
  const counts = layout.stride === 3;
  return {
    histogram: (begin, end, hist) => k.histogram(begin, end, hist, cols, bytes, gradientByte, counts),
    partition: (begin, end, feature, bin) => k.partition(begin, end, feature, bin, bytes),
    start: (begin, end, feature, bin, addLeft, addRight, scale, sums) =>
      k.start(begin, end, feature, bin, addLeft, addRight, scale, sums, bytes, labelByte, gradientByte, scoreByte),
    bin: (src, count, dst, thresholds) => k.bin(src, count, dst, thresholds, cols, bytes),
  };
}

/** A shared memory of at least `bytes` bytes. */
export function sharedMemory(bytes: number): WasmMemory {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  if (pages > 65536) throw new Error(`gbdt: ${bytes} bytes of training data exceed the 4 GiB WebAssembly memory`);
  return new WA.Memory({ initial: pages, maximum: pages, shared: true });
}
