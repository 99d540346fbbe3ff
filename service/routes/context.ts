/**
 * What every route module gets: the app's dependencies and the response helpers they all use.
 * Responses are built as a Response with a plain header record: that keeps @hono/node-server on
 * its fast path (Hono's c.header/c.json build a WHATWG Headers object, which costs more than a
 * prediction's own work).
 */
import type { Context, Hono } from 'hono';
import { header, isJsonContentType, type NodeBindings, parseJson, readBody } from '../http-io.ts';
import type { Logger } from '../logger.ts';
import type { ServiceMetrics } from '../service-metrics.ts';
import { formatIssue, type Issue, RequestError } from '../validation.ts';
import type { AppConfig, ModelProvider, ServiceState } from '../app.ts';

export type Env = { Bindings: NodeBindings; Variables: { requestId: string } };
export type Ctx = Context<Env>;
export type App = Hono<Env>;

export const JSON_TYPE = 'application/json; charset=utf-8';

export interface RouteContext {
  config: AppConfig;
  models: ModelProvider;
  metrics: ServiceMetrics;
  logger: Logger;
  state: ServiceState;
  /** Monotonic milliseconds. */
  now: () => number;
  reply(c: Ctx, status: number, text: string, extra?: Record<string, string>): Response;
  replyJson(c: Ctx, value: unknown, status?: number): Response;
  fail(c: Ctx, status: number, issues: Issue[] | string, headers?: Record<string, string>): Response;
  /** Content type and size checks, then the parsed body, for the POST routes that read JSON. */
  readJson(c: Ctx): Promise<unknown>;
  /**
   * Runs `handler` counted against MAX_INFLIGHT concurrent predictions; 429 with Retry-After past it.
   * The predict route and the bench's echo control share it, so both pay the same guard.
   */
  limited(c: Ctx, handler: (c: Ctx) => Promise<Response>): Promise<Response>;
}

/** A route group: registers its routes on the app. */
export type RouteModule = (app: App, ctx: RouteContext) => void;

export function errorBody(status: number, requestId: string, issues: Issue[] | string) {
  const list = typeof issues === 'string' ? [] : issues;
  const message = typeof issues === 'string' ? issues : formatIssue(issues[0] ?? { field: '', problem: 'bad request' });
  return {
    error: {
      status,
      message,
      ...(list.length > 0
        ? { issues: list.map((i) => ({ field: i.field, problem: i.problem, message: formatIssue(i) })) }
        : {}),
    },
    requestId,
  };
}

export function createRouteContext(
  deps: Pick<RouteContext, 'config' | 'models' | 'metrics' | 'logger' | 'state' | 'now'>,
): RouteContext {
  const { config, metrics, state } = deps;
  const reply: RouteContext['reply'] = (c, status, text, extra) => {
    const headers: Record<string, string> = { 'content-type': JSON_TYPE, 'x-request-id': c.get('requestId') };
    if (extra) for (const key in extra) headers[key] = extra[key];
    // While draining, tell keep-alive clients to reconnect (to another replica).
    if (state.draining) headers.connection = 'close';
    return new Response(text, { status, headers });
  };
  const fail: RouteContext['fail'] = (c, status, issues, headers) =>
    reply(c, status, JSON.stringify(errorBody(status, c.get('requestId'), issues)), headers);
  const rejectedOverload = metrics.rejected.labels('overload');
  let active = 0;
  return {
    ...deps,
    reply,
    fail,
    replyJson: (c, value, status = 200) => reply(c, status, JSON.stringify(value)),
    async readJson(c) {
      const type = header(c, 'content-type');
      if (!isJsonContentType(type)) {
        throw new RequestError(415, [
          {
            field: 'content-type',
            problem: `must be application/json, got ${type === undefined ? 'none' : JSON.stringify(type.slice(0, 60))}`,
          },
        ]);
      }
      return parseJson(await readBody(c, config.maxBodyBytes));
    },
    async limited(c, handler) {
      if (active >= config.maxInflight) {
        rejectedOverload.inc();
        return fail(
          c,
          429,
          `the service is at its limit of ${config.maxInflight} concurrent predictions; retry shortly`,
          { 'retry-after': '1' },
        );
      }
      active++;
      try {
        return await handler(c);
      } finally {
        active--;
      }
    },
  };
}
