/**
 * The gate action. Candidate mode: gates/run-gate.ts runGate on a trained candidate against the
 * checkout's champion. Pull-request mode: lib/gitops/pr-gate.ts re-runs the gate from the pull
 * request's files and posts the comment and the `model-gate` status.
 */
import path from 'node:path';
import * as core from '@actions/core';
import * as github from '@actions/github';
import { runGate } from '../../gates/run-gate.ts';
import { octokitForgeFromEnv } from '../../lib/forge/octokit-forge.ts';
import { gatePullRequest, publishPullRequestGate } from '../../lib/gitops/pr-gate.ts';
import { failedChecks } from '../../lib/gitops/promotion-pr.ts';
import { errorMessage } from '../../lib/util/errors.ts';
import { actionsRun } from '../../lib/util/run-context.ts';

async function gateCandidate(candidate: string, failOnReject: boolean): Promise<void> {
  const run = await core.group(`Gate ${candidate}`, () =>
    runGate({ repoDir: core.getInput('repo') || '.', candidateDir: candidate, log: (line) => core.info(line) }),
  );
  const e = run.evidence;
  core.setOutput('verdict', e.verdict);
  core.setOutput('version', e.candidate.version);
  core.setOutput('change', 'promotion');
  core.setOutput('evidence', run.evidencePath);
  core.setOutput('report', run.reportPath);
  await core.summary.addRaw(run.report).write();
  const against = e.champion ? `champion ${e.champion.version}` : 'no champion';
  if (e.verdict === 'pass') {
    core.notice(`gate PASS: ${e.candidate.version} vs ${against}: ${e.summary.passed} checks passed`);
    return;
  }
  const message = `gate FAIL: ${e.candidate.version} vs ${against}: ${failedChecks(e).join('; ')}`;
  if (failOnReject) core.setFailed(message);
  else core.warning(message);
}

async function gatePull(base: string, head: string, failOnReject: boolean): Promise<void> {
  const pull = github.context.payload.pull_request as { number: number; head: { sha: string } } | undefined;
  if (!pull) throw new Error(`pull-request mode needs a pull_request event, this is ${github.context.eventName}`);
  const token = core.getInput('token');
  if (!token) throw new Error('pull-request mode needs input token to comment and set the model-gate status');
  const outDir = path.join(process.env.RUNNER_TEMP ?? '.', 'gate');
  const gate = await core.group(`Re-gate pull request #${pull.number} from its files`, () =>
    gatePullRequest({ baseDir: base, headDir: head, outDir, log: (line) => core.info(line) }),
  );
  const comment = await publishPullRequestGate(octokitForgeFromEnv(process.env, token), gate, {
    pullRequest: pull.number,
    headSha: pull.head.sha,
    run: actionsRun(process.env),
  });
  core.info(`model-gate ${gate.state} on ${pull.head.sha}; report ${comment.htmlUrl}`);
  core.setOutput('verdict', gate.state === 'success' ? 'pass' : 'fail');
  core.setOutput('version', gate.version);
  core.setOutput('change', gate.change);
  core.setOutput('evidence', gate.evidence ? path.join(outDir, 'evidence.json') : '');
  core.setOutput('report', gate.evidence ? path.join(outDir, 'gate-report.md') : '');
  await core.summary.addRaw(gate.report).write();
  if (gate.state === 'success') return;
  const reasons = [...gate.discrepancies, ...(gate.evidence ? failedChecks(gate.evidence) : [gate.description])];
  const message = `model-gate failure for pull request #${pull.number} (${gate.change} of ${gate.version}): ${reasons.join('; ')}`;
  if (failOnReject) core.setFailed(message);
  else core.warning(message);
}

export async function run(): Promise<void> {
  try {
    const candidate = core.getInput('candidate');
    const base = core.getInput('base');
    const head = core.getInput('head');
    const failOnReject = core.getBooleanInput('fail-on-reject');
    if (candidate && (base || head)) throw new Error('give input candidate, or inputs base and head, not both');
    if (candidate) await gateCandidate(candidate, failOnReject);
    else if (base && head) await gatePull(base, head, failOnReject);
    else throw new Error('give input candidate (a trained candidate), or inputs base and head (a pull request)');
  } catch (error) {
    core.setFailed(`the gate could not run: ${errorMessage(error)}`);
  }
}
