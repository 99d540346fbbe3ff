/**
 * A progressive release end to end: .github/workflows/release-step.yml, run by the local runner
 * against the GitHub emulator, takes a challenger through shadow → canary → champion while a real
 * service (its own process, following the emulator's git over HTTP) answers replayed June traffic
 * and its real outcomes as feedback. Each step is a pull request with the live-traffic evidence
 * comment and the model-gate and release-evidence statuses; merging it is what the service follows.
 * During the first canary an alert is answered by rollback.yml: the revert of the canary step, after
 * which the champion answers every flight again; a second canary then goes on to champion.
 *
 * The repository starts from this checkout's HEAD with its last promotion rolled back, so the
 * champion is the previous version and the version promoted last (gated against it) is the challenger.
 * Replays wait for every answer: at a load average of 10 the tail of 2,400 feedback requests outlived
 * replay's default 10 s drain, and those unanswered requests were what looked like unmatched outcomes
 * (1,919 of 2,400 in an earlier attempt); no outcome went unjoined once answered.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFlights, type FlightTable } from '../lib/data/flights.ts';
import { git } from '../lib/demo/workspace.ts';
import type { ForgePullRequest } from '../lib/forge/forge.ts';
import { RELEASE_EVIDENCE_CONTEXT, releaseBranch } from '../lib/gitops/progressive.ts';
import { MODEL_GATE_CONTEXT } from '../lib/gitops/promotion-pr.ts';
import { readManifest } from '../lib/manifest/store.ts';
import type { ReleaseStep } from '../lib/release/challenger-step.ts';
import { rollback } from '../lib/release/rollback.ts';
import { replay, type ReplaySummary } from '../lib/replay/replay.ts';
import { selectTraffic } from '../lib/replay/traffic.ts';
import { type ModelView, waitForRevision } from '../lib/demo/service-model.ts';
import { nodeRepoFiles } from '../lib/util/repo-files.ts';
import { type ServerProcess, startServerProcess } from '../testing/server-process.ts';
import { closeWorkflowLab, REPO_ROOT, startWorkflowLab, type WorkflowLab } from '../testing/workflow-lab.ts';

const head = (await readManifest(nodeRepoFiles(REPO_ROOT)))!;
/** The version promoted last at HEAD: here it is the challenger, its predecessor the champion. */
const CHALLENGER = head.champion.version;
const CHAMPION = head.previous!.version;
const WEEK = '2001-06-04';

let lab: WorkflowLab;
let service: ServerProcess;
let flights: FlightTable;
/** Every replay, in order, for the report. */
const replays: Array<{ label: string; summary: ReplaySummary }> = [];

/** Waits until the service has read main at `sha` and loaded what its manifest names. */
const servingRevision = (sha: string) => waitForRevision(service.url, sha, { intervalMs: 200 });

/** Replays `limit` flights of the week (seeded) with their outcomes as feedback at once. */
async function traffic(label: string, limit: number, seed: number): Promise<ReplaySummary> {
  const selected = selectTraffic(flights, { week: WEEK, limit, seed }).flights;
  // Every request is waited for: at a load average of 10 the tail of 2,400 feedback requests took
  // longer than replay's default 10 s drain, and those unanswered requests looked like unmatched outcomes.
  const summary = await replay({
    url: service.url,
    flights: selected,
    rate: 100,
    batchSize: 1,
    feedbackDelayMs: 0,
    drainMs: 60_000,
  });
  replays.push({ label, summary });
  log(`replay ${label}: ${selected.length} rows ${JSON.stringify(summary.predictions.versions)}`);
  expect(summary.predictions.ok, label).toBe(summary.predictions.requests);
  // Every outcome joins the prediction it reports on, whichever model answered it.
  expect(summary.feedback, label).toMatchObject({ sent: selected.length, skipped: 0, errors: 0 });
  expect(summary.feedback.matched, `${label}: ${JSON.stringify(summary.feedback.statuses)}`).toBe(selected.length);
  return summary;
}

