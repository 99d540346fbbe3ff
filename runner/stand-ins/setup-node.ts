/**
 * actions/setup-node: the local runner has one Node (its own, 24), so this checks that it satisfies
 * `node-version` (or the version in `node-version-file`: `.nvmrc`/`.node-version`, or package.json's
 * `volta.node`, `devEngines.runtime.version` or `engines.node`), puts it first on PATH for later
 * steps and outputs its version. Caching is not done (the machine's npm cache is used as it is).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import type { StandIn } from './stand-in.ts';

async function versionFromFile(workspace: string, file: string): Promise<string> {
  const text = await readFile(path.resolve(workspace, file), 'utf8').catch(() => {
    throw new Error(`The specified node version file at: ${path.resolve(workspace, file)} does not exist`);
  });
  if (path.basename(file) !== 'package.json') return text.trim().split('\n')[0].trim();
  const manifest = JSON.parse(text) as {
    volta?: { node?: string };
    devEngines?: { runtime?: { version?: string } };
    engines?: { node?: string };
  };
  const spec = manifest.volta?.node ?? manifest.devEngines?.runtime?.version ?? manifest.engines?.node;
  if (!spec) throw new Error(`${file} names no Node version (volta.node, devEngines.runtime.version or engines.node)`);
  return spec;
}

export const setupNode: StandIn = {
  repository: 'actions/setup-node',
  versions: {
    '820762786026740c76f36085b0efc47a31fe5020': 'v7.0.0',
  },
  inputs: {
    'node-version': '',
    'node-version-file': '',
    cache: '',
    'cache-dependency-path': '',
    'package-manager-cache': 'true',
  },
  ignoredInputs: ['check-latest', 'architecture', 'token'],
  async run(s) {
    const spec =
      s.inputs['node-version'] ||
      (s.inputs['node-version-file'] ? await versionFromFile(s.workspace, s.inputs['node-version-file']) : '');
    const actual = process.versions.node;
    if (spec) {
      const range = semver.validRange(spec.replace(/^v/, ''));
      if (!range)
        throw new Error(
          `node-version '${spec}' is not a version or range the local runner can check (aliases such as lts/* need a download)`,
        );
      if (!semver.satisfies(actual, range)) {
        throw new Error(
          `node-version '${spec}' is not satisfied by the runner's Node ${actual}; the local runner provides only its own Node`,
        );
      }
    }
    s.addPath(path.dirname(s.nodePath));
    s.log.write(
      `Using the runner's Node v${actual}${spec ? ` (satisfies '${spec}')` : ''} from ${path.dirname(s.nodePath)}`,
    );
    if (s.inputs.cache)
      s.log.write(
        `cache '${s.inputs.cache}': not restored by the local runner (the machine's own package cache is used)`,
      );
    return { outputs: { 'node-version': `v${actual}`, 'cache-hit': 'false' } };
  },
};
