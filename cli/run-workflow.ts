/**
 * npm run workflow -- --event <name> [options]
 * Runs the workflows of a git repository (default: this one) that an event triggers, on this
 * machine, with the local runner: the committed `.github/workflows/*.yml` at the event's commit.
 * Runs are recorded as files (default runs/actions/), or in a GitHub emulator started for the run
 * (--emulator <dir>), which `npm run emulator -- --repo <dir>` serves afterwards.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseEnvFile } from '../runner/commands.ts';
import {
  pullRequestEvent,
  pushEvent,
  scheduleEvent,
  workflowDispatchEvent,
  type EventContext,
  type PullRequestAction,
} from '../runner/events.ts';
import { fileRunRecorder } from '../runner/file-recorder.ts';
import { gitRepository } from '../runner/git-repository.ts';
import type { RepositorySource, RunRecorder, TokenIssuer, WorkflowEvent } from '../runner/ports.ts';
import { createRunner, NO_FORGE_URLS, type HandledEvent } from '../runner/runner.ts';
import type { ServerUrls } from '../runner/contexts.ts';
import { WorkflowFileError } from '../runner/workflow.ts';
import { exitWithError, numberFlag, UsageError } from './cli-support.ts';

const USAGE = `usage: npm run workflow -- --event <push|pull_request|workflow_dispatch|schedule> [options]

events
  --event push                 --ref <branch or tag> (default: the default branch) [--before <sha>]
  --event pull_request         --head <branch> [--base <branch>] [--action opened] [--number 1]
  --event workflow_dispatch    --workflow <file, e.g. train.yml> [--ref <branch>] [--input name=value …]
  --event schedule             [--cron '<the workflow's cron>'] (default: every scheduled workflow)

options
  --repo <path>                the git repository (default: .); workflows are read from its commits
  --name <owner/name>          GITHUB_REPOSITORY (default: local/<folder name>)
  --secret NAME[=value]        a secret (the value of $NAME when no value is given); repeatable
  --secrets-file <file>        secrets as NAME=value lines (GITHUB_ENV format, heredocs allowed)
  --var NAME=value             a configuration variable (vars.NAME); repeatable
  --runs <dir>                 where runs are recorded (default: runs/actions)
  --emulator <dir>             run against a GitHub emulator on that bare repository (seeded from --repo
                               when new; --ref/--head must then be branches of the emulated repository)
  --permissions <restricted|permissive>   the repository default for workflows without permissions:
  --keep                       keep each job's workspace after the run
  --quiet                      no live log, only the summary
`;

function pairs(values: string[] | undefined, flag: string, fromEnv: boolean): Record<string, string> {
  const result: Record<string, string> = {};
  for (const item of values ?? []) {
    const eq = item.indexOf('=');
    if (eq > 0) result[item.slice(0, eq)] = item.slice(eq + 1);
    else if (fromEnv && process.env[item] !== undefined) result[item] = process.env[item] as string;
    else
      throw new UsageError(`--${flag} ${item}: expected NAME=value${fromEnv ? ' or the name of a set variable' : ''}`);
  }
  return result;
}

async function buildEvent(values: Record<string, unknown>, context: EventContext): Promise<WorkflowEvent> {
  const text = (name: string) => values[name] as string | undefined;
  switch (text('event')) {
    case 'push':
      return pushEvent(context, { ref: text('ref') ?? context.repository.defaultBranch, before: text('before') });
    case 'pull_request': {
      const head = text('head');
      if (!head) throw new UsageError('--event pull_request needs --head <branch>');
      return pullRequestEvent(context, {
        action: (text('action') ?? 'opened') as PullRequestAction,
        number: numberFlag('number', text('number') ?? '1', { integer: true, min: 1 }),
        head,
        base: text('base'),
      });
    }
    case 'workflow_dispatch': {
      const workflow = text('workflow');
      if (!workflow) throw new UsageError('--event workflow_dispatch needs --workflow <file>');
      return workflowDispatchEvent(context, {
        workflow,
        ref: text('ref'),
        inputs: pairs(values.input as string[] | undefined, 'input', false),
      });
    }
    case 'schedule':
      return scheduleEvent(context, { cron: text('cron') });
    default:
      throw new UsageError(
        `--event must be push, pull_request, workflow_dispatch or schedule, got ${JSON.stringify(text('event'))}`,
      );
  }
}

function report(handled: HandledEvent, where: string): number {
  for (const { workflow, reason } of handled.notTriggered) process.stdout.write(`not run: ${workflow}: ${reason}\n`);
  if (handled.ignored) process.stdout.write(`${handled.ignored}\n`);
  if (handled.runs.length === 0) process.stdout.write('no workflow ran for this event\n');
  for (const run of handled.runs) {
    const jobs = Object.entries(run.jobs)
      .map(([job, result]) => `${job} ${result.conclusion}`)
      .join(', ');
    process.stdout.write(`run ${run.id} ${run.workflow}: ${run.conclusion} (${jobs}) ${run.htmlUrl}\n`);
  }
  process.stdout.write(`recorded in ${where}\n`);
  return handled.runs.every((run) => run.conclusion === 'success') ? 0 : 1;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      event: { type: 'string' },
      ref: { type: 'string' },
      before: { type: 'string' },
      head: { type: 'string' },
      base: { type: 'string' },
      action: { type: 'string' },
      number: { type: 'string' },
      workflow: { type: 'string' },
      input: { type: 'string', multiple: true },
      cron: { type: 'string' },
      repo: { type: 'string', default: '.' },
      name: { type: 'string' },
      secret: { type: 'string', multiple: true },
      'secrets-file': { type: 'string' },
      var: { type: 'string', multiple: true },
      runs: { type: 'string', default: 'runs/actions' },
      emulator: { type: 'string' },
      permissions: { type: 'string', default: 'restricted' },
      keep: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (!values.event) throw new UsageError('--event is required');
  if (values.permissions !== 'restricted' && values.permissions !== 'permissive') {
    throw new UsageError(`--permissions must be restricted or permissive, got ${values.permissions}`);
  }
  const secrets = {
    ...(values['secrets-file'] ? Object.fromEntries(parseEnvFile(await readFile(values['secrets-file'], 'utf8'))) : {}),
    ...pairs(values.secret, 'secret', true),
  };
  const fullName = values.name ?? `local/${path.basename(path.resolve(values.repo))}`;
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'taxiway-workflow-'));

  let repository: RepositorySource;
  let recorder: RunRecorder;
  let tokens: TokenIssuer | undefined;
  let urls: ServerUrls = NO_FORGE_URLS;
  let where: string;
  let close = async () => {};
  if (values.emulator) {
    const [owner, name] = fullName.split('/');
    // Loaded only when asked for: the emulator brings the HTTP server and GitHub's OpenAPI subset.
    const [{ startEmulator }, { emulatorPorts }] = await Promise.all([
      import('../emulator/index.ts'),
      import('../runner/emulator-ports.ts'),
    ]);
    const emulator = await startEmulator({
      repositories: [{ owner, name, path: path.resolve(values.emulator), seedFrom: path.resolve(values.repo) }],
    });
    const ports = await emulatorPorts(emulator, fullName, { cacheDir: path.join(scratch, 'mirror') });
    ({ repository, recorder, tokens, urls } = ports);
    where = `the emulator's repository ${values.emulator} (serve it with: npm run emulator -- --repo ${values.emulator})`;
    close = () => emulator.close();
  } else {
    repository = await gitRepository({ url: values.repo, fullName, cacheDir: path.join(scratch, 'mirror') });
    recorder = await fileRunRecorder(path.resolve(values.runs));
    where = path.resolve(values.runs);
  }
  const runner = await createRunner({
    repository,
    recorder,
    tokens,
    urls,
    secrets,
    vars: pairs(values.var, 'var', false),
    defaultPermissions: values.permissions,
    workRoot: path.join(scratch, 'work'),
    keepWorkspaces: values.keep,
    live: values.quiet
      ? undefined
      : (line, source) => process.stdout.write(`${source.job} | ${line.replace(/^\d{4}-\d\d-\d\dT(\S+)Z /, '$1 ')}\n`),
  });
  try {
    const event = await buildEvent(values, { repository, serverUrl: urls.serverUrl });
    const handled = await runner.handle(event);
    process.exitCode = report(handled, where);
    if (values.keep) process.stdout.write(`job workspaces kept in ${path.join(scratch, 'work')}\n`);
  } finally {
    await close();
  }
}

main().catch((error: unknown) => {
  if (error instanceof WorkflowFileError) {
    process.stderr.write(`${error.problems.join('\n')}\n`);
    process.exit(2);
  }
  exitWithError(error, USAGE);
});
