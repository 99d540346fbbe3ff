/**
 * The monitor: the alert rules of monitoring/alerts.yml evaluated — by Prometheus (its HTTP API,
 * when a URL is configured) or over one scrape of the service's /metrics — and what their `action`
 * label asks for:
 * - `rollback` firing (the recall floor, the availability fast burn) → one pull request that reverts
 *   the last promotion (lib/release/rollback.ts) on `monitor/rollback-<version>`, with the evidence;
 * - `retrain` firing (input drift, a stale model) → one `workflow_dispatch` of train.yml;
 * - `investigate` → reported in the table only.
 * One incident, one action: the pull request is found by its branch before anything is created (an
 * open one gets its evidence refreshed, a closed one means a person decided), and a retrain is not
 * dispatched while one is queued or running, or when one started since the incident began.
 * GitHub is reached only through the Forge interface.
 */
import { simpleGit } from 'simple-git';
import type { Forge, ForgePullRequest } from '../forge/forge.ts';
import { markedBody, commentMarker } from '../forge/comments.ts';
import { readManifest } from '../manifest/store.ts';
import { rollback } from '../release/rollback.ts';
import { errorMessage } from '../util/errors.ts';
import { nodeRepoFiles } from '../util/repo-files.ts';
import type { ActionsRun } from '../util/run-context.ts';
import { type CommitIdentity, DEFAULT_IDENTITY, pushRefs, setCommitIdentity } from '../gitops/git-remote.ts';
import { evaluateRulesOnScrape, scrapeSamples } from './monitor-scrape.ts';
import type { RuleFile } from './rules.ts';

export type AlertState = 'firing' | 'pending' | 'inactive';
export type AlertAction = 'rollback' | 'retrain' | 'investigate';

/** One active instance of an alert (a label set), as Prometheus lists it. */
export interface ActiveAlert {
  alert: string;
  state: Exclude<AlertState, 'inactive'>;
  labels: Record<string, string>;
  value: number;
  /** When the condition started to hold (Prometheus's activeAt; the scrape time from /metrics). */
  since: string;
  summary: string;
}

/** One row per alert rule of alerts.yml. */
export interface RuleRow {
  alert: string;
  severity: string;
  action: AlertAction;
  /** `missing`: Prometheus has not loaded this rule (its rule files differ from the repository's). */
  state: AlertState | 'missing';
  active: ActiveAlert[];
}

export interface Evaluation {
  source: 'prometheus' | 'metrics';
  url: string;
  at: string;
  /** Whether `for:` was honoured (Prometheus) or not observable (one scrape). */
  forApplied: boolean;
  rules: RuleRow[];
}

interface RuleMeta {
  alert: string;
  severity: string;
  action: AlertAction;
}

function alertRules(files: readonly RuleFile[]): RuleMeta[] {
  return files.flatMap((f) =>
    f.groups.flatMap((g) =>
      g.rules
        .filter((r) => r.alert)
        .map((r) => ({
          alert: r.alert!,
          severity: r.labels?.severity ?? 'none',
          action: (['rollback', 'retrain'].includes(r.labels?.action ?? '')
            ? r.labels!.action
            : 'investigate') as AlertAction,
        })),
    ),
  );
}

function rowState(active: ActiveAlert[]): AlertState {
  return active.some((a) => a.state === 'firing') ? 'firing' : active.length > 0 ? 'pending' : 'inactive';
}

/** Fills Prometheus's `{{ $value }}`/`{{ $labels.x }}` well enough for a table cell. */
function summarize(template: string | undefined, labels: Record<string, string>, value: number): string {
  return (template ?? '')
    .replace(/\{\{\s*\$value\s*\|\s*humanizePercentage\s*\}\}/g, `${(value * 100).toFixed(1)}%`)
    .replace(/\{\{\s*\$value\s*\|\s*humanizeDuration\s*\}\}/g, `${(value / 86_400).toFixed(1)} d`)
    .replace(/\{\{\s*\$value[^}]*\}\}/g, value.toFixed(3))
    .replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_, k: string) => labels[k] ?? '')
    .replace(/''/g, "'");
}

