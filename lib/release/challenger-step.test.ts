import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempRepo, writeCandidate, type TempRepo } from '../../testing/registry.ts';
import type { ManifestEntry, ProductionManifest } from '../manifest/schema.ts';
import { MANIFEST_PATH } from '../manifest/store.ts';
import { validateManifest } from '../manifest/validate.ts';
import { promotionCommitOf } from '../gitops/rollback-push.ts';
import { parseReleaseStep, parseShare, releaseStep, stepManifest } from './challenger-step.ts';
import { manifestHistory } from './manifest-history.ts';
import { promote } from './promote.ts';
import { rollback } from './rollback.ts';
import { parseTrailers } from './trailers.ts';

const entry = (version: string): ManifestEntry => ({
  version,
  path: `models/flight-delay/${version}/model.onnx`,
  sha256: version.slice(-1).repeat(64),
});
const NOW = new Date('2001-05-08T10:00:00.000Z');
const base: ProductionManifest = {
  schemaVersion: 1,
  model: 'flight-delay',
  champion: entry('v-1'),
  previous: entry('v-0'),
  challenger: null,
  reason: 'promote v-1 over v-0',
  updatedAt: '2001-05-01T00:00:00Z',
};
const shadow = { ...base, challenger: { ...entry('v-2'), mode: 'shadow' as const, traffic: 0 } };
const canary = { ...base, challenger: { ...entry('v-2'), mode: 'canary' as const, traffic: 0.1 } };

describe('stepManifest: champion → shadow → canary → champion', () => {
  it('takes each step, keeping every other field, and the result is a valid manifest', () => {
    const s = stepManifest(base, { step: 'shadow', version: 'v-2' }, entry('v-2'), NOW);
    expect(s).toEqual({ ...shadow, reason: 'shadow v-2 next to v-1', updatedAt: '2001-05-08T10:00:00Z' });
    const c = stepManifest(s, { step: 'canary', version: 'v-2', share: 0.1 }, entry('v-2'), NOW);
    expect(c.challenger).toEqual(canary.challenger);
    expect(c.champion).toEqual(base.champion);
    const wider = stepManifest(
      c,
      { step: 'canary', version: 'v-2', share: 0.5, reason: 'bars passed' },
      entry('v-2'),
      NOW,
    );
    expect(wider.challenger?.traffic).toBe(0.5);
    expect(wider.reason).toBe('canary v-2 at 50% next to v-1 (bars passed)');
    const p = stepManifest(wider, { step: 'champion', version: 'v-2' }, entry('v-2'), NOW);
    expect(p).toMatchObject({ champion: entry('v-2'), previous: entry('v-1'), challenger: null });
    expect(p.reason).toBe('promote v-2 over v-1 after canary at 50%');
    for (const m of [s, c, wider, p]) expect(() => validateManifest(m)).not.toThrow();
  });

  it('steps a canary back to shadow (no traffic), keeping the challenger', () => {
    const back = stepManifest(canary, { step: 'shadow', version: 'v-2' }, entry('v-2'), NOW);
    expect(back.challenger).toEqual(shadow.challenger);
    expect(back.reason).toBe('step back v-2 next to v-1');
  });

  it.each([
    [null, 'shadow', 'v-2', undefined, /has no champion yet; the first model is promoted directly/],
    [base, 'shadow', 'v-1', undefined, /refusing step shadow for v-1: it is already the champion/],
    [base, 'canary', 'v-2', 0.1, /refusing step canary for v-2: it is not the challenger; put it in shadow first/],
    [base, 'champion', 'v-2', undefined, /it is not the challenger; put it in shadow first \(step shadow\)/],
    [shadow, 'champion', 'v-2', undefined, /it is in shadow and has answered no traffic; go through a canary first/],
    [shadow, 'shadow', 'v-2', undefined, /it is already in shadow; the next step is canary/],
    [shadow, 'canary', 'v-2', undefined, /the canary share must be above 0 and below 1, got undefined/],
    [shadow, 'canary', 'v-2', 1, /got 1; 100% is the champion step/],
    [canary, 'canary', 'v-2', 0.1, /it is already at 10%/],
    [shadow, 'shadow', 'v-3', undefined, /the challenger is v-2 \(shadow\); one challenger at a time/],
    [canary, 'canary', 'v-3', 0.2, /the challenger is v-2 \(canary at 10%\); one challenger at a time/],
    [canary, 'champion', 'v-2', 0.3, /a share of traffic belongs to the canary step only/],
  ] as const)('refuses an invalid transition (%#) with a clear error', (current, step, version, share, error) => {
    expect(() => stepManifest(current, { step, version, share }, entry(version), NOW)).toThrow(error);
  });

  it('parses steps and shares', () => {
    expect(parseReleaseStep('canary')).toBe('canary');
    expect(() => parseReleaseStep('beta')).toThrow('step must be one of shadow, canary, champion, got "beta"');
    expect([parseShare('0.1'), parseShare('10%'), parseShare('25')]).toEqual([0.1, 0.1, 0.25]);
    for (const bad of ['0', '100%', '', 'x', '-5'])
      expect(() => parseShare(bad)).toThrow(/canary share must be above 0 and below 100%/);
  });
});

