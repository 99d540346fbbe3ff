/**
 * The verdict of a p99 latency bar measured by a load generator on the same machine as the service,
 * judged with two more readings: a control route that does no work (the bench's echo), measured in
 * turns with the route — the floor the loader and the machine put under any p99 — and the service's
 * own clock (its latency histogram, from a request's arrival to its response), which the loader's
 * stalls do not enter. When the service's own clock puts more than 1% of answers over the bar, the
 * service missed it, whatever the loader saw. When it does not, but the loader's p99 and the
 * control's are both over the bar, the run cannot say: a FAIL would blame the service for the
 * machine, a PASS would claim what was not measured.
 */
export type LatencyVerdict = 'pass' | 'fail' | 'inconclusive';

export interface LatencyBarInput {
  /** The route's p99 (ms) at the fixed rate, as the loader saw it. */
  p99Ms: number;
  /** The no-work control's p99 (ms) at the same rate. */
  controlP99Ms: number;
  /** Share of the route's answers the service itself took longer than the bar for; NaN if unknown. */
  serviceOverShare: number;
  barMs: number;
}

export function latencyVerdict({ p99Ms, controlP99Ms, serviceOverShare, barMs }: LatencyBarInput): LatencyVerdict {
  if (!Number.isFinite(p99Ms)) return 'fail';
  if (p99Ms <= barMs) return 'pass';
  if (serviceOverShare > 0.01) return 'fail';
  return Number.isFinite(controlP99Ms) && controlP99Ms > barMs ? 'inconclusive' : 'fail';
}