const t0 = Date.now();
const log = (what: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${what}`);

async function mainSha(): Promise<string> {
  return (await lab.forge.getRef('heads/main'))!.sha;
}

async function dispatch(workflow: string, inputs: Record<string, string>) {
  const before = new Set((await lab.forge.listWorkflowRuns({ workflow })).map((r) => r.id));
  await lab.forge.dispatchWorkflow(workflow, 'main', inputs);
  await lab.idle();
  log(`${workflow} ${JSON.stringify(inputs)} done`);
  const runs = (await lab.forge.listWorkflowRuns({ workflow })).filter((r) => !before.has(r.id));
  expect(runs.length, `${workflow} runs started by the dispatch`).toBe(1);
  const jobs = lab.emulator.runs.jobs(lab.fullName, runs[0].id);
  const summary = jobs.map((j) => j.summary ?? '').join('\n');
  if (runs[0].conclusion !== 'success') {
    const logs = await Promise.all(jobs.map((j) => lab.emulator.runs.readLog(lab.fullName, j.id)));
    throw new Error(
      `${workflow} ${JSON.stringify(inputs)} ended ${runs[0].conclusion}:\n${summary}\n${logs.join('\n').slice(-6000)}`,
    );
  }
  return { run: runs[0], summary };
}

interface StepRecord {
  pr: ForgePullRequest;
  comment: string;
  statuses: Record<string, { state: string; description: string }>;
}

/** Dispatches release-step.yml and reads back the step's pull request, comment and statuses. */
async function releaseStep(step: ReleaseStep, share?: string): Promise<StepRecord> {
  await dispatch('release-step.yml', {
    version: CHALLENGER,
    step,
    ...(share ? { share } : {}),
    reason: `e2e ${step}`,
  });
  const [pr] = await lab.forge.listPullRequests({ head: releaseBranch(CHALLENGER, step), state: 'open' });
  expect(pr, `the ${step} pull request`).toBeDefined();
  const comments = await lab.forge.listIssueComments(pr.number);
  const evidence = comments.filter((c) => c.body.includes('Release evidence: step'));
  expect(evidence, 'one evidence comment').toHaveLength(1);
  const combined = await lab.forge.getCombinedStatus(pr.head.sha);
  const statuses = Object.fromEntries(
    combined.statuses.map((s) => [s.context, { state: s.state, description: s.description ?? '' }]),
  );
  return { pr, comment: evidence[0].body, statuses };
}

/** Merges a step's pull request (branch protection requires model-gate) and waits for the service. */
async function merge(record: StepRecord): Promise<ModelView> {
  const merged = await lab.forge.mergePullRequest(record.pr.number);
  expect(merged.merged).toBe(true);
  await lab.idle();
  log(`merged #${record.pr.number}, runs done`);
  const view = await servingRevision(await mainSha());
  log(`service on ${view.manifest?.revision.slice(0, 12)}`);
  return view;
}

/**
 * The bars on a step's evidence comment: every one but latency must pass; the latency bar compares
 * single-row scoring calls of a 3.1 MB challenger with a 0.56 MB champion (about 1.5×, the bar, on a
 * loaded machine), so it is recorded rather than required, and the release-evidence status must say
 * exactly what the bars say.
 */
function checkBars(record: StepRecord, step: ReleaseStep, ids: string[]) {
  const bars = [...record.comment.matchAll(/^- (✅|❌) `([a-z.]+)`: (.*)$/gm)].map((m) => ({
    id: m[2],
    pass: m[1] === '✅',
    detail: m[3],
  }));
  expect(bars.map((b) => b.id)).toEqual(ids);
  for (const bar of bars.filter((b) => !b.id.endsWith('.latency'))) expect(bar.pass, bar.detail).toBe(true);
  const ready = bars.every((b) => b.pass);
  expect(record.comment).toContain(`Release evidence: step ${step} ${ready ? 'PASS' : 'NOT YET'}`);
  expect(record.statuses[RELEASE_EVIDENCE_CONTEXT]).toMatchObject(
    ready ? { state: 'success', description: `PASS ${ids.length} bars` } : { state: 'failure' },
  );
  expect(record.statuses[MODEL_GATE_CONTEXT]?.state, JSON.stringify(record.statuses)).toBe('success');
  return bars;
}

const figure = (comment: string, pattern: RegExp) => {
  const match = pattern.exec(comment);
  if (!match) throw new Error(`no ${pattern} in the evidence comment:\n${comment}`);
  return Number(match[1]);
};

