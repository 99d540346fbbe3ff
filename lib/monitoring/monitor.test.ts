/**
 * The monitor's decisions through the Forge on the GitHub emulator, seeded with this repository's
 * committed HEAD (its real promotion history): a quality breach opens one rollback pull request even
 * when the monitor runs twice, drift dispatches one retrain, a healthy service gets nothing. The
 * service is a scrape text (the rules read only /metrics), so each case states its figures.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/index.ts';
import { git } from '../demo/workspace.ts';
import { monitorBareRepository } from '../../testing/monitor-repo.ts';
import type { Forge } from '../forge/forge.ts';
import { createOctokitForge } from '../forge/octokit-forge.ts';
import { urlWithToken } from '../gitops/git-remote.ts';
import { readManifest } from '../manifest/store.ts';
import { nodeRepoFiles } from '../util/repo-files.ts';
import {
  decide,
  evaluateFromMetrics,
  evaluateFromPrometheus,
  monitorSummary,
  rollbackBranch,
  runMonitor,
} from './monitor.ts';
import { loadRuleFile, type RuleFile } from './rules.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const FULL_NAME = 'taxiway/flight-delay';
const SERVICE = 'http://127.0.0.1:9/';

let dir: string;
let emulator: Emulator;
let token: string;
let forge: Forge;
let rules: RuleFile[];
let champion: string;

/** A /metrics text: `delayed` outcomes of which `caught` were flagged, and `distanceShare` of rows in distance bin 0. */
function exposition(options: { delayed: number; caught: number; distanceShare: number }): string {
  const v = champion;
  const rows = 1000;
  const inBin0 = Math.round(rows * options.distanceShare);
  return [
    '# TYPE feedback_outcomes_total counter',
    `feedback_outcomes_total{version="${v}",slice="all",flagged="true",delayed="true"} ${options.caught}`,
    `feedback_outcomes_total{version="${v}",slice="all",flagged="false",delayed="true"} ${options.delayed - options.caught}`,
    `feedback_outcomes_total{version="${v}",slice="all",flagged="false",delayed="false"} 2000`,
    '# TYPE drift_feature_bin_total counter',
    `drift_feature_bin_total{version="${v}",feature="distance",bin="0"} ${inBin0}`,
    `drift_feature_bin_total{version="${v}",feature="distance",bin="1"} ${rows - inBin0}`,
    '# TYPE drift_reference_share gauge',
    `drift_reference_share{version="${v}",feature="distance",bin="0"} 0.5`,
    `drift_reference_share{version="${v}",feature="distance",bin="1"} 0.5`,
    '# TYPE service_ready gauge',
    'service_ready 1',
    '',
  ].join('\n');
}

const serving =
  (text: string): typeof fetch =>
  async () =>
    new Response(text);

async function checkout(name: string): Promise<string> {
  const work = path.join(dir, name);
  await git(dir, ['clone', '--quiet', urlWithToken(emulator.repository(FULL_NAME).cloneUrl, token), work]);
  return work;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'taxiway-monitor-'));
  const bare = await monitorBareRepository(REPO_ROOT, dir);
  emulator = await startEmulator({ repositories: [{ owner: 'taxiway', name: 'flight-delay', path: bare }] });
  token = emulator.mintToken({
    permissions: { contents: 'write', pull_requests: 'write', actions: 'write' },
  }).token;
  forge = createOctokitForge({
    token,
    owner: 'taxiway',
    repo: 'flight-delay',
    baseUrl: emulator.apiUrl,
    writeIntervalMs: 0,
    retries: 0,
  });
  rules = [
    await loadRuleFile(path.join(REPO_ROOT, 'monitoring/recording.yml')),
    await loadRuleFile(path.join(REPO_ROOT, 'monitoring/alerts.yml')),
  ];
  champion = (await readManifest(nodeRepoFiles(REPO_ROOT)))!.champion.version;
}, 120_000);

afterAll(async () => {
  await emulator?.close();
  await rm(dir, { recursive: true, force: true });
  expect(emulator.violations).toEqual([]);
});

