/**
 * Git over HTTP — the smart protocol, served by git's own `git http-backend` (CGI) from Debian's
 * git — with GitHub's authentication: Basic credentials whose password is a token (what
 * `git clone https://x-access-token:TOKEN@host/o/r.git` and actions/checkout's extraheader send).
 * Pushes hold the repository's lock; the repository's hooks call back into the emulator for
 * branch protection (`/_emulator/hooks/update`) and push events (`/_emulator/hooks/post-receive`).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context, Hono } from 'hono';
import { refUpdateProblems } from './branch-protection.ts';
import type { EmulatorCore } from './core.ts';
import { afterRefUpdates } from './pull-requests.ts';
import { GitCommandError } from './store/git.ts';
import type { Repository } from './store/repository.ts';
import { type Principal, TokenRegistry, tokenFromAuthorization } from './tokens.ts';

export const HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';

type NodeBindings = { incoming: IncomingMessage; outgoing: ServerResponse };

function plain(c: Context, status: number, text: string, headers: Record<string, string> = {}) {
  return c.body(text, status as 401, { 'content-type': 'text/plain; charset=utf-8', ...headers });
}

/** Runs git-http-backend for one request, streaming the body in and the CGI answer out. */
function runBackend(repo: Repository, c: Context, pathInfo: string, env: Record<string, string>): Promise<void> {
  const { incoming, outgoing } = c.env as NodeBindings;
  return new Promise((resolve) => {
    const url = new URL(c.req.url);
    const child = spawn(HTTP_BACKEND, [], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: path.dirname(repo.dir),
        GIT_HTTP_EXPORT_ALL: '1',
        GIT_CONFIG_NOSYSTEM: '1',
        PATH_INFO: `/${path.basename(repo.dir)}${pathInfo}`,
        REQUEST_METHOD: c.req.method,
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: c.req.header('content-type') ?? '',
        REMOTE_ADDR: '127.0.0.1',
        ...(c.req.header('content-encoding') ? { HTTP_CONTENT_ENCODING: c.req.header('content-encoding')! } : {}),
        ...(c.req.header('git-protocol') ? { GIT_PROTOCOL: c.req.header('git-protocol')! } : {}),
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let head = Buffer.alloc(0);
    let headersSent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        outgoing.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      const endLf = head.indexOf('\n\n');
      const split = end >= 0 ? end : endLf;
      if (split < 0) return;
      const headerText = head.subarray(0, split).toString('latin1');
      const rest = head.subarray(split + (end >= 0 ? 4 : 2));
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of headerText.split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
        else headers[name] = value;
      }
      outgoing.writeHead(status, headers);
      headersSent = true;
      if (rest.length > 0) outgoing.write(rest);
    });
    child.stderr.on('data', () => {});
    child.stdin.on('error', () => {});
    incoming.pipe(child.stdin);
    child.on('close', () => {
      if (!headersSent) outgoing.writeHead(500, { 'content-type': 'text/plain' });
      outgoing.end();
      resolve();
    });
  });
}

function authenticate(core: EmulatorCore, c: Context): Principal | undefined | 'bad' {
  const header = c.req.header('authorization');
  if (!header) return undefined;
  const token = tokenFromAuthorization(header);
  return (token && core.tokens.lookup(token)) || 'bad';
}

const CHALLENGE = { 'www-authenticate': 'Basic realm="GitHub"' };

