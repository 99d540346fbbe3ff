/**
 * POST /v1/feedback: the real outcome of a predicted flight, joined to its prediction in the
 * prediction store (by the request id and row the prediction returned, or by the flight itself),
 * then counted by version and slice (monitoring.ts) and in this replica's online-quality window.
 */
import { DELAY_THRESHOLD_MINUTES } from '../../lib/data/flights.ts';
import type { ModelMonitoring } from '../monitoring.ts';
import type { OnlineQuality } from '../online-quality.ts';
import type { PredictionStore } from '../prediction-store.ts';
import { parseFeedbackBody } from '../validation.ts';
import type { RouteModule } from './context.ts';

export const FEEDBACK_PATH = '/v1/feedback';

export function feedbackRoutes({
  store,
  monitoring,
  quality,
}: {
  store: PredictionStore;
  monitoring: ModelMonitoring;
  quality: OnlineQuality;
}): RouteModule {
  return (app, { metrics, readJson, fail, replyJson }) => {
    const hours = store.limits.maxAgeMs / 3_600_000;
    const kept = `the predictions of the last ${hours} hours (at most ${store.limits.maxRows} rows)`;
    app.post(FEEDBACK_PATH, async (c) => {
      const request = parseFeedbackBody(await readJson(c));
      const { target } = request;
      const field = target.kind === 'request' ? 'requestId' : 'flight';
      const found = await store.claim(target);
      if (!found.found) {
        metrics.feedback.labels('unmatched').inc();
        const what =
          target.kind === 'request'
            ? `requestId ${JSON.stringify(target.requestId)}${target.index > 0 ? ` row ${target.index}` : ''}`
            : `flight ${target.origin}→${target.destination} at ${target.departure}`;
        return fail(c, 404, [{ field, problem: `does not match a recent prediction: ${what} is not among ${kept}` }]);
      }
      const p = found.prediction;
      if (found.duplicate) {
        metrics.feedback.labels('duplicate').inc();
        const which =
          target.kind === 'request'
            ? `request ${target.requestId} row ${target.index}`
            : 'the latest prediction for this flight';
        return fail(c, 409, [{ field, problem: `already has an outcome: ${which} was reported before` }]);
      }
      metrics.feedback.labels('matched').inc();
      const flagged = p.probability >= p.threshold;
      monitoring.observeOutcome(p, request.delayMinutes);
      quality.add(p.probability, request.delayMinutes, flagged);
      return replyJson(c, {
        requestId: target.kind === 'request' ? target.requestId : null,
        index: p.row,
        model: p.version,
        probability: p.probability,
        flagged,
        delayed: request.delayMinutes > DELAY_THRESHOLD_MINUTES,
        quality: quality.snapshot(),
      });
    });
  };
}