describe('evaluating the rules over a scrape', () => {
  it('fires the recall floor with the version, its value and the delayed-outcome guard', async () => {
    const evaluation = await evaluateFromMetrics(SERVICE, rules, {
      fetch: serving(exposition({ delayed: 600, caught: 60, distanceShare: 0.5 })),
    });
    const floor = evaluation.rules.find((r) => r.alert === 'TaxiwayRecallBelowFloor')!;
    expect(floor.state).toBe('firing');
    expect(floor.active[0].labels).toMatchObject({
      version: champion,
      slice: 'all',
      job: 'taxiway',
      severity: 'critical',
      action: 'rollback',
    });
    expect(floor.active[0].value).toBeCloseTo(0.1);
    expect(floor.active[0].summary).toBe(`Model ${champion} catches 10.0% of delayed flights (floor 33%)`);
    // Below 500 delayed outcomes the figure is noise: no alert.
    const few = await evaluateFromMetrics(SERVICE, rules, {
      fetch: serving(exposition({ delayed: 400, caught: 40, distanceShare: 0.5 })),
    });
    expect(few.rules.find((r) => r.alert === 'TaxiwayRecallBelowFloor')!.state).toBe('inactive');
  });

  it('computes PSI like the recording rule: 0.9/0.1 against 0.5/0.5 is (0.4·ln 1.8 + 0.4·ln 5)', async () => {
    const evaluation = await evaluateFromMetrics(SERVICE, rules, {
      fetch: serving(exposition({ delayed: 600, caught: 400, distanceShare: 0.9 })),
    });
    const drift = evaluation.rules.find((r) => r.alert === 'TaxiwayFeatureDrift')!;
    expect(drift.state).toBe('firing');
    expect(drift.active[0].labels.feature).toBe('distance');
    expect(drift.active[0].value).toBeCloseTo(0.4 * Math.log(1.8) + 0.4 * Math.log(5), 6);
    expect(decide(evaluation).rollback).toEqual([]);
  });

  it('reports a service it cannot scrape as TaxiwayTargetDown', async () => {
    const evaluation = await evaluateFromMetrics(SERVICE, rules, {
      fetch: async () => new Response('', { status: 503 }),
    });
    expect(evaluation.rules.filter((r) => r.state === 'firing').map((r) => r.alert)).toEqual(['TaxiwayTargetDown']);
  });

  it("reads Prometheus's rules API: states, activeAt, and rules Prometheus has not loaded", async () => {
    const api = {
      status: 'success',
      data: {
        groups: [
          {
            rules: [
              {
                name: 'TaxiwayRecallBelowFloor',
                alerts: [
                  {
                    labels: { version: champion, slice: 'all' },
                    annotations: { summary: 's' },
                    state: 'pending',
                    activeAt: '2026-12-01T10:00:00Z',
                    value: '0.2',
                  },
                ],
              },
            ],
          },
        ],
      },
    };
    const evaluation = await evaluateFromPrometheus('http://127.0.0.1:9/prom', rules, {
      fetch: async () => Response.json(api),
    });
    const floor = evaluation.rules.find((r) => r.alert === 'TaxiwayRecallBelowFloor')!;
    expect(floor).toMatchObject({ state: 'pending', active: [{ since: '2026-12-01T10:00:00Z', value: 0.2 }] });
    expect(evaluation.rules.find((r) => r.alert === 'TaxiwayFeatureDrift')!.state).toBe('missing');
    // Pending waits for its `for:`: nothing to do yet.
    expect(decide(evaluation).rollback).toEqual([]);
  });
});

