/**
 * `run:` steps: the script goes to a file in RUNNER_TEMP and runs with GitHub's shell commands —
 * unspecified: `bash -e {0}`; `bash`: `bash --noprofile --norc -eo pipefail {0}`; `sh`: `sh -e {0}`;
 * `python`: `python {0}`; or a custom command containing `{0}` — in `working-directory` (or
 * `defaults.run.working-directory`) under the workspace.
 */
import { randomUUID } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StepOutcome, StepRuntime } from './job.ts';
import { finishProcessStep } from './step-finish.ts';
import { runStepProcess } from './step-process.ts';

export interface ShellCommand {
  command: string;
  args: string[];
  /** As GitHub prints it in the step header. */
  display: string;
}

const SHELLS: Record<string, { template: string; extension: string }> = {
  '': { template: 'bash -e {0}', extension: '.sh' },
  bash: { template: 'bash --noprofile --norc -eo pipefail {0}', extension: '.sh' },
  sh: { template: 'sh -e {0}', extension: '.sh' },
  python: { template: 'python {0}', extension: '.py' },
};

/** The command line for a `shell:` value and a script file. */
export function shellCommand(shell: string | undefined, scriptPath: (extension: string) => string): ShellCommand {
  const key = (shell ?? '').trim();
  const known = SHELLS[key];
  if (!known && ['pwsh', 'powershell', 'cmd'].includes(key)) {
    throw new Error(`shell '${key}' is not available on the local runner (Linux, bash)`);
  }
  if (!known && !key.includes('{0}')) throw new Error(`shell '${key}' must contain {0} (the script path)`);
  const template = known?.template ?? key;
  const command = template.split(/\s+/)[0];
  const extension =
    known?.extension ?? (command === 'bash' || command === 'sh' ? '.sh' : command === 'python' ? '.py' : '');
  const file = scriptPath(extension);
  const args = template
    .split(/\s+/)
    .slice(1)
    .map((arg) => arg.replace('{0}', file));
  return { command, args, display: template };
}

export async function runScriptStep(runtime: StepRuntime): Promise<StepOutcome> {
  const { step, evaluator, scope, log, folders } = runtime;
  if (!step.run) throw new Error(`${step.place}: not a run step`);
  const script = evaluator.string(step.run, scope);
  const shell = step.shell ? evaluator.string(step.shell, scope) : runtime.defaults.shell;
  const workingDirectory = step.workingDirectory
    ? evaluator.string(step.workingDirectory, scope)
    : runtime.defaults.workingDirectory;
  const cwd = path.resolve(folders.workspace, workingDirectory ?? '');
  let scriptFile = '';
  const command = shellCommand(shell, (extension) => {
    scriptFile = path.join(folders.temp, `${randomUUID()}${extension}`);
    return scriptFile;
  });
  for (const line of script.replace(/\n$/, '').split('\n')) log.write(line);
  log.write(`shell: ${command.display}`);
  logEnv(runtime);
  log.endGroup();
  await writeFile(scriptFile, script);
  const isFolder = await stat(cwd).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isFolder) {
    return {
      status: 'failure',
      error: `An error occurred trying to start process '${command.command}' with working directory '${cwd}'. No such file or directory`,
    };
  }
  const result = await runStepProcess({
    command: command.command,
    args: command.args,
    cwd,
    env: { ...runtime.env, ...runtime.commandFiles.env },
    onLine: runtime.output.onLine,
    timeoutMs: runtime.timeoutMs,
    signal: runtime.signal,
  });
  return finishProcessStep(runtime, result);
}

/** The `env:` block GitHub prints under a step's header: the env context (workflow, job, GITHUB_ENV, step). */
export function logEnv(runtime: StepRuntime): void {
  const env = runtime.scope.contexts.env as Record<string, string> | undefined;
  const entries = Object.entries(env ?? {});
  if (entries.length === 0) return;
  runtime.log.write('env:');
  for (const [key, value] of entries) runtime.log.write(`  ${key}: ${value}`);
}
