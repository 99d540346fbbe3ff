/**
 * Runs a step's process (a shell script or a node action): output line by line to one handler
 * (stdout and stderr both carry workflow commands, as on GitHub), killed with its whole process
 * group when the step times out or the run is cancelled.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface StepProcessResult {
  exitCode: number | null;
  /** Why it was stopped, when it was. */
  stopped?: 'timeout' | 'cancelled';
  /** The step's process group, for the job to end leftovers (background servers) when it ends. */
  processGroup?: number;
}

function signalGroup(processGroup: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-processGroup, signal);
    return true;
  } catch {
    return false; // Nothing left in the group.
  }
}

/**
 * Ends what is left of a step's process group (a server started in the background), as GitHub
 * ends orphan processes when a job ends; true when something was left.
 */
export function killProcessGroup(processGroup: number): boolean {
  return signalGroup(processGroup, 0) && signalGroup(processGroup, 'SIGKILL');
}

export async function runStepProcess(options: {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  onLine: (line: string) => void;
  timeoutMs?: number;
  signal?: AbortSignal;
}): Promise<StepProcessResult> {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stopped: StepProcessResult['stopped'];
  const stop = (why: 'timeout' | 'cancelled') => {
    if (stopped || child.exitCode !== null || child.pid === undefined) return;
    stopped = why;
    const group = child.pid;
    signalGroup(group, 'SIGTERM');
    setTimeout(() => signalGroup(group, 'SIGKILL'), 5_000).unref();
  };
  const timer = options.timeoutMs !== undefined ? setTimeout(() => stop('timeout'), options.timeoutMs) : undefined;
  const onAbort = () => stop('cancelled');
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort);

  const streamsDone = [child.stdout, child.stderr].map(
    (stream) =>
      new Promise<void>((resolve) => {
        const lines = createInterface({ input: stream, crlfDelay: Infinity });
        lines.on('line', options.onLine);
        lines.on('close', resolve);
      }),
  );
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  }).finally(() => {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  });
  // A background process the step started may hold its output open: read what is there, then move
  // on (the job kills the step's process group when it ends, as GitHub cleans up orphan processes).
  const grace = new Promise<void>((resolve) => setTimeout(resolve, 200).unref());
  await Promise.race([Promise.all(streamsDone), grace]);
  child.stdout.destroy();
  child.stderr.destroy();
  return { exitCode, stopped, processGroup: child.pid };
}