export function registerGitHttp(app: Hono, core: EmulatorCore, hookUrl: () => string): void {
  const handler = async (c: Context) => {
    const owner = c.req.param('owner')!;
    const rawName = c.req.param('name')!;
    const name = rawName.endsWith('.git') ? rawName.slice(0, -4) : rawName;
    const rest = c.req.path.slice(`/${owner}/${rawName}`.length);
    const repo = core.repository(owner, name);
    const service =
      rest === '/info/refs'
        ? new URL(c.req.url).searchParams.get('service')
        : rest === '/git-upload-pack'
          ? 'git-upload-pack'
          : rest === '/git-receive-pack'
            ? 'git-receive-pack'
            : null;
    if (!repo || !service || !['git-upload-pack', 'git-receive-pack'].includes(service))
      return plain(c, 404, 'Not Found\n');
    const auth = authenticate(core, c);
    if (auth === 'bad') {
      return plain(
        c,
        401,
        'Invalid username or token. Password authentication is not supported for Git operations.\n',
        CHALLENGE,
      );
    }
    const principal = auth;
    const write = service === 'git-receive-pack';
    if (!principal) {
      if (repo.state.private || write) return plain(c, 401, 'Authentication required\n', CHALLENGE);
    } else {
      if (!TokenRegistry.canAccess(principal, repo.fullName)) return plain(c, 404, 'Repository not found.\n');
      if (!TokenRegistry.has(principal, 'contents', write ? 'write' : 'read')) {
        return plain(c, 403, `Permission to ${repo.fullName}.git denied to ${principal.actor.login}.\n`);
      }
    }
    const env: Record<string, string> = { REMOTE_USER: principal?.actor.login ?? 'anonymous' };
    if (write && c.req.method === 'POST') {
      const pushId = randomUUID();
      core.pushes.set(pushId, { repo, principal: principal! });
      Object.assign(env, {
        TAXIWAY_EMULATOR_HOOK_URL: hookUrl(),
        TAXIWAY_EMULATOR_HOOK_SECRET: core.hookSecret,
        TAXIWAY_EMULATOR_PUSH_ID: pushId,
        TAXIWAY_EMULATOR_NODE: process.execPath,
        TAXIWAY_EMULATOR_PROTECTED: repo.state.protections.map((p) => `refs/heads/${p.branch}`).join(' '),
      });
      try {
        await repo.withLock(() => runBackend(repo, c, rest, env));
      } finally {
        core.pushes.delete(pushId);
      }
    } else {
      await runBackend(repo, c, rest, env);
    }
    return RESPONSE_ALREADY_SENT;
  };
  app.get('/:owner/:name/info/refs', handler);
  app.post('/:owner/:name/git-upload-pack', handler);
  app.post('/:owner/:name/git-receive-pack', handler);

  // The hooks' callbacks (see emulator/git-hooks/hook.ts); they run inside a push that holds the lock.
  app.post('/_emulator/hooks/:hook', async (c) => {
    if (c.req.header('x-taxiway-hook-secret') !== core.hookSecret) return c.json({ message: 'Forbidden' }, 403);
    const body = (await c.req.json()) as {
      pushId: string;
      objectDirectory?: string;
      alternateObjectDirectories?: string;
      ref?: string;
      before?: string;
      after?: string;
      updates?: { ref: string; before: string; after: string }[];
    };
    const session = core.pushes.get(body.pushId);
    if (!session) return c.json({ allowed: false, messages: ['unknown push'] });
    const { repo, principal } = session;
    if (c.req.param('hook') === 'update') {
      const objectEnv: Record<string, string> = {};
      if (body.objectDirectory) objectEnv.GIT_OBJECT_DIRECTORY = body.objectDirectory;
      if (body.alternateObjectDirectories) objectEnv.GIT_ALTERNATE_OBJECT_DIRECTORIES = body.alternateObjectDirectories;
      const isAncestor = async (ancestor: string, descendant: string) => {
        try {
          await repo.git.run(['merge-base', '--is-ancestor', ancestor, descendant], { env: objectEnv });
          return true;
        } catch (error) {
          if (error instanceof GitCommandError) return false;
          throw error;
        }
      };
      const messages = await refUpdateProblems(
        repo,
        principal,
        { ref: body.ref!, before: body.before!, after: body.after! },
        isAncestor,
      );
      return c.json({ allowed: messages.length === 0, messages });
    }
    await afterRefUpdates(core, repo, body.updates ?? [], principal);
    return c.json({ allowed: true });
  });
}
