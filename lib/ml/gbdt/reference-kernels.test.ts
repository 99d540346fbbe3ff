import { trainingKernelCases } from './kernels.case.test.ts';
import { referenceKernels } from './reference-kernels.ts';

trainingKernelCases('reference (TypeScript)', (memory, layout, rec) => referenceKernels(memory.buffer, layout, rec));
