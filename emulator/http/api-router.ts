/**
 * Registers one REST operation of the OpenAPI subset on the Hono app and runs GitHub's request
 * pipeline around its handler: repository lookup, token authentication and permissions, body
 * limits and JSON parsing, request validation (GitHub's 422 "Invalid request" words), then the
 * handler, then response validation against the description (a mismatch is a recorded violation
 * and, in strict mode, a 500 that fails the test that caused it), pagination and GitHub's headers.
 */
import type { Context, Hono } from 'hono';
import type { EmulatorCore } from '../core.ts';
import type { Site } from '../present.ts';
import type { Permission, PermissionName } from '../store/records.ts';
import type { Repository } from '../store/repository.ts';
import { type Principal, TokenRegistry, tokenFromAuthorization } from '../tokens.ts';
import { ApiError, errorBody } from './api-error.ts';

export interface ApiRequest {
  core: EmulatorCore;
  repo: Repository;
  principal: Principal | undefined;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
  site: Site;
  hono: Context;
}

export interface ApiResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A non-JSON answer (a raw media type such as `application/vnd.github.raw`); not schema-checked. */
  raw?: { body: Buffer; contentType: string; mediaType: string };
}

export type ApiHandler = (request: ApiRequest) => Promise<ApiResult>;

export interface RouteOptions {
  /** The fine-grained permission the operation needs (GitHub's "Repository permissions"). */
  permission: [PermissionName, Permission] | [PermissionName, Permission, PermissionName];
  /** More Hono paths for the same operation (GitHub answers `/contents/` for the root too). */
  alsoAt?: string[];
}

/** Bodies larger than this are refused with 413 before parsing. */
export const BODY_LIMIT = 64 * 1024 * 1024;

/** `{name}` → `:name`; the last parameter of a path may hold slashes (refs, file paths, branches). */
function honoPath(template: string): string {
  const names = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  const slashy = new Set(['ref', 'path', 'branch']);
  return template.replace(/\{(\w+)\}/g, (_, name: string) =>
    slashy.has(name) && name === names[names.length - 1] ? `:${name}{.+}` : `:${name}`,
  );
}

function queryObject(c: Context): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, values] of Object.entries(c.req.queries())) out[key] = values.length === 1 ? values[0] : values;
  return out;
}

/** A 403 in the words GitHub uses for the kind of token. */
function forbidden(principal: Principal): ApiError {
  return new ApiError(
    403,
    principal.kind === 'user'
      ? 'Resource not accessible by personal access token'
      : 'Resource not accessible by integration',
  );
}

function authenticate(core: EmulatorCore, c: Context): Principal | undefined | 'bad' {
  const header = c.req.header('authorization');
  if (!header) return undefined;
  const token = tokenFromAuthorization(header);
  const principal = token ? core.tokens.lookup(token) : undefined;
  return principal ?? 'bad';
}

async function readBody(c: Context): Promise<unknown> {
  const length = Number(c.req.header('content-length') ?? '0');
  if (length > BODY_LIMIT) throw new ApiError(413, 'Payload Too Large');
  const raw = await c.req.arrayBuffer();
  if (raw.byteLength > BODY_LIMIT) throw new ApiError(413, 'Payload Too Large');
  if (raw.byteLength === 0) return {};
  try {
    return JSON.parse(Buffer.from(raw).toString('utf8')) as unknown;
  } catch {
    throw new ApiError(400, 'Problems parsing JSON');
  }
}

/** Headers GitHub sends on every REST answer. */
export function githubHeaders(principal: Principal | undefined, used: number): Record<string, string> {
  const limit = principal ? 5000 : 60;
  const reset = Math.ceil(Date.now() / 3_600_000) * 3600;
  return {
    'x-github-media-type': 'github.v3; format=json',
    'x-github-api-version-selected': '2022-11-28',
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-remaining': String(Math.max(0, limit - used)),
    'x-ratelimit-reset': String(reset),
    'x-ratelimit-used': String(Math.min(used, limit)),
    'x-ratelimit-resource': 'core',
    'access-control-expose-headers':
      'ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, X-Poll-Interval, X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset',
    'access-control-allow-origin': '*',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'deny',
    'content-security-policy': "default-src 'none'",
  };
}

export class ApiRouter {
  private readonly app: Hono;
  private readonly core: EmulatorCore;
  /** Requests counted per token in the current hour, for the rate-limit headers (never enforced). */
  private readonly usage = new Map<string, { hour: number; used: number }>();
  readonly registered = new Set<string>();

  constructor(app: Hono, core: EmulatorCore) {
    this.app = app;
    this.core = core;
  }

