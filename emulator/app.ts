/** The emulator's Hono app: REST route modules, git smart HTTP, log downloads, GitHub's 404. */
import { randomBytes } from 'node:crypto';
import { zipSync } from 'fflate';
import { Hono } from 'hono';
import type { EmulatorCore } from './core.ts';
import { registerGitHttp } from './git-http.ts';
import { ApiRouter, githubHeaders } from './http/api-router.ts';
import { EMULATED_OPERATIONS } from './openapi/operations.ts';
import { registerActionsRoutes } from './routes/actions.ts';
import { registerBranchProtectionRoutes } from './routes/branch-protection.ts';
import { registerCommitContentRoutes } from './routes/commits-contents.ts';
import { registerDeploymentRoutes } from './routes/deployments.ts';
import { registerGitObjectRoutes } from './routes/git-objects.ts';
import { registerGitRefRoutes } from './routes/git-refs.ts';
import { registerIssueCommentRoutes } from './routes/issue-comments.ts';
import { registerPullRoutes } from './routes/pulls.ts';
import { registerRepositoryRoutes } from './routes/repository.ts';
import { registerStatusRoutes } from './routes/statuses.ts';
import { verifyDownload } from './workflow-runs.ts';

/** A request id in GitHub's format (`X-GitHub-Request-Id: C0DE:1A2B:3C4D5E:6F7A8B:65F0A1B2`). */
function requestId(): string {
  const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();
  return `${hex(2)}:${hex(2)}:${hex(3)}:${hex(3)}:${Math.floor(Date.now() / 1000)
    .toString(16)
    .toUpperCase()}`;
}

export function createApp(core: EmulatorCore, hookUrl: () => string): { app: Hono; router: ApiRouter } {
  const app = new Hono();
  app.use('*', async (c, next) => {
    c.header('x-github-request-id', requestId());
    await next();
  });

  // Specific routes first: a branch name may end in `/protection`, a ref in `/status`.
  const router = new ApiRouter(app, core);
  registerBranchProtectionRoutes(router);
  registerRepositoryRoutes(router);
  registerStatusRoutes(router);
  registerGitRefRoutes(router);
  registerGitObjectRoutes(router);
  registerCommitContentRoutes(router);
  registerPullRoutes(router);
  registerIssueCommentRoutes(router);
  registerDeploymentRoutes(router);
  registerActionsRoutes(router);
  const missing = EMULATED_OPERATIONS.filter((op) => !router.registered.has(op));
  if (missing.length > 0) throw new Error(`operations in the subset without a route: ${missing.join(', ')}`);

  registerGitHttp(app, core, hookUrl);

  // Where the logs endpoints redirect to: signed, expiring, no token needed (like GitHub's).
  app.get('/_emulator/downloads/:owner/:repo/:kind/:id/:file', async (c) => {
    const { owner, repo: name, kind, id, file } = c.req.param();
    const repo = core.repository(owner, name);
    if (!repo || !verifyDownload(core.hookSecret, c.req.path, c.req.query('expires'), c.req.query('signature'))) {
      return c.text('Not Found', 404);
    }
    if (kind === 'jobs' && file === 'log.txt') {
      return c.body(await repo.readLog(Number(id)), 200, { 'content-type': 'text/plain; charset=utf-8' });
    }
    if (kind === 'runs' && file === 'logs.zip') {
      const jobs = repo.state.jobs.filter((j) => j.runId === Number(id));
      const files: Record<string, Uint8Array> = {};
      for (const [index, job] of jobs.entries()) {
        files[`${index}_${job.name.replace(/[/\\:]/g, '_')}.txt`] = Buffer.from(await repo.readLog(job.id));
      }
      return c.body(Buffer.from(zipSync(files)), 200, {
        'content-type': 'application/zip',
        'content-disposition': `attachment; filename=logs_${id}.zip`,
      });
    }
    return c.text('Not Found', 404);
  });

  app.notFound((c) =>
    c.json(
      { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' },
      404,
      githubHeaders(undefined, 0),
    ),
  );
  app.onError((error, c) => {
    core.violation('response', `${c.req.method} ${c.req.path}`, [`unhandled: ${error.stack ?? error.message}`]);
    return c.json({ message: 'Server Error', documentation_url: 'https://docs.github.com/rest' }, 500);
  });
  return { app, router };
}
