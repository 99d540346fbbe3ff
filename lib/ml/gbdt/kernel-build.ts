/**
 * How the WebAssembly kernels are built from their AssemblyScript sources in kernels/: the
 * compiler options of each module, in one place for `npm run build:kernels` (which writes the
 * .wasm files next to the sources, committed) and for the check that the committed files are
 * what the sources compile to (`npm run lint`). The compiler (the `assemblyscript` package, pinned
 * with the Binaryen it bundles) is loaded only here: training reads the committed .wasm files.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KERNEL_FILES, type KernelName } from './wasm-kernels.ts';

const KERNELS_DIR = new URL('./kernels/', import.meta.url);

/**
 * Every module: no allocation or static data (the stub runtime is tree-shaken away and nothing
 * is written at instantiation: the records start at byte 0 of the memory), the training memory
 * imported as env.memory (shared by the threads, up to 4 GiB), SIMD and atomics enabled, no
 * assertions and so no abort import.
 */
const COMMON_OPTIONS = [
  '--runtime',
  'stub',
  '--noAssert',
  '--use',
  'abort=',
  '--importMemory',
  '--sharedMemory',
  '--initialMemory',
  '1',
  '--maximumMemory',
  '65536',
  '--noExportMemory',
  '--enable',
  'simd,threads',
];

/**
 * Binaryen's -O3 function passes except simplify-locals, code-pushing and precompute-propagate,
 * which move each value next to its single use (undoing the start kernel's step-by-step
 * interleaving of four pairs) and fold f64x2.splat(constant) into v128.const (which V8 rebuilds at
 * every use inside the loop). Measured on the flights records: 1.0x the hand-written kernel's time
 * with this list, 1.5x with Binaryen's -O3, 1.3x with no passes.
 */
const ORDER_KEEPING_PASSES = [
  'dce',
  'remove-unused-names',
  'remove-unused-brs',
  'optimize-instructions',
  'pick-load-signs',
  'vacuum',
  'reorder-locals',
  'merge-locals',
  'coalesce-locals',
  'code-folding',
  'merge-blocks',
  'rse',
];

/** The modules: entry file in kernels/ and optimisation options. */
export const KERNEL_BUILDS: Record<KernelName, { entry: string; optimization: string[] }> = {
  records: { entry: 'records.ts', optimization: ['--optimizeLevel', '3', '--shrinkLevel', '0'] },
  gradients: {
    entry: 'gradients.ts',
    optimization: ['--optimizeLevel', '0', '--runPasses', ORDER_KEEPING_PASSES.join(',')],
  },
};

/** Compiles one module from the sources on disk; throws with the compiler's diagnostics. */
export async function compileKernel(name: KernelName): Promise<Uint8Array> {
  const { default: asc } = await import('assemblyscript/asc');
  const build = KERNEL_BUILDS[name];
  let binary: Uint8Array | null = null;
  const result = await asc.main(
    [build.entry, '--outFile', 'out.wasm', '--noColors', ...COMMON_OPTIONS, ...build.optimization],
    {
      readFile: (file, baseDir) => {
        try {
          return readFileSync(fileURLToPath(new URL(file, new URL(`${baseDir}/`, KERNELS_DIR))), 'utf8');
        } catch {
          return null;
        }
      },
      writeFile: (file, contents) => {
        if (file === 'out.wasm' && typeof contents !== 'string') binary = contents;
      },
      listFiles: () => [],
    },
  );
  if (result.error || binary === null) {
    throw new Error(`build:kernels: ${name} (${build.entry}) did not compile: ${result.stderr.toString().trim()}`);
  }
  return binary;
}

/** The committed module, as training loads it. */
export function committedKernel(name: KernelName): Uint8Array {
  return readFileSync(KERNEL_FILES[name]);
}
