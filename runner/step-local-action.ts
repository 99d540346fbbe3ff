/**
 * `uses: ./path` steps: the action's `action.yml` is read from the workspace (so actions/checkout
 * must run first, as on GitHub), inputs are `with:` over the action's defaults and reach the
 * process as INPUT_<NAME> (upper-cased, spaces to `_`, hyphens kept — actions/runner's rule), and
 * `runs.main` runs from source with the runner's Node in the workspace; `runs.post` runs when the
 * job ends with the state the main step saved (STATE_<name>).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadActionMetadata, type ActionMetadata } from './action-metadata.ts';
import { TokenEvaluator } from './expressions.ts';
import type { StepOutcome, StepRuntime } from './job.ts';
import { finishProcessStep } from './step-finish.ts';
import { runStepProcess } from './step-process.ts';
import { StepCommandFiles } from './file-commands.ts';

/** actions/runner's INPUT_ name: spaces to underscores, upper case (hyphens stay). */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

async function readMetadata(dir: string, relative: string): Promise<ActionMetadata> {
  for (const file of ['action.yml', 'action.yaml']) {
    const content = await readFile(path.join(dir, file), 'utf8').catch(() => undefined);
    if (content !== undefined) return loadActionMetadata({ path: `${relative}/${file}`, content });
  }
  throw new Error(
    `Can't find 'action.yml', 'action.yaml' or 'Dockerfile' under '${dir}'. Did you forget to run actions/checkout before running your local action?`,
  );
}

export function actionInputs(
  metadata: ActionMetadata,
  given: Record<string, string>,
  runtime: StepRuntime,
): { inputs: Record<string, string>; unexpected: string[] } {
  const byLowerName = new Map(Object.entries(given).map(([k, v]) => [k.toLowerCase(), v]));
  const defaults = new TokenEvaluator(metadata.path);
  const inputs: Record<string, string> = {};
  for (const input of metadata.inputs) {
    const value = byLowerName.get(input.id.toLowerCase());
    inputs[input.id] = value ?? (input.default ? defaults.string(input.default, runtime.scope) : '');
  }
  const known = new Set(metadata.inputs.map((i) => i.id.toLowerCase()));
  const unexpected = Object.keys(given).filter((k) => !known.has(k.toLowerCase()));
  return { inputs, unexpected };
}

export async function runLocalAction(
  runtime: StepRuntime,
  actionPath: string,
  given: Record<string, string>,
): Promise<StepOutcome> {
  const { log, folders } = runtime;
  const relative = actionPath.replace(/^\.\//, '');
  const dir = path.resolve(folders.workspace, relative);
  if (Object.keys(given).length) {
    log.write('with:');
    for (const [key, value] of Object.entries(given)) log.write(`  ${key}: ${value}`);
  }
  log.endGroup();
  const metadata = await readMetadata(dir, relative);
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24)
    throw new Error(`${metadata.path}: node24 actions need Node 24 or later; the runner runs on ${process.version}`);
  const { inputs, unexpected } = actionInputs(metadata, given, runtime);
  if (unexpected.length) {
    log.marker(
      'warning',
      `Unexpected input(s) '${unexpected.join("', '")}', valid inputs are ['${metadata.inputs.map((i) => i.id).join("', '")}']`,
    );
  }
  const env: Record<string, string> = {
    ...runtime.env,
    GITHUB_ACTION_PATH: dir,
    GITHUB_ACTION_REPOSITORY: '',
    GITHUB_ACTION_REF: '',
  };
  for (const [name, value] of Object.entries(inputs)) env[inputVariable(name)] = value;
  const result = await runStepProcess({
    command: runtime.nodePath,
    args: [path.join(dir, metadata.main)],
    cwd: folders.workspace,
    env: { ...env, ...runtime.commandFiles.env },
    onLine: runtime.output.onLine,
    timeoutMs: runtime.timeoutMs,
    signal: runtime.signal,
  });
  if (metadata.post) {
    const post = metadata.post;
    runtime.atJobEnd(async () => {
      log.group(`Post ${metadata.name}`);
      log.endGroup();
      const state = Object.fromEntries(Object.entries(runtime.savedState).map(([k, v]) => [`STATE_${k}`, v]));
      const files = await StepCommandFiles.create(folders.temp);
      const postResult = await runStepProcess({
        command: runtime.nodePath,
        args: [path.join(dir, post)],
        cwd: folders.workspace,
        env: { ...env, ...state, ...files.env },
        onLine: runtime.output.onLine,
        signal: runtime.signal,
      });
      const outcome = finishProcessStep(runtime, postResult);
      if (outcome.status !== 'success') throw new Error(`Post ${metadata.name}: ${outcome.error ?? outcome.status}`);
    });
  }
  return finishProcessStep(runtime, result);
}
