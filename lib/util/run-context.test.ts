import { describe, expect, it } from 'vitest';
import { actionsRun } from './run-context.ts';

describe('actionsRun', () => {
  it('links the GitHub Actions run from its environment', () => {
    const run = actionsRun({
      GITHUB_ACTIONS: 'true',
      GITHUB_RUN_ID: '42',
      GITHUB_SERVER_URL: 'https://github.example.com',
      GITHUB_REPOSITORY: 'acme/taxiway',
      GITHUB_RUN_ATTEMPT: '2',
      GITHUB_WORKFLOW: 'train',
      GITHUB_EVENT_NAME: 'schedule',
    });
    expect(run).toEqual({
      id: '42',
      url: 'https://github.example.com/acme/taxiway/actions/runs/42',
      attempt: '2',
      workflow: 'train',
      trigger: 'schedule',
    });
  });

  it('is undefined outside Actions', () => {
    expect(actionsRun({ GITHUB_RUN_ID: '42' })).toBeUndefined();
  });
});
