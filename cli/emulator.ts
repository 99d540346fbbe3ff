/**
 * Starts the GitHub emulator on one repository and serves until interrupted.
 *
 *   npm run emulator -- --port 8090 --repo .cache/emulator/taxiway.git --seed . --protect main:model-gate
 *
 * Prints one JSON line with the URLs and the admin token (point GITHUB_API_URL / GITHUB_SERVER_URL
 * at `url`, clone `cloneUrl` with the token as password). See emulator/README.md.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type ProtectionInput, startEmulator } from '../emulator/index.ts';
import { UsageError, exitWithError, numberFlag } from './cli-support.ts';

const USAGE = `usage: npm run emulator -- --repo <bare repository dir> [options]
  --repo <dir>              bare repository served (created when missing; state kept inside it)
  --name <owner/name>       repository name on the emulator (default taxiway/<dir name without .git>)
  --seed <git repo>         fill a new bare repository from this repository's default branch
  --default-branch <name>   default branch (default main)
  --protect <branch:ctx,…>  protect a branch, requiring these status contexts (e.g. main:model-gate); repeatable
  --public                  anonymous reads allowed (default: private, like a company fork)
  --port <n>                port (default 0: any free port); --host <addr> (default 127.0.0.1)
  --token <t>               the administrator's token (default: a random ghp_ token, printed)
`;

function protection(raw: string): ProtectionInput {
  const [branch, contexts] = raw.split(':', 2) as [string, string | undefined];
  if (!branch) throw new UsageError(`--protect must be branch[:context,…], got ${JSON.stringify(raw)}`);
  return { branch, requiredChecks: contexts ? contexts.split(',').filter(Boolean) : [] };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      repo: { type: 'string' },
      name: { type: 'string' },
      seed: { type: 'string' },
      'default-branch': { type: 'string' },
      protect: { type: 'string', multiple: true },
      public: { type: 'boolean' },
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (!values.repo) throw new UsageError('--repo is required');
  const repoPath = path.resolve(values.repo);
  const fullName = values.name ?? `taxiway/${path.basename(repoPath).replace(/\.git$/, '')}`;
  const [owner, name] = fullName.split('/');
  if (!owner || !name || fullName.split('/').length !== 2)
    throw new UsageError(`--name must be owner/name, got ${fullName}`);
  const protections = (values.protect ?? []).map(protection);
  const emulator = await startEmulator({
    host: values.host,
    port: values.port === undefined ? 0 : numberFlag('port', values.port, { integer: true, min: 0, max: 65535 }),
    token: values.token,
    repositories: [
      {
        owner,
        name,
        path: repoPath,
        seedFrom: values.seed ? path.resolve(values.seed) : undefined,
        defaultBranch: values['default-branch'],
        private: !values.public,
        protection: protections[0],
      },
    ],
  });
  for (const extra of protections.slice(1)) await emulator.protectBranch(fullName, extra);
  const repository = emulator.repository(fullName);
  process.stdout.write(
    `${JSON.stringify({ url: emulator.url, apiUrl: emulator.apiUrl, token: emulator.adminToken, repository: fullName, cloneUrl: repository.cloneUrl, path: repository.path })}\n`,
  );
  const stop = () => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => exitWithError(error, USAGE));
