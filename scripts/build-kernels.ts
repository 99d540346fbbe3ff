/**
 * `npm run build:kernels`: compiles the AssemblyScript kernels (lib/ml/gbdt/kernels/) and writes
 * the .wasm files next to them (commit them). `--check` writes nothing and fails when a committed
 * file differs from what its sources compile to (run by `npm run lint`).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KERNEL_BUILDS, committedKernel, compileKernel } from '../lib/ml/gbdt/kernel-build.ts';
import { KERNEL_FILES, type KernelName } from '../lib/ml/gbdt/wasm-kernels.ts';

const { values: args } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
const stale: string[] = [];
for (const name of Object.keys(KERNEL_BUILDS) as KernelName[]) {
  const file = fileURLToPath(KERNEL_FILES[name]);
  const bytes = await compileKernel(name);
  if (args.check) {
    if (Buffer.compare(committedKernel(name), bytes) !== 0) stale.push(file);
  } else {
    writeFileSync(file, bytes);
    console.log(`build:kernels: wrote ${file} (${bytes.length} bytes)`);
  }
}
if (stale.length > 0) {
  console.error(`build:kernels: out of date with their sources: ${stale.join(', ')}; run npm run build:kernels`);
  process.exitCode = 1;
} else if (args.check) {
  console.log('build:kernels: the committed kernels are what their sources compile to');
}
