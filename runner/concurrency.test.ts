import { describe, expect, it } from 'vitest';
import { ConcurrencyGroups } from './concurrency.ts';

describe('concurrency groups', () => {
  it('keeps one running and one pending; a newcomer replaces the pending one', async () => {
    const groups = new ConcurrencyGroups();
    const cancelled: string[] = [];
    const first = await groups.enter('g', { cancelInProgress: false, cancel: () => cancelled.push('first') });
    const second = groups.enter('g', { cancelInProgress: false, cancel: () => cancelled.push('second') });
    const third = groups.enter('g', { cancelInProgress: false, cancel: () => cancelled.push('third') });
    expect((await second).admitted).toBe(false);
    first.release();
    const admitted = await third;
    expect(admitted.admitted).toBe(true);
    expect(cancelled).toEqual([]);
    admitted.release();
    const fourth = await groups.enter('g', { cancelInProgress: false, cancel: () => undefined });
    expect(fourth.admitted).toBe(true);
  });

  it('cancels the run in progress when the newcomer says cancel-in-progress', async () => {
    const groups = new ConcurrencyGroups();
    const cancelled: string[] = [];
    const first = await groups.enter('g', { cancelInProgress: false, cancel: () => cancelled.push('first') });
    const second = groups.enter('g', { cancelInProgress: true, cancel: () => cancelled.push('second') });
    expect(cancelled).toEqual(['first']);
    first.release();
    expect((await second).admitted).toBe(true);
  });

  it('does not hold back other groups', async () => {
    const groups = new ConcurrencyGroups();
    await groups.enter('a', { cancelInProgress: false, cancel: () => undefined });
    expect((await groups.enter('b', { cancelInProgress: false, cancel: () => undefined })).admitted).toBe(true);
  });
});
