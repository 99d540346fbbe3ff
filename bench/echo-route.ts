/**
 * The bench's control route, POST /bench/echo: the framework ceiling `npm run bench:serve`
 * measures (a) against, and the no-model control of its fixed-rate runs. It pays exactly what a
 * single-row prediction pays outside validation and the model — the same middleware, the same
 * MAX_INFLIGHT guard (`ctx.limited`), the same body reading and JSON parsing, the same reply
 * helper — and answers a fixed body of a prediction's size. It is mounted only by bench-server.ts,
 * never by the service.
 */
import { randomUUID } from 'node:crypto';
import type { Ctx, RouteModule } from '../service/app.ts';

export const ECHO_PATH = '/bench/echo';

export const echoRoutes: RouteModule = (app, ctx) => {
  const fixed = JSON.stringify({
    requestId: randomUUID(),
    model: '2001-05-01-00000000',
    probability: 0.15301425755023956,
    delayed: false,
    threshold: 0.2232142835855484,
  });
  const echo = async (c: Ctx) => {
    const body = await ctx.readJson(c);
    if (typeof body !== 'object' || body === null) return ctx.fail(c, 400, 'body must be an object');
    return ctx.reply(c, 200, fixed, { 'x-model-version': '2001-05-01-00000000' });
  };
  app.post(ECHO_PATH, (c) => ctx.limited(c, echo));
};