describe('acting through the forge', () => {
  it('does nothing for a healthy service', async () => {
    const result = await runMonitor({
      ruleFiles: rules,
      serviceUrl: SERVICE,
      fetch: serving(exposition({ delayed: 600, caught: 400, distanceShare: 0.5 })),
      forge,
      repoDir: await checkout('healthy'),
      pushToken: token,
    });
    expect(result.evaluation.rules.filter((r) => r.state !== 'inactive')).toEqual([]);
    expect(result).toMatchObject({ rollback: { kind: 'none' }, retrain: { kind: 'none' } });
    expect(await forge.listPullRequests({ state: 'all' })).toEqual([]);
    expect(await forge.listWorkflowRuns({ workflow: 'train.yml' })).toEqual([]);
  });

  it('dispatches one retrain on drift, also when it runs twice', async () => {
    const drifted = serving(exposition({ delayed: 600, caught: 400, distanceShare: 0.9 }));
    const repoDir = await checkout('drift');
    const first = await runMonitor({
      ruleFiles: rules,
      serviceUrl: SERVICE,
      fetch: drifted,
      forge,
      repoDir,
      pushToken: token,
    });
    expect(first.retrain).toMatchObject({ kind: 'dispatched', workflow: 'train.yml' });
    expect(first.retrain.kind === 'dispatched' && first.retrain.reason).toMatch(
      /^monitor: TaxiwayFeatureDrift distance 0\.878/,
    );
    const second = await runMonitor({
      ruleFiles: rules,
      serviceUrl: SERVICE,
      fetch: drifted,
      forge,
      repoDir,
      pushToken: token,
    });
    expect(second.retrain).toMatchObject({ kind: 'skipped' });
    const runs = await forge.listWorkflowRuns({ workflow: 'train.yml' });
    expect(runs.map((r) => [r.event, r.headBranch])).toEqual([['workflow_dispatch', 'main']]);
    expect(await forge.listPullRequests({ state: 'all' })).toEqual([]);
  });

  it('opens one rollback pull request for a quality breach, also when it runs twice', async () => {
    const bad = serving(exposition({ delayed: 600, caught: 60, distanceShare: 0.5 }));
    const first = await runMonitor({
      ruleFiles: rules,
      serviceUrl: SERVICE,
      fetch: bad,
      forge,
      repoDir: await checkout('breach-1'),
      pushToken: token,
    });
    expect(first.rollback.kind).toBe('opened');
    const second = await runMonitor({
      ruleFiles: rules,
      serviceUrl: SERVICE,
      fetch: bad,
      forge,
      repoDir: await checkout('breach-2'),
      pushToken: token,
    });
    expect(second.rollback.kind).toBe('updated');

    const prs = await forge.listPullRequests({ state: 'all' });
    expect(prs.map((p) => [p.head.ref, p.base.ref, p.state])).toEqual([[rollbackBranch(champion), 'main', 'open']]);
    const body = prs[0].body!;
    expect(body.split('\n')[0]).toBe(`<!-- taxiway:monitor-incident/${champion} -->`);
    expect(body).toContain('| `TaxiwayRecallBelowFloor` |');
    expect(body).toMatch(/\| 0\.1000 \| \d{4}-\d\d-\d\dT/);
    // The head is the revert of the last promotion: the manifest names the previous champion.
    const head = await forge.getFile('manifests/production.json', prs[0].head.sha);
    const manifest = JSON.parse(head!.content.toString()) as { champion: { version: string } };
    const before = (await readManifest(nodeRepoFiles(REPO_ROOT)))!;
    expect(manifest.champion.version).toBe(before.previous!.version);
    expect((await forge.getCommit(prs[0].head.sha)).message).toMatch(/Reason: monitor: TaxiwayRecallBelowFloor/);
    expect(monitorSummary(second)).toMatch(/\| `TaxiwayRecallBelowFloor` \| 🔴 firing \| critical \| rollback \|/);

    // Closed by a person: the monitor respects it and opens nothing new for this version.
    await forge.closePullRequest(prs[0].number);
    const third = await runMonitor({
      ruleFiles: rules,
      serviceUrl: SERVICE,
      fetch: bad,
      forge,
      repoDir: await checkout('breach-3'),
      pushToken: token,
    });
    expect(third.rollback).toMatchObject({
      kind: 'skipped',
      reason: expect.stringMatching(/was closed; a person decided/),
    });
    expect(await forge.listPullRequests({ state: 'all' })).toHaveLength(1);
  });
});
