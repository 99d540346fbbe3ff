/** A step process's end as GitHub reports it: exit code, timeout or cancellation. */
import type { StepOutcome, StepRuntime } from './job.ts';
import type { StepProcessResult } from './step-process.ts';

export function finishProcessStep(runtime: StepRuntime, result: StepProcessResult): StepOutcome {
  if (result.processGroup !== undefined) runtime.processGroups.push(result.processGroup);
  if (result.stopped === 'timeout') {
    return { status: 'failure', error: `The action has timed out after ${(runtime.timeoutMs ?? 0) / 60_000} minutes.` };
  }
  if (result.stopped === 'cancelled') return { status: 'cancelled', error: 'The operation was canceled.' };
  if (result.exitCode === 0) return { status: 'success' };
  return {
    status: 'failure',
    error: `Process completed with exit code ${result.exitCode ?? 'unknown (killed by a signal)'}.`,
  };
}
