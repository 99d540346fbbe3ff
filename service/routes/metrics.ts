/** GET /metrics (Prometheus text format) and GET /openapi.json. */
import type { OnlineQuality } from '../online-quality.ts';
import { openApiDocument } from '../openapi.ts';
import { EXPOSITION_CONTENT_TYPE } from '../prometheus.ts';
import type { ServiceMetrics } from '../service-metrics.ts';
import type { RouteModule } from './context.ts';

export const METRICS_PATH = '/metrics';
export const OPENAPI_PATH = '/openapi.json';

export function metricsRoutes({
  quality,
  collectProcessMetrics,
}: {
  quality: OnlineQuality;
  /** Refreshes process-level gauges before /metrics renders (the server passes the real one). */
  collectProcessMetrics?: (metrics: ServiceMetrics) => void;
}): RouteModule {
  return (app, { metrics, models, state, reply }) => {
    app.get(METRICS_PATH, (c) => {
      metrics.inflight.set(state.inflight);
      metrics.ready.set(models.current !== null && !state.draining ? 1 : 0);
      const q = quality.snapshot();
      metrics.onlineRows.set(q.rows);
      const optional = [
        [metrics.onlineDelayedRate, q.delayedRate],
        [metrics.onlineFlagRate, q.flagRate],
        [metrics.onlineAuc, q.auc],
        [metrics.onlineRecall, q.recallAtBudget],
        [metrics.onlinePrecision, q.precisionAtBudget],
        [metrics.onlineRecallAtThreshold, q.recallAtThreshold],
      ] as const;
      // Undefined figures (no feedback yet, one class only) are absent series, not zeros.
      for (const [gauge, value] of optional) {
        if (value === null) gauge.clear();
        else gauge.set(value);
      }
      collectProcessMetrics?.(metrics);
      return reply(c, 200, metrics.registry.render(), { 'content-type': EXPOSITION_CONTENT_TYPE });
    });
  };
}

export const openApiRoutes: RouteModule = (app, { config, reply }) => {
  const documentText = JSON.stringify(openApiDocument(config));
  app.get(OPENAPI_PATH, (c) => reply(c, 200, documentText));
};
