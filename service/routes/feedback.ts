/** POST /v1/feedback: the real outcome of a predicted flight, joined to its prediction. */
import { DELAY_THRESHOLD_MINUTES } from '../../lib/data/flights.ts';
import type { OnlineQuality, PredictionLog } from '../feedback.ts';
import { parseFeedbackBody } from '../validation.ts';
import type { RouteModule } from './context.ts';

export const FEEDBACK_PATH = '/v1/feedback';

export function feedbackRoutes({
  predictions,
  quality,
}: {
  predictions: PredictionLog;
  quality: OnlineQuality;
}): RouteModule {
  return (app, { metrics, readJson, fail, replyJson }) => {
    app.post(FEEDBACK_PATH, async (c) => {
      const request = parseFeedbackBody(await readJson(c));
      const { target } = request;
      const found =
        target.kind === 'request'
          ? predictions.claimByRequest(target.requestId, target.index)
          : predictions.claimByFlight(target.departure, target.origin, target.destination);
      if (!found.found) {
        metrics.feedback.labels('unmatched').inc();
        const what =
          target.kind === 'request'
            ? `requestId ${JSON.stringify(target.requestId)}${target.index > 0 ? ` row ${target.index}` : ''}`
            : `flight ${target.origin}→${target.destination} at ${target.departure}`;
        return fail(c, 404, [
          {
            field: target.kind === 'request' ? 'requestId' : 'flight',
            problem: `does not match a recent prediction: ${what} is not among the last ${predictions.capacity} predicted rows`,
          },
        ]);
      }
      const p = found.prediction;
      if (found.duplicate) {
        metrics.feedback.labels('duplicate').inc();
        return fail(c, 409, [
          {
            field: target.kind === 'request' ? 'requestId' : 'flight',
            problem: `already has an outcome: ${p.requestId === null ? 'the latest prediction for this flight' : `request ${p.requestId} row ${p.index}`} was reported before`,
          },
        ]);
      }
      metrics.feedback.labels('matched').inc();
      quality.add(p.probability, request.delayMinutes, p.flagged);
      return replyJson(c, {
        requestId: p.requestId,
        index: p.index,
        model: p.version,
        probability: p.probability,
        flagged: p.flagged,
        delayed: request.delayMinutes > DELAY_THRESHOLD_MINUTES,
        quality: quality.snapshot(),
      });
    });
  };
}