  private count(principal: Principal | undefined, c: Context): number {
    const key = principal?.token ?? `anonymous:${c.req.header('x-forwarded-for') ?? 'local'}`;
    const hour = Math.floor(Date.now() / 3_600_000);
    const entry = this.usage.get(key);
    const used = entry && entry.hour === hour ? entry.used + 1 : 1;
    this.usage.set(key, { hour, used });
    return used;
  }

  route(operation: string, options: RouteOptions, handler: ApiHandler): void {
    const op = this.core.api.operation(operation);
    this.registered.add(operation);
    const method = op.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    this.app.on(method.toUpperCase(), [honoPath(op.path), ...(options.alsoAt ?? [])], async (c) => {
      let principal: Principal | undefined;
      let status = 500;
      let body: unknown;
      let headers: Record<string, string> = {};
      let raw: ApiResult['raw'];
      try {
        const auth = authenticate(this.core, c);
        if (auth === 'bad') throw new ApiError(401, 'Bad credentials');
        principal = auth;
        const params = { ...(c.req.param() as Record<string, string>) };
        // An alias path (`/contents/` for the root) leaves the last parameter empty.
        for (const p of op.parameters) if (p.in === 'path' && params[p.name] === undefined) params[p.name] = '';
        const repo = this.core.repository(params.owner ?? '', params.repo ?? '');
        if (!repo) throw new ApiError(404, 'Not Found');
        const [permission, level, alternative] = options.permission;
        if (!principal) {
          if (repo.state.private) throw new ApiError(404, 'Not Found');
          if (level === 'write') throw new ApiError(401, 'Requires authentication');
        } else {
          if (!TokenRegistry.canAccess(principal, repo.fullName)) throw new ApiError(404, 'Not Found');
          const allowed =
            TokenRegistry.has(principal, permission, level) ||
            (alternative !== undefined && TokenRegistry.has(principal, alternative, level));
          if (!allowed) throw forbidden(principal);
        }
        // No ref, path or branch name holds a NUL byte (and git's arguments cannot).
        if (Object.values(params).some((v) => v.includes('\0'))) throw new ApiError(404, 'Not Found');
        const query = queryObject(c);
        if (JSON.stringify(query).includes('\\u0000'))
          throw new ApiError(422, 'Invalid request.\n\nQuery parameters may not contain NUL.');
        const requestBody = op.hasBody ? await readBody(c) : {};
        const problem = this.core.api.validateRequest(operation, { path: params, query, body: requestBody });
        if (problem) throw new ApiError(problem.status, problem.message);
        const result = await handler({
          core: this.core,
          repo,
          principal,
          params,
          query,
          body: requestBody as Record<string, unknown>,
          site: this.core.site,
          hono: c,
        });
        status = result.status;
        body = result.body;
        headers = result.headers ?? {};
        raw = result.raw;
      } catch (error) {
        if (!(error instanceof ApiError)) {
          // A bug in the emulator: answer like GitHub's 500 and keep the evidence.
          this.core.violation('response', operation, [
            `handler threw: ${error instanceof Error ? error.stack : String(error)}`,
          ]);
          throw error;
        }
        status = error.status;
        body = errorBody(error, op.documentationUrl);
        headers = error.headers;
      }
      if (raw) {
        const all = { ...githubHeaders(principal, this.count(principal, c)), 'x-github-media-type': raw.mediaType };
        return c.body(new Uint8Array(raw.body), status as 200, { ...all, 'content-type': raw.contentType });
      }
      const problems = this.core.api.validateResponse(operation, status, body);
      if (problems.length > 0) {
        this.core.violation('response', `${c.req.method} ${c.req.path}`, problems);
        if (this.core.strict) {
          status = 500;
          body = { message: `emulator response violates GitHub's OpenAPI description: ${problems.join('; ')}` };
          headers = {};
        }
      }
      const all = { ...githubHeaders(principal, this.count(principal, c)), ...headers };
      if (status === 204 || status === 205 || status === 304 || body === undefined) {
        return c.body(null, status as 204, all);
      }
      return c.body(JSON.stringify(body), status as 200, { ...all, 'content-type': 'application/json; charset=utf-8' });
    });
  }
}

/** GitHub's pagination: `per_page` (default 30, at most 100), `page`, and the `Link` header. */
export function paginate<T>(request: ApiRequest, items: T[]): { items: T[]; headers: Record<string, string> } {
  const perPage = Math.min(100, Math.max(1, Number(request.query.per_page ?? 30) || 30));
  const page = Math.max(1, Number(request.query.page ?? 1) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const url = new URL(request.hono.req.url);
  const base = `${request.site.api}${url.pathname}`;
  const link = (p: number, rel: string) => {
    const params = new URLSearchParams(url.search);
    params.set('per_page', String(perPage));
    params.set('page', String(p));
    return `<${base}?${params.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, 'prev'));
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  if (page > 1) links.push(link(1, 'first'));
  return { items: slice, headers: links.length > 0 ? { link: links.join(', ') } : {} };
}
