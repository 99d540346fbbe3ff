/**
 * actions/checkout: clones the workflow's repository into the workspace from the forge (the
 * emulator's git over HTTP with the job's token), at the event's commit or at `ref`, with
 * `fetch-depth` commits of history (0 = all), leaving the token in the clone's git config unless
 * `persist-credentials: false`. Other repositories, submodules, LFS and sparse checkouts are not
 * implemented and fail the step.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { StandIn } from './stand-in.ts';

const SHA = /^[0-9a-f]{40}$/;

function fullRef(ref: string): string {
  if (ref.startsWith('refs/')) return ref;
  return `refs/heads/${ref}`;
}

export const checkout: StandIn = {
  repository: 'actions/checkout',
  versions: {
    '3d3c42e5aac5ba805825da76410c181273ba90b1': 'v7.0.1',
  },
  inputs: {
    repository: '',
    ref: '',
    token: '',
    'persist-credentials': 'true',
    path: '',
    'fetch-depth': '1',
  },
  ignoredInputs: ['clean', 'show-progress', 'set-safe-directory', 'github-server-url', 'fetch-tags'],
  async run(s) {
    const wanted = s.inputs.repository || s.repository.fullName;
    if (wanted.toLowerCase() !== s.repository.fullName.toLowerCase()) {
      throw new Error(`the actions/checkout stand-in clones ${s.repository.fullName} only, not ${wanted}`);
    }
    const dir = path.resolve(s.workspace, s.inputs.path ?? '');
    if (dir !== s.workspace && !dir.startsWith(`${s.workspace}${path.sep}`)) {
      throw new Error(`Repository path '${s.inputs.path}' is not under '${s.workspace}'`);
    }
    const depth = Number(s.inputs['fetch-depth']);
    if (!Number.isInteger(depth) || depth < 0)
      throw new Error(`fetch-depth must be a whole number, got '${s.inputs['fetch-depth']}'`);
    let ref: string | undefined = s.event.ref;
    let sha = s.event.sha;
    if (s.inputs.ref) {
      await s.repository.refresh();
      if (SHA.test(s.inputs.ref)) {
        ref = undefined;
        sha = s.inputs.ref;
      } else {
        ref = s.inputs.ref.startsWith('refs/') ? s.inputs.ref : await branchOrTag(s.repository, s.inputs.ref);
        sha = await s.repository.resolve(ref);
      }
    }
    // A second checkout into the same folder starts clean, as `clean: true` does.
    for (const entry of await readdir(dir).catch(() => [] as string[]))
      await rm(path.join(dir, entry), { recursive: true, force: true });
    const token = s.inputs.token || s.jobToken;
    const persistCredentials = s.inputs['persist-credentials'] !== 'false';
    s.log.write(`Syncing repository: ${s.repository.fullName}`);
    s.log.write(
      `Fetching ${ref ?? sha} (${depth === 0 ? 'all history' : `depth ${depth}`}) from ${s.repository.cloneUrl}`,
    );
    await s.repository.clone({ dir, sha, ref, depth, token, persistCredentials });
    s.log.write(`Checked out ${sha}${persistCredentials ? '' : ' (credentials not persisted)'}`);
    return {};
  },
};

async function branchOrTag(repository: { resolve(ref: string): Promise<string> }, name: string): Promise<string> {
  for (const candidate of [`refs/heads/${name}`, `refs/tags/${name}`]) {
    if (
      await repository.resolve(candidate).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return fullRef(name);
}
