import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { seedRepository } from '../testing/emulator.ts';

describe('npm run emulator', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'emulator-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves a seeded, protected repository until SIGTERM', async () => {
    const seed = seedRepository(path.join(dir, 'seed'), { 'README.md': '# x\n' });
    const child = spawn(
      process.execPath,
      [
        'cli/emulator.ts',
        '--repo',
        path.join(dir, 'repo.git'),
        '--seed',
        seed,
        '--name',
        'acme/models',
        '--protect',
        'main:model-gate',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const line = await new Promise<string>((resolve) =>
      createInterface({ input: child.stdout! }).once('line', resolve),
    );
    const info = JSON.parse(line) as { url: string; token: string; cloneUrl: string };
    expect(info.cloneUrl).toBe(`${info.url}/acme/models.git`);
    const headers = { authorization: `token ${info.token}` };
    const repo = await fetch(`${info.url}/repos/acme/models`, { headers });
    expect(await repo.json()).toMatchObject({ full_name: 'acme/models', default_branch: 'main', private: true });
    const protection = await fetch(`${info.url}/repos/acme/models/branches/main/protection`, { headers });
    expect(await protection.json()).toMatchObject({ required_status_checks: { contexts: ['model-gate'] } });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
