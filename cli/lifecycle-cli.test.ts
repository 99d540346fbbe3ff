import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempRepo, writeCandidate, type TempRepo } from '../testing/registry.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function cli(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(ROOT, 'cli', script), ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let repo: TempRepo;
let work: string;
beforeAll(async () => {
  repo = await tempRepo('taxiway-cli-');
  work = await mkdtemp(path.join(tmpdir(), 'taxiway-cli-work-'));
});
afterAll(async () => {
  await repo.cleanup();
  await rm(work, { recursive: true, force: true });
});

describe('lifecycle CLIs', () => {
  it('print usage errors that name the flag, with exit status 2', async () => {
    const gate = await cli('gate.ts', []);
    expect(gate.code).toBe(2);
    expect(gate.stderr).toContain('error: --candidate <dir> is required');
    expect(gate.stderr).toContain('usage: npm run gate -- --candidate <dir>');
    const unknown = await cli('promote.ts', ['--candidate', 'x', '--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/error: Unknown option '--frobnicate'[^]*usage: npm run promote/);
    const history = await cli('status.ts', ['--history', 'lots']);
    expect(history).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--history must be a number, got "lots"'),
    });
    const reproduce = await cli('verify-reproduce.ts', []);
    expect(reproduce).toMatchObject({ code: 2, stderr: expect.stringContaining('--version <version> is required') });
  });

  it('report missing inputs as errors (exit 2), not as a failing gate', async () => {
    const gate = await cli('gate.ts', [
      '--candidate',
      path.join(work, 'nope'),
      '--repo',
      repo.dir,
      '--policy',
      path.join(ROOT, 'gates/policy.json'),
    ]);
    expect(gate.code).toBe(2);
    expect(gate.stderr).toContain(`error: candidate ${path.join(work, 'nope', 'model.onnx')} does not exist`);
  });

  it('promote, list, status and roll back on a repository', async () => {
    const v1 = await writeCandidate(path.join(work, 'v1'), { seed: 'one', asOf: '2001-04-01' });
    const v2 = await writeCandidate(path.join(work, 'v2'), {
      seed: 'two',
      asOf: '2001-05-01',
      champion: { version: v1.card.version, sha256: v1.card.artifact.sha256 },
    });
    expect((await cli('status.ts', ['--repo', repo.dir])).stdout).toContain('champion:   none (nothing promoted yet)');
    expect((await cli('registry.ts', ['--repo', repo.dir])).stdout).toBe(
      'no model versions in models/flight-delay/ yet\n',
    );
    const first = await cli('promote.ts', ['--candidate', v1.dir, '--repo', repo.dir]);
    expect(first).toMatchObject({ code: 0, stdout: expect.stringContaining(`promoted ${v1.card.version}`) });
    const second = await cli('promote.ts', [
      '--candidate',
      v2.dir,
      '--repo',
      repo.dir,
      '--run-id',
      '9',
      '--run-url',
      'https://github.com/acme/taxiway/actions/runs/9',
    ]);
    expect(second.stdout).toContain(`  previous: ${v1.card.version}`);
    const listing = await cli('registry.ts', ['--repo', repo.dir]);
    expect(listing.stdout.split('\n')[0]).toMatch(/^VERSION\s+STATUS\s+TRAINED AT\s+RUN/);
    expect(listing.stdout).toMatch(new RegExp(`${v2.card.version}\\s+champion`));
    expect(listing.stdout).toMatch(new RegExp(`${v1.card.version}\\s+previous`));
    expect(await cli('registry.ts', ['--repo', repo.dir, '--check'])).toMatchObject({ code: 0 });
    const status = await cli('status.ts', ['--repo', repo.dir, '--json']);
    expect(JSON.parse(status.stdout).champion.version).toBe(v2.card.version);
    const rolled = await cli('rollback.ts', ['--repo', repo.dir]);
    expect(rolled).toMatchObject({ code: 0, stdout: expect.stringContaining(`champion is ${v1.card.version} again`) });
    const again = await cli('rollback.ts', ['--repo', repo.dir]);
    expect(again).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('there is no previous version to return to'),
    });
  });
});
