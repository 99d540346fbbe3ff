/**
 * A bare repository for the monitor's tests: this repository's committed HEAD (its real promotion
 * history and artifacts), plus a minimal train.yml when HEAD has none yet, since a retrain dispatch
 * needs a workflow file to name.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { git, seedBareRepository } from '../lib/demo/workspace.ts';

const TRAIN_YML = `name: train
on:
  workflow_dispatch:
    inputs:
      reason:
        required: false
jobs:
  train:
    runs-on: ubuntu-latest
    steps:
      - run: echo train
`;

export async function monitorBareRepository(repoRoot: string, scratch: string): Promise<string> {
  const bare = path.join(scratch, 'flight-delay.git');
  const head = await seedBareRepository(repoRoot, bare);
  if ((await git(repoRoot, ['ls-tree', '--name-only', head, '.github/workflows/train.yml'])) !== '') return bare;
  const seed = path.join(scratch, 'seed');
  await git(scratch, ['clone', '--quiet', bare, seed]);
  await mkdir(path.join(seed, '.github/workflows'), { recursive: true });
  await writeFile(path.join(seed, '.github/workflows/train.yml'), TRAIN_YML);
  await git(seed, ['add', '-A']);
  const identity = ['-c', 'user.name=Taxiway Test', '-c', 'user.email=monitor-test@example.com'];
  await git(seed, [...identity, 'commit', '--quiet', '-m', 'train.yml for the retrain dispatch']);
  await git(seed, ['push', '--quiet', 'origin', 'HEAD:main']);
  return bare;
}
