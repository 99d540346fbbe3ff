/**
 * GitHub Actions: workflows, workflow_dispatch, runs, jobs, and their logs (the logs endpoints
 * answer 302 with a signed, short-lived download URL, as GitHub does).
 */
import { ApiError } from '../http/api-error.ts';
import { type ApiRequest, type ApiRouter, paginate } from '../http/api-router.ts';
import { job, workflow, workflowRun } from '../present.ts';
import type { WorkflowRunRecord } from '../store/records.ts';
import { workflowDispatchPayload } from '../webhooks.ts';
import {
  checkDispatchInputs,
  createRun,
  findJob,
  findRun,
  findWorkflow,
  listWorkflows,
  signDownload,
  workflowFiles,
} from '../workflow-runs.ts';
import { resolveRef } from './commits-contents.ts';

const CONCLUSIONS = new Set([
  'success',
  'failure',
  'neutral',
  'cancelled',
  'skipped',
  'timed_out',
  'action_required',
  'stale',
]);

async function presentRun(request: ApiRequest, run: WorkflowRunRecord) {
  const head =
    (await request.repo.git.objectType(run.headSha)) === 'commit'
      ? await request.repo.git.readCommit(run.headSha)
      : null;
  return workflowRun(request.site, request.repo, run, head);
}

async function listRuns(request: ApiRequest, runs: WorkflowRunRecord[]) {
  const { query } = request;
  const filtered = runs
    .filter(
      (r) =>
        (query.branch === undefined || r.headBranch === query.branch) &&
        (query.event === undefined || r.event === query.event) &&
        (query.actor === undefined || r.actor.login === query.actor) &&
        (query.head_sha === undefined || r.headSha === query.head_sha) &&
        (query.status === undefined ||
          (CONCLUSIONS.has(String(query.status)) ? r.conclusion === query.status : r.status === query.status)),
    )
    .sort((a, b) => b.id - a.id);
  const page = paginate(request, filtered);
  const workflowRuns = [];
  for (const run of page.items) workflowRuns.push(await presentRun(request, run));
  return { status: 200, headers: page.headers, body: { total_count: filtered.length, workflow_runs: workflowRuns } };
}

export function registerActionsRoutes(router: ApiRouter): void {
  router.route('GET /repos/{owner}/{repo}/actions/workflows', { permission: ['actions', 'read'] }, async (request) => {
    const workflows = await listWorkflows(request.repo);
    const page = paginate(request, workflows);
    return {
      status: 200,
      headers: page.headers,
      body: {
        total_count: workflows.length,
        workflows: page.items.map((w) => workflow(request.site, request.repo, w)),
      },
    };
  });

  router.route(
    'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}',
    { permission: ['actions', 'read'] },
    async (request) => {
      const found = await findWorkflow(request.repo, request.params.workflow_id!);
      if (!found) throw new ApiError(404, 'Not Found');
      return { status: 200, body: workflow(request.site, request.repo, found) };
    },
  );

  router.route(
    'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches',
    { permission: ['actions', 'write'] },
    async (request) => {
      const { repo, body, core, principal, site } = request;
      return repo.withLock(async () => {
        const found = await findWorkflow(repo, request.params.workflow_id!);
        if (!found) throw new ApiError(404, 'Not Found');
        const ref = String(body.ref);
        const sha = await resolveRef(repo, ref);
        if (!sha) throw new ApiError(422, `No ref found for: ${ref}`);
        const file = (await workflowFiles(repo, sha)).find((f) => f.path === found.path);
        if (!file) throw new ApiError(404, `Workflow ${found.path} not found at ${ref}`);
        const inputs = checkDispatchInputs(file.text, (body.inputs as Record<string, unknown> | undefined) ?? {});
        const branch = (await repo.git.readRef(`refs/heads/${ref.replace(/^refs\/heads\//, '')}`))
          ? ref.replace(/^refs\/heads\//, '')
          : null;
        const run = createRun(
          repo,
          {
            workflowPath: found.path,
            event: 'workflow_dispatch',
            headSha: sha,
            headBranch: branch,
            actor: principal?.actor,
          },
          file.text,
        );
        core.emit(
          repo,
          'workflow_dispatch',
          'workflow-dispatch',
          workflowDispatchPayload(
            core,
            repo,
            found.path,
            ref.startsWith('refs/') ? ref : `refs/heads/${ref}`,
            inputs,
            principal,
          ),
          principal,
          { workflowRunId: run.id },
        );
        if (body.return_run_details === true) {
          const json = workflowRun(site, repo, run, null);
          return { status: 200, body: { workflow_run_id: run.id, run_url: json.url, html_url: json.html_url } };
        }
        return { status: 204 };
      });
    },
  );

  router.route(
    'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs',
    { permission: ['actions', 'read'] },
    async (request) => {
      const found = await findWorkflow(request.repo, request.params.workflow_id!);
      if (!found) throw new ApiError(404, 'Not Found');
      return listRuns(
        request,
        request.repo.state.runs.filter((r) => r.workflowId === found.id),
      );
    },
  );

  router.route('GET /repos/{owner}/{repo}/actions/runs', { permission: ['actions', 'read'] }, async (request) =>
    listRuns(request, request.repo.state.runs),
  );

  router.route(
    'GET /repos/{owner}/{repo}/actions/runs/{run_id}',
    { permission: ['actions', 'read'] },
    async (request) => ({
      status: 200,
      body: await presentRun(request, findRun(request.repo, Number(request.params.run_id))),
    }),
  );

  router.route(
    'GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs',
    { permission: ['actions', 'read'] },
    async (request) => {
      const run = findRun(request.repo, Number(request.params.run_id));
      const jobs = request.repo.state.jobs.filter((j) => j.runId === run.id);
      const page = paginate(request, jobs);
      return {
        status: 200,
        headers: page.headers,
        body: { total_count: jobs.length, jobs: page.items.map((j) => job(request.site, request.repo, j, run)) },
      };
    },
  );

  router.route(
    'GET /repos/{owner}/{repo}/actions/runs/{run_id}/logs',
    { permission: ['actions', 'read'] },
    async (request) => {
      const run = findRun(request.repo, Number(request.params.run_id));
      const path = `/_emulator/downloads/${request.repo.fullName}/runs/${run.id}/logs.zip`;
      return {
        status: 302,
        headers: { location: `${request.site.web}${signDownload(request.core.hookSecret, path)}` },
      };
    },
  );

  router.route(
    'GET /repos/{owner}/{repo}/actions/jobs/{job_id}',
    { permission: ['actions', 'read'] },
    async (request) => {
      const j = findJob(request.repo, Number(request.params.job_id));
      return { status: 200, body: job(request.site, request.repo, j, findRun(request.repo, j.runId)) };
    },
  );

  router.route(
    'GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs',
    { permission: ['actions', 'read'] },
    async (request) => {
      const j = findJob(request.repo, Number(request.params.job_id));
      const path = `/_emulator/downloads/${request.repo.fullName}/jobs/${j.id}/log.txt`;
      return {
        status: 302,
        headers: { location: `${request.site.web}${signDownload(request.core.hookSecret, path)}` },
      };
    },
  );
}
