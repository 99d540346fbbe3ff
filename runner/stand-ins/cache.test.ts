/** The actions/cache stand-in on a sample workflow: miss and save, exact hit, restore-keys, no save on failure. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowRepo, type WorkflowRepo } from '../../testing/workflow-repo.ts';
import { workflowDispatchEvent } from '../events.ts';

describe('actions/cache stand-in', () => {
  let repo: WorkflowRepo;
  const context = () => ({ repository: repo.repository, serverUrl: 'http://127.0.0.1:9' });
  const dispatch = async (inputs: Record<string, string> = {}) => {
    const handled = await repo.runner.handle(workflowDispatchEvent(context(), { workflow: 'cache.yml', inputs }));
    const run = handled.runs[0];
    const log = await repo.recorder.readLog(run.id, 'build');
    return { conclusion: run.conclusion, log };
  };

  beforeAll(async () => {
    repo = await workflowRepo({ workflows: ['cache.yml'], files: { 'lock.txt': 'v1\n' } });
  });
  afterAll(async () => repo?.cleanup());

  it('misses, builds and saves; then restores the exact key as a hit', async () => {
    const first = await dispatch();
    expect(first.conclusion).toBe('success');
    expect(first.log).toMatch(/Cache not found for input keys: deps-Linux-[0-9a-f]{64}/);
    expect(first.log).toContain('cache-hit=false; built from v1');
    expect(first.log).toMatch(/Cache saved with key: deps-Linux-/);

    const second = await dispatch();
    expect(second.log).toMatch(/Cache restored from key: deps-Linux-/);
    expect(second.log).toContain('cache-hit=true; built from v1');
    expect(second.log).not.toContain('Cache saved');
  });

  it('restores the newest entry matching a restore key without calling it a hit, and saves the new key', async () => {
    await repo.commit({ 'lock.txt': 'v2\n' });
    const run = await dispatch();
    expect(run.log).toMatch(/Cache restored from key: deps-Linux-/);
    expect(run.log).toContain('cache-hit=false; built from v2');
    expect(run.log).toMatch(/Cache saved with key: deps-Linux-/);
  });

  it('saves nothing when the job fails', async () => {
    await repo.commit({ 'lock.txt': 'v3\n' });
    const failed = await dispatch({ fail: 'true' });
    expect(failed.conclusion).toBe('failure');
    expect(failed.log).toMatch(/Not saving cache for key deps-Linux-.*: the job did not succeed/);
    const next = await dispatch();
    expect(next.log).toContain('cache-hit=false; built from v3');
  });
});