/** The rules as the configured Prometheus evaluates them: GET /api/v1/rules?type=alert. */
export async function evaluateFromPrometheus(
  prometheusUrl: string,
  files: readonly RuleFile[],
  options: { fetch?: typeof fetch; now?: Date } = {},
): Promise<Evaluation> {
  const url = new URL('api/v1/rules?type=alert', prometheusUrl.endsWith('/') ? prometheusUrl : `${prometheusUrl}/`);
  const res = await (options.fetch ?? fetch)(url);
  const body = (await res.json().catch(() => null)) as {
    status?: string;
    error?: string;
    data?: {
      groups: {
        rules: {
          name: string;
          alerts?: {
            labels: Record<string, string>;
            annotations: Record<string, string>;
            state: string;
            activeAt: string;
            value: string;
          }[];
        }[];
      }[];
    };
  } | null;
  if (!res.ok || body?.status !== 'success' || !body.data)
    throw new Error(
      `Prometheus at ${prometheusUrl} answered ${res.status} to ${url.pathname}: ${body?.error ?? 'not the rules API'}`,
    );
  const loaded = new Map(body.data.groups.flatMap((g) => g.rules.map((r) => [r.name, r] as const)));
  const rules = alertRules(files).map((meta): RuleRow => {
    const rule = loaded.get(meta.alert);
    if (!rule) return { ...meta, state: 'missing', active: [] };
    const active = (rule.alerts ?? [])
      .filter((a) => a.state === 'firing' || a.state === 'pending')
      .map((a) => ({
        alert: meta.alert,
        state: a.state as ActiveAlert['state'],
        labels: a.labels,
        value: Number(a.value),
        since: a.activeAt,
        summary: a.annotations.summary ?? '',
      }));
    return { ...meta, state: rowState(active), active };
  });
  return {
    source: 'prometheus',
    url: prometheusUrl,
    at: (options.now ?? new Date()).toISOString(),
    forApplied: true,
    rules,
  };
}

/** The rules over one scrape of the service's /metrics (lib/monitoring/monitor-scrape.ts). */
export async function evaluateFromMetrics(
  serviceUrl: string,
  files: readonly RuleFile[],
  options: { fetch?: typeof fetch; now?: Date; job?: string } = {},
): Promise<Evaluation> {
  const now = options.now ?? new Date();
  const metricsUrl = new URL('/metrics', serviceUrl);
  const target = { job: options.job ?? 'taxiway', instance: metricsUrl.host };
  let series;
  try {
    const res = await (options.fetch ?? fetch)(metricsUrl);
    if (!res.ok) throw new Error(`answered ${res.status}`);
    series = scrapeSamples(await res.text(), target);
  } catch (error) {
    // What Prometheus records for a failed scrape: up == 0 and nothing else.
    series = new Map([['up', [{ labels: { ...target, __name__: 'up' }, value: 0 }]]]);
    void errorMessage(error);
  }
  const { alerts } = evaluateRulesOnScrape(files, { series, nowSeconds: now.getTime() / 1000 });
  const annotations = new Map(
    files.flatMap((f) => f.groups.flatMap((g) => g.rules.filter((r) => r.alert).map((r) => [r.alert!, r.annotations]))),
  );
  const rules = alertRules(files).map((meta): RuleRow => {
    const active = (alerts.get(meta.alert) ?? []).map((a) => ({
      alert: meta.alert,
      state: 'firing' as const,
      labels: a.labels,
      value: a.value,
      since: now.toISOString(),
      summary: summarize(annotations.get(meta.alert)?.summary, a.labels, a.value),
    }));
    return { ...meta, state: rowState(active), active };
  });
  return { source: 'metrics', url: serviceUrl, at: now.toISOString(), forApplied: false, rules };
}

export interface Decision {
  /** Firing alerts whose action is rollback. */
  rollback: ActiveAlert[];
  /** Firing alerts whose action is retrain. */
  retrain: ActiveAlert[];
  /** Everything else that is active (pending rollbacks and retrains included). */
  report: ActiveAlert[];
}

/** Pure: what the evaluation asks for. Only firing alerts act; pending ones wait for their `for:`. */
export function decide(evaluation: Evaluation): Decision {
  const decision: Decision = { rollback: [], retrain: [], report: [] };
  for (const row of evaluation.rules)
    for (const a of row.active) {
      if (a.state === 'firing' && row.action === 'rollback') decision.rollback.push(a);
      else if (a.state === 'firing' && row.action === 'retrain') decision.retrain.push(a);
      else decision.report.push(a);
    }
  return decision;
}