describe('releaseStep on a git repository', () => {
  let repo: TempRepo;
  let work: string;
  beforeEach(async () => {
    repo = await tempRepo();
    work = await mkdtemp(path.join(tmpdir(), 'taxiway-steps-'));
  });
  afterEach(async () => {
    await repo.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  /** v1 champion on main; v2 gated against it, committed on promote/<v2> as the promote action leaves it. */
  async function setup() {
    const v1 = await writeCandidate(path.join(work, 'v1'), { seed: 'one', asOf: '2001-04-01' });
    await promote({ repoDir: repo.dir, candidateDir: v1.dir, branch: false });
    const v2 = await writeCandidate(path.join(work, 'v2'), {
      seed: 'two',
      champion: { version: v1.card.version, sha256: v1.card.artifact.sha256 },
    });
    await promote({ repoDir: repo.dir, candidateDir: v2.dir });
    await repo.git.checkout('main');
    return { v1: v1.card.version, v2: v2.card.version };
  }

  it('goes shadow → canary → champion in three commits; an alert during canary reverts the canary step', async () => {
    const { v1, v2 } = await setup();
    const candidateRef = `promote/${v2}`;
    const s = await releaseStep({ repoDir: repo.dir, step: 'shadow', version: v2, candidateRef, reason: 'weekly' });
    expect(s.addedToRegistry).toBe(true);
    expect(s.manifest.challenger).toMatchObject({ version: v2, mode: 'shadow', traffic: 0 });
    const shadowMessage = await repo.git.raw(['log', '-1', '--format=%B']);
    expect(shadowMessage.split('\n')[0]).toBe(`release flight-delay ${v2}: shadow`);
    expect(parseTrailers(shadowMessage)).toEqual({
      'Model-Version': v2,
      'Release-Step': 'shadow',
      'Challenger-Traffic': '0',
      'Champion-Version': v1,
    });
    const c = await releaseStep({ repoDir: repo.dir, step: 'canary', version: v2, share: 0.1 });
    expect(c.manifest.challenger).toMatchObject({ mode: 'canary', traffic: 0.1 });
    expect((await manifestHistory(repo.git)).slice(0, 2).map((h) => h.kind)).toEqual(['release-step', 'release-step']);
    // What the rollback workflow reverts when given the version: its canary step.
    expect(await promotionCommitOf(repo.dir, v2)).toBe(c.commit);

    // The alert: the rollback (the same git revert the rollback workflow makes) undoes the canary.
    const alert = await rollback({ repoDir: repo.dir, reason: 'TaxiwayOnlineRecallLow fired during canary' });
    expect(alert.reverted).toBe(c.commit);
    expect(alert.restoredChampion).toBe(v1);
    expect(alert.manifest.challenger).toMatchObject({ version: v2, mode: 'shadow', traffic: 0 });
    expect(await readFile(path.join(repo.dir, MANIFEST_PATH), 'utf8')).toBe(
      await repo.git.show([`${s.commit}:${MANIFEST_PATH}`]),
    );
    const message = await repo.git.raw(['log', '-1', '--format=%B']);
    expect(message).toMatch(new RegExp(`^rollback flight-delay ${v2} to ${v1}\\n`));
    expect(message).toContain(`This reverts commit ${c.commit} (release flight-delay ${v2}: canary 10%).`);
    expect(message).toContain(`Champion ${v1} answers every request again`);
    expect(await promotionCommitOf(repo.dir, v2)).toBe(s.commit);

    // Canary again, then promotion: a promotion commit the rollback workflow can revert.
    await releaseStep({ repoDir: repo.dir, step: 'canary', version: v2, share: 0.2 });
    const p = await releaseStep({ repoDir: repo.dir, step: 'champion', version: v2 });
    expect(p.manifest).toMatchObject({ champion: { version: v2 }, previous: { version: v1 }, challenger: null });
    const history = await manifestHistory(repo.git);
    expect(history[0].kind).toBe('promotion');
    expect(history[0].trailers).toMatchObject({ 'Model-Version': v2, 'Previous-Version': v1, 'Gate-Verdict': 'pass' });
    expect(await promotionCommitOf(repo.dir, v2)).toBe(p.commit);
    const undone = await rollback({ repoDir: repo.dir });
    expect(undone).toMatchObject({ reverted: p.commit, rolledBackVersion: v2, restoredChampion: v1 });
    expect((await repo.git.status()).isClean()).toBe(true);
  });

  it('refuses a version outside the registry, or gated against another champion, writing nothing', async () => {
    const { v2 } = await setup();
    const head = (await repo.git.revparse(['HEAD'])).trim();
    await expect(releaseStep({ repoDir: repo.dir, step: 'shadow', version: v2 })).rejects.toThrow(
      `refusing step shadow for ${v2}: models/flight-delay/${v2} is not in the registry and no candidate branch was given`,
    );
    await expect(
      releaseStep({ repoDir: repo.dir, step: 'shadow', version: v2, candidateRef: 'no-such-branch' }),
    ).rejects.toThrow(/no-such-branch has no models\/flight-delay\//);
    // Another champion got promoted meanwhile: the evidence of v2 (gated against v1) is stale.
    const v1 = JSON.parse(await readFile(path.join(repo.dir, MANIFEST_PATH), 'utf8')).champion;
    const v3 = await writeCandidate(path.join(work, 'v3'), { seed: 'three', champion: v1 });
    await promote({ repoDir: repo.dir, candidateDir: v3.dir, branch: false });
    const promoted = (await repo.git.revparse(['HEAD'])).trim();
    await expect(
      releaseStep({ repoDir: repo.dir, step: 'shadow', version: v2, candidateRef: `promote/${v2}` }),
    ).rejects.toThrow(
      new RegExp(
        `the gate compared against champion ${v1.version}, but manifests/production\\.json now names ${v3.card.version}; re-run the gate`,
      ),
    );
    expect((await repo.git.revparse(['HEAD'])).trim()).toBe(promoted);
    expect((await repo.git.status()).isClean()).toBe(true);
    expect(head).not.toBe(promoted);
  });
});