beforeAll(async () => {
  flights = await loadFlights();
  lab = await startWorkflowLab({
    // Main as it was before the last promotion (rollback() keeps the version's folder and its evidence).
    async prepare(bare, scratch) {
      const work = path.join(scratch, 'prepare');
      await git(scratch, ['clone', '--quiet', bare, work]);
      await git(work, ['config', 'user.name', 'Taxiway Test']);
      await git(work, ['config', 'user.email', 'progressive-test@example.com']);
      await rollback({ repoDir: work, reason: 'e2e: start from the previous champion' });
      await git(work, ['push', '--quiet', 'origin', 'HEAD:main']);
    },
  });
  const info = lab.emulator.repository(lab.fullName);
  const read = lab.emulator.mintToken({
    permissions: { contents: 'read', metadata: 'read' },
    repositories: [lab.fullName],
    login: 'taxiway-service[bot]',
    expiresInMs: 3_600_000,
  }).token;
  const repoUrl = new URL(info.cloneUrl);
  repoUrl.username = 'x-access-token';
  repoUrl.password = read;
  service = await startServerProcess({
    codeRoot: REPO_ROOT,
    env: {
      MODEL_REPO_URL: repoUrl.toString(),
      MODEL_REPO_BRANCH: info.defaultBranch,
      MODEL_CACHE_DIR: path.join(lab.dir, 'service-repo'),
      MODEL_POLL_INTERVAL_MS: '500',
      LOG_REQUESTS: 'false',
    },
    startTimeoutMs: 60_000,
  });
  await service.ready(120_000);
  // The release step scrapes this service's /metrics.
  lab.vars.SERVICE_REPLICA_URLS = service.url;
  log(`lab and service up (${service.url})`);
}, 240_000);

afterAll(async () => {
  await service?.stop();
  const violations = await closeWorkflowLab(lab);
  expect(lab.errors).toEqual([]);
  expect(violations).toEqual([]);
});

