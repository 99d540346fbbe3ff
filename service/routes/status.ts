/** GET /healthz (liveness), GET /readyz (readiness) and GET /v1/model (what serves, with lineage). */
import type { RouteModule } from './context.ts';

export const HEALTHZ_PATH = '/healthz';
export const READYZ_PATH = '/readyz';
export const MODEL_PATH = '/v1/model';

export const healthRoutes: RouteModule = (app, { models, state, replyJson }) => {
  app.get(HEALTHZ_PATH, (c) =>
    replyJson(c, { status: 'ok', uptimeSeconds: Math.round((Date.now() - state.startedAt) / 1000) }),
  );
  app.get(READYZ_PATH, (c) => {
    const ready = models.current !== null && !state.draining;
    return replyJson(c, { ready, draining: state.draining, ...models.status() }, ready ? 200 : 503);
  });
};

export const modelRoutes: RouteModule = (app, { models, replyJson }) => {
  app.get(MODEL_PATH, (c) => replyJson(c, models.describe()));
};
