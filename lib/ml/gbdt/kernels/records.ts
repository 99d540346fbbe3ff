/**
 * Entry of records.wasm: the kernels over the records — histogram, partition, binning. Built by
 * `npm run build:kernels` (lib/ml/gbdt/kernel-build.ts) with Binaryen's full optimisation.
 */
export { bin } from './binning';
export { histogram } from './histogram';
export { partition } from './partition';