describe('release-step.yml on the emulator with a live service', () => {
  it('takes the challenger through shadow, a rolled-back canary, a canary and champion', async () => {
    const started = Date.now();
    const lines: string[] = [];
    const start = await servingRevision(await mainSha());
    expect([start.champion?.version, start.challenger]).toEqual([CHAMPION, null]);

    // 1. Shadow: no live bar yet; the challenger scores the champion's traffic off the hot path.
    const shadow = await releaseStep('shadow');
    expect(shadow.pr.title).toBe(`Shadow flight-delay ${CHALLENGER}`);
    expect(shadow.comment).toContain('## Release evidence: step shadow (baseline');
    expect(shadow.statuses[MODEL_GATE_CONTEXT]?.state).toBe('success');
    expect(shadow.statuses[RELEASE_EVIDENCE_CONTEXT]?.state).toBe('success');
    const inShadow = await merge(shadow);
    expect(inShadow.serving?.version).toBe(CHAMPION);
    expect(inShadow.challenger).toMatchObject({ version: CHALLENGER, mode: 'shadow', traffic: 0, loaded: true });
    const shadowTraffic = await traffic('shadow', 1200, 11);
    expect(Object.keys(shadowTraffic.predictions.versions)).toEqual([CHAMPION]);

    // 2. Canary at 30%: the shadow figures are the evidence.
    const canary = await releaseStep('canary', '30%');
    expect(canary.pr.title).toBe(`Canary flight-delay ${CHALLENGER} at 30%`);
    const canaryBars = checkBars(canary, 'canary', ['shadow.rows', 'shadow.agreement']);
    const shadowRows = figure(canary.comment, /`shadow\.rows`: (\d+) rows scored in shadow/);
    const agreement = figure(canary.comment, /`shadow\.agreement`: agreement ([0-9.]+)/);
    expect(shadowRows).toBe(1200);
    expect(agreement).toBeGreaterThanOrEqual(0.85);
    expect(canary.comment).toMatch(/\| 1200 \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| 0 \|/);
    lines.push(`canary evidence (shadow, ${shadowRows} rows):\n${canary.comment}`);
    const inCanary = await merge(canary);
    expect(inCanary.challenger).toMatchObject({ version: CHALLENGER, mode: 'canary', traffic: 0.3, loaded: true });
    const canaryTraffic = await traffic('canary', 300, 12);
    expect(canaryTraffic.predictions.versions[CHALLENGER]).toBeGreaterThan(0);

    // 3. An alert during the canary: rollback.yml reverts the canary step, pushed to main.
    const beforeRollback = await mainSha();
    const rolledBack = await dispatch('rollback.yml', { version: CHALLENGER, reason: 'e2e: alert during canary' });
    const revert = await mainSha();
    expect(revert).not.toBe(beforeRollback);
    const message = await git(path.join(lab.dir, `flight-delay.git`), ['log', '-1', '--format=%B', revert]);
    const canaryCommit = (await lab.forge.getPullRequest(canary.pr.number)).head.sha;
    expect(message).toContain(`Reverts: ${canaryCommit}`);
    const afterRollback = await servingRevision(revert);
    // The champion answers every flight again; the challenger is back to scoring in shadow.
    expect(afterRollback.challenger).toMatchObject({ version: CHALLENGER, mode: 'shadow', traffic: 0 });
    const afterTraffic = await traffic('after rollback', 200, 13);
    expect(Object.keys(afterTraffic.predictions.versions)).toEqual([CHAMPION]);
    lines.push(`rollback run ${rolledBack.run.id}: main ${revert.slice(0, 12)} reverts ${canaryCommit.slice(0, 12)}`);

    // 4. Canary again, then enough canary traffic with outcomes for the champion step's bars.
    const canary2 = await releaseStep('canary', '30%');
    expect(canary2.pr.number).not.toBe(canary.pr.number);
    checkBars(canary2, 'canary', ['shadow.rows', 'shadow.agreement']);
    await merge(canary2);
    const canary2Traffic = await traffic('canary again', 1500, 14);
    const answered = canary2Traffic.predictions.versions;
    expect(answered[CHALLENGER] / 1500).toBeGreaterThan(0.2);
    expect(answered[CHALLENGER] / 1500).toBeLessThan(0.4);

    // 5. Champion: the canary's rows, latency and AUC from feedback are the evidence.
    const champion = await releaseStep('champion');
    expect(champion.pr.title).toBe(`Promote flight-delay ${CHALLENGER} after canary`);
    const championBars = checkBars(champion, 'champion', ['canary.rows', 'canary.latency', 'canary.auc']);
    const canaryRows = figure(champion.comment, /`canary\.rows`: (\d+) rows answered in canary/);
    // Counters run since the service started: both canaries' rows.
    expect(canaryRows).toBe(answered[CHALLENGER] + canaryTraffic.predictions.versions[CHALLENGER]);
    const auc = figure(champion.comment, /`canary\.auc`: AUC ([0-9.]+) on/);
    const championAuc = figure(champion.comment, /≥ champion ([0-9.]+) on/);
    expect(auc).toBeGreaterThan(0.6);
    expect(championAuc).toBeGreaterThan(0.6);
    lines.push(`champion evidence:\n${champion.comment}`);
    const promoted = await merge(champion);
    expect(promoted.serving?.version).toBe(CHALLENGER);
    expect(promoted.champion?.version).toBe(CHALLENGER);
    expect(promoted.challenger).toBeNull();
    const finalTraffic = await traffic('champion', 200, 15);
    expect(Object.keys(finalTraffic.predictions.versions)).toEqual([CHALLENGER]);

    const runs = await lab.forge.listWorkflowRuns();
    lines.push(
      `runs: ${runs.map((r) => `${path.basename(r.path)} ${r.event} ${r.conclusion} ${((Date.parse(r.updatedAt) - Date.parse(r.createdAt)) / 1000).toFixed(1)} s`).join(', ')}`,
      `replays: ${replays.map((r) => `${r.label} ${r.summary.predictions.rows} rows ${JSON.stringify(r.summary.predictions.versions)} matched ${r.summary.feedback.matched}`).join('; ')}`,
      `latency bars: ${[...canaryBars, ...championBars]
        .filter((b) => b.id.endsWith('.latency'))
        .map((b) => `${b.pass ? 'pass' : 'NOT MET'} ${b.detail}`)
        .join('; ')}`,
      `elapsed ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    console.log(`progressive e2e:\n${lines.join('\n\n')}`);
  }, 720_000);
});