export function rollbackBranch(version: string): string {
  return `monitor/rollback-${version}`;
}

/** The hidden first line of the pull request body: one incident per rolled-back version. */
export function incidentKey(version: string): string {
  return `monitor-incident/${version}`;
}

const value = (x: number) => (Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(4)) : String(x));
const labelText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .filter(([k]) => !['alertname', 'severity', 'action', 'job', '__name__'].includes(k))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

function evidenceTable(alerts: ActiveAlert[]): string[] {
  return [
    '| rule | labels | value | since | |',
    '|---|---|---:|---|---|',
    ...alerts.map(
      (a) => `| \`${a.alert}\` | ${labelText(a.labels) || '—'} | ${value(a.value)} | ${a.since} | ${a.summary} |`,
    ),
  ];
}

export function rollbackBody(input: {
  version: string;
  restored: string;
  reverted: string;
  evaluation: Evaluation;
  alerts: ActiveAlert[];
  run?: ActionsRun;
}): string {
  const e = input.evaluation;
  return markedBody(
    incidentKey(input.version),
    [
      `Rolls back **\`${input.version}\`**: the monitor saw a quality breach. This reverts its promotion commit ${input.reverted.slice(0, 12)}, so \`${input.restored}\` is champion again.`,
      '',
      ...evidenceTable(input.alerts),
      '',
      `- **Source**: ${e.source === 'prometheus' ? `Prometheus at ${e.url} (alerts as it evaluates them, \`for:\` included)` : `one scrape of ${e.url}/metrics, evaluated with the rules of monitoring/ (counters since the service started; \`for:\` not observable from one scrape)`}, at ${e.at}`,
      `- **Run**: ${input.run ? `[${input.run.workflow ?? 'monitor'} run ${input.run.id}](${input.run.url})` : 'local'}`,
      '- **Next**: the `model-gate` check verifies the restored artifact; merging deploys it. Close this pull request to keep the model (the monitor will not open another for this version).',
    ].join('\n'),
  );
}

export interface ActOptions {
  evaluation: Evaluation;
  forge: Forge;
  /** Checkout of the default branch with full history (fetch-depth 0), on that branch. */
  repoDir: string;
  /** App installation token: a pull request or push made with it starts workflows. */
  pushToken: string;
  /** The workflow a retrain dispatches (default train.yml). */
  retrainWorkflow?: string;
  /** Without an incident start (one scrape), a retrain run newer than this counts as this incident's. */
  retrainCooldownHours?: number;
  run?: ActionsRun;
  identity?: CommitIdentity;
  now?: Date;
  log?: (line: string) => void;
}

export type RollbackOutcome =
  | { kind: 'none' }
  | { kind: 'opened' | 'updated'; version: string; pullRequest: ForgePullRequest; branch: string }
  | { kind: 'skipped'; version?: string; reason: string };

export type RetrainOutcome =
  { kind: 'none' } | { kind: 'dispatched'; workflow: string; reason: string } | { kind: 'skipped'; reason: string };

export interface MonitorResult {
  evaluation: Evaluation;
  decision: Decision;
  rollback: RollbackOutcome;
  retrain: RetrainOutcome;
}

async function openRollback(options: ActOptions, alerts: ActiveAlert[]): Promise<RollbackOutcome> {
  const { forge, repoDir } = options;
  const log = options.log ?? (() => {});
  const manifest = await readManifest(nodeRepoFiles(repoDir));
  if (!manifest) return { kind: 'skipped', reason: `${repoDir} has no manifests/production.json` };
  const champion = manifest.champion.version;
  // Quality alerts name the version they measured; only the serving champion can be rolled back.
  const named = [...new Set(alerts.map((a) => a.labels.version).filter(Boolean))];
  if (named.length > 0 && !named.includes(champion))
    return {
      kind: 'skipped',
      version: named.join(', '),
      reason: `the breach is on ${named.join(', ')}, but the champion in the manifest is ${champion} (already rolled back?)`,
    };
  const evidence = alerts.filter((a) => !a.labels.version || a.labels.version === champion);
  const branch = rollbackBranch(champion);
  const repository = await forge.getRepository();
  const existing = await forge.listPullRequests({ head: branch, state: 'all' });
  const marker = commentMarker(incidentKey(champion));
  const open = existing.find((p) => p.state === 'open');
  if (!open && existing.length > 0) {
    const last = existing[0];
    return {
      kind: 'skipped',
      version: champion,
      reason: `pull request #${last.number} for this incident was ${last.merged ? 'merged' : 'closed'}; a person decided, the monitor does not reopen it`,
    };
  }
  if (open) {
    // Same incident: refresh the evidence in place (the marker line stays first).
    const reverted = /reverts its promotion commit ([0-9a-f]{12})/.exec(open.body ?? '')?.[1] ?? 'unknown';
    const restored = /so `([^`]+)` is champion again/.exec(open.body ?? '')?.[1] ?? manifest.previous?.version ?? '?';
    const body = rollbackBody({
      version: champion,
      restored,
      reverted,
      evaluation: options.evaluation,
      alerts: evidence,
      run: options.run,
    });
    const updated =
      open.body?.startsWith(marker) && open.body !== body ? await forge.updatePullRequest(open.number, { body }) : open;
    log(`pull request #${open.number} already open for ${champion}: evidence refreshed`);
    return { kind: 'updated', version: champion, pullRequest: updated, branch };
  }
  const git = simpleGit(repoDir);
  const start = (await git.raw(['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => '')).trim();
  if (!start) throw new Error(`${repoDir}: HEAD is detached; check out the default branch with fetch-depth 0`);
  await setCommitIdentity(repoDir, options.identity ?? DEFAULT_IDENTITY);
  await git.raw(['checkout', '--quiet', '-B', branch]);
  try {
    const reason = `monitor: ${[...new Set(evidence.map((a) => a.alert))].join(', ')}${options.run ? `; run ${options.run.url}` : ''}`;
    const result = await rollback({ repoDir, reason });
    log(`reverted ${result.reverted.slice(0, 12)} (${result.rolledBackVersion}) in ${result.commit.slice(0, 12)}`);
    await pushRefs(repoDir, options.pushToken, [`${result.commit}:refs/heads/${branch}`], { force: true });
    const body = rollbackBody({
      version: result.rolledBackVersion,
      restored: result.restoredChampion,
      reverted: result.reverted,
      evaluation: options.evaluation,
      alerts: evidence,
      run: options.run,
    });
    const pullRequest = await forge.createPullRequest({
      head: branch,
      base: repository.defaultBranch,
      title: `Roll back flight-delay ${result.rolledBackVersion} (monitor: quality breach)`,
      body,
    });
    log(`opened pull request #${pullRequest.number} ${pullRequest.htmlUrl}`);
    return { kind: 'opened', version: champion, pullRequest, branch };
  } finally {
    await git.raw(['checkout', '--quiet', start]).catch(() => undefined);
  }
}

async function dispatchRetrain(options: ActOptions, alerts: ActiveAlert[]): Promise<RetrainOutcome> {
  const { forge } = options;
  const workflow = options.retrainWorkflow ?? 'train.yml';
  const now = options.now ?? new Date();
  const cooldownMs = (options.retrainCooldownHours ?? 24) * 3_600_000;
  // The incident began when the earliest of its alerts became active; from one scrape that is now,
  // so the cooldown stands in for it.
  const began = Math.min(...alerts.map((a) => Date.parse(a.since)));
  const since = options.evaluation.forApplied ? began : now.getTime() - cooldownMs;
  const runs = await forge.listWorkflowRuns({ workflow });
  const busy = runs.find((r) => r.status !== 'completed');
  if (busy) return { kind: 'skipped', reason: `${workflow} run ${busy.id} is ${busy.status}` };
  const recent = runs.find((r) => Date.parse(r.createdAt) >= since);
  if (recent)
    return {
      kind: 'skipped',
      reason: `${workflow} run ${recent.id} started ${recent.createdAt}, after this incident began (${new Date(since).toISOString()})`,
    };
  const what = alerts.map((a) => `${a.alert}${a.labels.feature ? ` ${a.labels.feature}` : ''} ${value(a.value)}`);
  const reason = `monitor: ${[...new Set(what)].join(', ')}`.slice(0, 1000);
  const repository = await forge.getRepository();
  await forge.dispatchWorkflow(workflow, repository.defaultBranch, { reason });
  (options.log ?? (() => {}))(`dispatched ${workflow} on ${repository.defaultBranch}: ${reason}`);
  return { kind: 'dispatched', workflow, reason };
}

/** Acts on an evaluation: at most one rollback pull request and one retrain dispatch. */
export async function actOnEvaluation(options: ActOptions): Promise<MonitorResult> {
  const decision = decide(options.evaluation);
  const rollbackOutcome: RollbackOutcome =
    decision.rollback.length > 0 ? await openRollback(options, decision.rollback) : { kind: 'none' };
  // A rollback answers the incident first; retraining on top of a model being rolled back waits.
  const retrain: RetrainOutcome =
    decision.retrain.length === 0
      ? { kind: 'none' }
      : rollbackOutcome.kind === 'opened' || rollbackOutcome.kind === 'updated'
        ? { kind: 'skipped', reason: 'a rollback pull request is open; retrain after it is resolved' }
        : await dispatchRetrain(options, decision.retrain);
  return { evaluation: options.evaluation, decision, rollback: rollbackOutcome, retrain };
}

export interface EvaluateOptions {
  ruleFiles: readonly RuleFile[];
  /** Prometheus's base URL: when set, the alerts are Prometheus's. */
  prometheusUrl?: string;
  /** The service's base URL: scraped when no Prometheus is configured. */
  serviceUrl?: string;
  /** The job label a scrape's samples get (Prometheus's job name; default taxiway). */
  job?: string;
  fetch?: typeof fetch;
  now?: Date;
}

/** The rules from the configured Prometheus, else over a scrape of the service. */
export async function evaluate(options: EvaluateOptions): Promise<Evaluation> {
  if (options.prometheusUrl) return evaluateFromPrometheus(options.prometheusUrl, options.ruleFiles, options);
  if (options.serviceUrl) return evaluateFromMetrics(options.serviceUrl, options.ruleFiles, options);
  throw new Error('the monitor needs a Prometheus URL or the service URL to evaluate the rules');
}

export type MonitorOptions = Omit<ActOptions, 'evaluation'> & EvaluateOptions;

/** Evaluate, then act: the whole monitor (what actions/monitor calls). */
export async function runMonitor(options: MonitorOptions): Promise<MonitorResult> {
  return actOnEvaluation({ ...options, evaluation: await evaluate(options) });
}

const STATE_ICON: Record<RuleRow['state'], string> = {
  firing: '🔴 firing',
  pending: '🟡 pending',
  inactive: '🟢 ok',
  missing: '⚪ not loaded',
};

/** Where the figures came from, then one row per rule: state, severity, action, instances, since. */
export function rulesTable(e: Evaluation): string[] {
  const rows = e.rules.map((r) => {
    const detail = r.active.map((a) => `${labelText(a.labels) || 'all'}: ${value(a.value)}`).join('; ');
    return `| \`${r.alert}\` | ${STATE_ICON[r.state]} | ${r.severity} | ${r.action} | ${detail || '—'} | ${r.active[0]?.since ?? ''} |`;
  });
  return [
    e.source === 'prometheus'
      ? `Alerts from Prometheus at ${e.url} at ${e.at}.`
      : `Rules evaluated over one scrape of ${e.url}/metrics at ${e.at} (counters since the service started; \`for:\` not observable).`,
    '',
    '| rule | state | severity | action | instances (value) | since |',
    '|---|---|---|---|---|---|',
    ...rows,
  ];
}

/** The job summary: every rule evaluated, then what the monitor did. */
export function monitorSummary(result: MonitorResult): string {
  const e = result.evaluation;
  const rb = result.rollback;
  const rt = result.retrain;
  return [
    `## Monitor: ${e.rules.filter((r) => r.state === 'firing').length} of ${e.rules.length} rules firing`,
    '',
    ...rulesTable(e),
    '',
    `- **Rollback**: ${rb.kind === 'none' ? 'no quality breach' : rb.kind === 'skipped' ? `skipped — ${rb.reason}` : `${rb.kind} pull request [#${rb.pullRequest.number}](${rb.pullRequest.htmlUrl}) on \`${rb.branch}\` for \`${rb.version}\``}`,
    `- **Retrain**: ${rt.kind === 'none' ? 'no drift' : rt.kind === 'skipped' ? `skipped — ${rt.reason}` : `dispatched \`${rt.workflow}\` — ${rt.reason}`}`,
    '',
  ].join('\n');
}
