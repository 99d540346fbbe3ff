/**
 * Reading the emulator's records back as the demo's evidence: the runs a step started, the pull
 * request a run opened with its marked gate comment and `model-gate` status, the deployment a
 * deploy run recorded. Everything goes through the Forge (octokit against the emulator's REST API),
 * as a person or a tool on GitHub would read it.
 */
import { findMarkedComment } from '../forge/comments.ts';
import type { Forge, ForgeStatus } from '../forge/forge.ts';
import type { HandledEvent } from '../../runner/runner.ts';
import type { WorkflowRunResult } from '../../runner/workflow-run.ts';
import { MODEL_GATE_CONTEXT } from '../gitops/promotion-pr.ts';
import type { DemoRecord, StepHandle } from './timeline.ts';

type RunRecord = Extract<DemoRecord, { kind: 'run' }>;

/** The run of `workflow` (file name) among what an event started; throws naming what did start. */
export function runOf(handled: HandledEvent, workflow: string): WorkflowRunResult {
  const run = handled.runs.find((r) => r.workflow === workflow || r.workflow.endsWith(`/${workflow}`));
  if (!run) {
    const started = handled.runs.map((r) => r.workflow).join(', ') || 'nothing';
    const skipped = handled.notTriggered.map((n) => `${n.workflow} (${n.reason})`).join('; ');
    throw new Error(
      `expected a ${workflow} run; the event started ${started}${skipped ? `; not run: ${skipped}` : ''}`,
    );
  }
  return run;
}

/** A run as a record, read back from the forge (its URL and where its logs download from). */
export async function runRecord(forge: Forge, runId: number): Promise<RunRecord> {
  const run = await forge.getWorkflowRun(runId);
  return {
    kind: 'run',
    id: run.id,
    workflow: run.path.split('/').at(-1) ?? run.path,
    conclusion: run.conclusion ?? run.status ?? 'unknown',
    url: run.htmlUrl,
    logsUrl: run.logsUrl,
  };
}

/** The newest run of `workflow` whose head is `sha` (and event, when given), once it has completed. */
export async function findRun(
  forge: Forge,
  query: { workflow: string; headSha: string; event?: string },
): Promise<RunRecord> {
  const runs = await forge.listWorkflowRuns({ workflow: query.workflow, headSha: query.headSha, event: query.event });
  const run = runs.find((r) => r.status === 'completed');
  if (!run)
    throw new Error(
      `no completed ${query.workflow} run${query.event ? ` for ${query.event}` : ''} on ${query.headSha.slice(0, 12)} (runs: ${runs.map((r) => `${r.id} ${r.status}`).join(', ') || 'none'})`,
    );
  return runRecord(forge, run.id);
}

export interface PullRequestEvidence {
  number: number;
  url: string;
  headSha: string;
  commentUrl: string;
  /** The model-gate status on the head. */
  gate: ForgeStatus;
  /** `❌ id: detail` lines of the gate comment (empty when it passed). */
  failingChecks: string[];
}

/** The pull request, its marked gate comment and its `model-gate` status, recorded on the step. */
export async function recordPullRequest(forge: Forge, number: number, step: StepHandle): Promise<PullRequestEvidence> {
  const pr = await forge.getPullRequest(number);
  step.record({ kind: 'pull-request', number, url: pr.htmlUrl, head: pr.head.ref, headSha: pr.head.sha });
  const comment = findMarkedComment(await forge.listIssueComments(number), MODEL_GATE_CONTEXT);
  if (!comment) throw new Error(`pull request #${number} has no ${MODEL_GATE_CONTEXT} report comment`);
  step.record({ kind: 'comment', id: comment.id, pullRequest: number, url: comment.htmlUrl });
  const combined = await forge.getCombinedStatus(pr.head.sha);
  const gate = combined.statuses.find((s) => s.context === MODEL_GATE_CONTEXT);
  if (!gate) throw new Error(`pull request #${number}: no ${MODEL_GATE_CONTEXT} status on ${pr.head.sha.slice(0, 12)}`);
  step.record({
    kind: 'status',
    id: gate.id,
    sha: pr.head.sha,
    context: gate.context,
    state: gate.state,
    description: gate.description,
  });
  const failingChecks = comment.body
    .split('\n')
    .filter((line) => line.startsWith('- ❌ '))
    .map((line) => line.slice('- ❌ '.length).replaceAll('`', ''));
  return { number, url: pr.htmlUrl, headSha: pr.head.sha, commentUrl: comment.htmlUrl, gate, failingChecks };
}

/** The deployment a deploy run recorded for `sha`, with its latest state. */
export async function recordDeployment(
  forge: Forge,
  sha: string,
  step: StepHandle,
): Promise<{ id: number; state: string }> {
  const [deployment] = await forge.listDeployments({ sha });
  if (!deployment) throw new Error(`no deployment recorded for ${sha.slice(0, 12)}`);
  const [latest] = await forge.listDeploymentStatuses(deployment.id);
  const state = latest?.state ?? 'pending';
  step.record({ kind: 'deployment', id: deployment.id, sha, environment: deployment.environment, state });
  return { id: deployment.id, state };
}
