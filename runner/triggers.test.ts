/** Which workflows an event starts, by GitHub's rules (unit level: parsed workflows, made-up events). */
import { describe, expect, it } from 'vitest';
import type { EventFacts } from './events.ts';
import { triggeredWorkflows } from './triggers.ts';
import { loadWorkflow } from './workflow.ts';

async function workflow(on: string, name = 'w.yml') {
  return loadWorkflow({
    path: `.github/workflows/${name}`,
    content: `on:\n${on}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo`,
  });
}

function event(name: string, fields: Partial<EventFacts> = {}): EventFacts {
  return {
    name,
    payload: {},
    ref: 'refs/heads/main',
    sha: 'a'.repeat(40),
    headRef: '',
    baseRef: '',
    actor: 'u',
    ...fields,
  };
}

async function decision(on: string, facts: EventFacts) {
  const [result] = await triggeredWorkflows([await workflow(on)], facts);
  return result.runs ? 'runs' : result.reason;
}

describe('triggers', () => {
  it('runs tags only when tags are filtered, branches only when branches are', async () => {
    const tag = event('push', { ref: 'refs/tags/v1.2.0' });
    expect(await decision('  push:\n    branches: [main]', tag)).toBe(
      'only branches are filtered, so tags do not run it',
    );
    expect(await decision("  push:\n    tags: ['v*']", tag)).toBe('runs');
    expect(await decision("  push:\n    tags: ['v*']", event('push'))).toBe(
      'only tags are filtered, so branches do not run it',
    );
    expect(await decision('  push:', tag)).toBe('runs');
    expect(await decision("  push:\n    tags-ignore: ['v1.*']", tag)).toBe('tag v1.2.0 is filtered out');
  });

  it('evaluates paths only for branch pushes, and both filters must pass', async () => {
    const changed = async () => ['docs/a.md'];
    const on = "  push:\n    branches: [main]\n    paths: ['models/**']";
    expect(await decision(on, event('push', { changedFiles: changed }))).toBe(
      'no changed file passes the paths filter (1 changed)',
    );
    expect(await decision(on, event('push', { ref: 'refs/heads/dev', changedFiles: async () => ['models/a'] }))).toBe(
      'branch dev is filtered out',
    );
    expect(
      await decision("  push:\n    tags: ['v*']\n    paths: ['models/**']", event('push', { ref: 'refs/tags/v1' })),
    ).toBe('runs');
  });

  it('matches pull requests on their base branch and activity types (opened, synchronize, reopened by default)', async () => {
    const pr = (action: string, baseRef = 'main') =>
      event('pull_request', { action, baseRef, headRef: 'promote/v2', ref: 'refs/pull/3/merge' });
    expect(await decision('  pull_request:\n    branches: [main]', pr('synchronize'))).toBe('runs');
    expect(await decision('  pull_request:\n    branches: [main]', pr('opened', 'release'))).toBe(
      'branch release is filtered out',
    );
    expect(await decision('  pull_request:', pr('closed'))).toBe(
      'pull_request activity closed is not in types [opened, synchronize, reopened]',
    );
    expect(await decision('  pull_request:\n    types: [closed]', pr('closed'))).toBe('runs');
  });

  it('dispatches only the named workflow, and schedule ticks match the cron', async () => {
    expect(await decision('  workflow_dispatch:', event('workflow_dispatch', { payload: { workflow: 'w.yml' } }))).toBe(
      'runs',
    );
    expect(
      await decision(
        '  workflow_dispatch:',
        event('workflow_dispatch', { payload: { workflow: '.github/workflows/w.yml' } }),
      ),
    ).toBe('runs');
    expect(
      await decision('  workflow_dispatch:', event('workflow_dispatch', { payload: { workflow: 'other.yml' } })),
    ).toBe('dispatch is for other.yml');
    const on = "  schedule:\n    - cron: '0 3 * * 1'";
    expect(await decision(on, event('schedule', { payload: { schedule: '0 3 * * 1' } }))).toBe('runs');
    expect(await decision(on, event('schedule', { payload: {} }))).toBe('runs');
    expect(await decision(on, event('schedule', { payload: { schedule: '0 4 * * *' } }))).toBe(
      "no schedule with cron '0 4 * * *'",
    );
    expect(await decision(on, event('push'))).toBe('not triggered by push');
  });
});
