/** The record of a job that ended without running steps (skipped, refused, or an invalid workflow file). */
import type { Annotation, Conclusion, JobRecord } from './ports.ts';

export function jobThatDidNotRun(options: {
  key: string;
  name: string;
  conclusion: Conclusion;
  at: string;
  errors?: string[];
}): JobRecord {
  const annotations: Annotation[] = (options.errors ?? []).map((message) => ({ level: 'error', message }));
  return {
    key: options.key,
    name: options.name,
    status: 'completed',
    conclusion: options.conclusion,
    startedAt: options.at,
    completedAt: options.at,
    labels: [],
    permissions: {},
    outputs: {},
    steps: [],
    summary: '',
    annotations,
  };
}
