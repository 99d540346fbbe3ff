/**
 * Local stand-ins for third-party actions: a short, explicit list keyed by `owner/repo` and the
 * commit SHAs a workflow may pin. Each implements the part of the real action the lifecycle uses and
 * fails loudly on inputs it does not implement; any other action makes the runner refuse the
 * workflow, naming the action and its file and line.
 */
import type { EventFacts } from '../events.ts';
import type { JobLog } from '../job-log.ts';
import type { RepositorySource, TokenIssuer } from '../ports.ts';

export interface StandInServices {
  /** Inputs as given (`with:`) over the stand-in's defaults; names lower-cased. */
  inputs: Record<string, string>;
  workspace: string;
  event: EventFacts;
  repository: RepositorySource;
  /** The job's GITHUB_TOKEN (`${{ github.token }}`). */
  jobToken: string;
  tokens: TokenIssuer;
  log: JobLog;
  /** The Node the runner provides (its own, 24). */
  nodePath: string;
  mask(value: string): void;
  /** Prepends a folder to PATH for later steps (GITHUB_PATH). */
  addPath(folder: string): void;
  /** Runs when the job ends, like an action's `post:` step (it sees how the job went). */
  atJobEnd(task: JobEndTask): void;
  /** The run's artifact folder (kept after the run). */
  artifactsDir: string;
  /** The repository's actions/cache store (shared by runs). */
  cacheDir: string;
}

/** A job-end task; `status` is the job's so far (a post step's `success()`). */
export type JobEndTask = (job: { status: 'success' | 'failure' | 'cancelled' }) => Promise<void>;

export interface StandInResult {
  outputs?: Record<string, string>;
  /** Why the step did nothing; the step is recorded as skipped. */
  skipped?: string;
}

export interface StandIn {
  /** `owner/repo`. */
  repository: string;
  /** Pinnable commits: full SHA → the release tag it is. */
  versions: Record<string, string>;
  /** Inputs the stand-in implements, with the real action's defaults. */
  inputs: Record<string, string>;
  /** Inputs of the real action the stand-in ignores (harmless here); any other input fails the step. */
  ignoredInputs?: string[];
  /** Accepts families of inputs (create-github-app-token's `permission-<scope>`). */
  acceptsInput?: (name: string) => boolean;
  run(services: StandInServices): Promise<StandInResult>;
}

/** Fails the step naming the action and the input, for inputs the stand-in does not implement. */
export function checkStandInInputs(standIn: StandIn, given: Record<string, string>): string[] {
  const unsupported: string[] = [];
  for (const name of Object.keys(given)) {
    const known = name in standIn.inputs || standIn.ignoredInputs?.includes(name) || standIn.acceptsInput?.(name);
    if (!known) unsupported.push(name);
  }
  return unsupported;
}
