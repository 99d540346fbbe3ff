/**
 * The verdict of a latency bar measured by a load generator on the same machine as the service,
 * judged against a control route that does no work (the bench's echo). The loader's p99 holds the
 * loader's and the machine's stalls as well as the service's; the control's p99 is that floor. When
 * the floor itself is over the bar, the run cannot say whether the service meets it: a FAIL would
 * blame the service for the machine, a PASS would claim what was not measured.
 */
export type LatencyVerdict = 'pass' | 'fail' | 'inconclusive';

export interface LatencyBarInput {
  /** The route's p99 (ms) at the fixed rate. */
  p99Ms: number;
  /** The no-work control's p99 (ms) at the same rate, measured in turns with the route. */
  controlP99Ms: number;
  barMs: number;
}

export function latencyVerdict({ p99Ms, controlP99Ms, barMs }: LatencyBarInput): LatencyVerdict {
  if (!Number.isFinite(p99Ms)) return 'fail';
  if (p99Ms <= barMs) return 'pass';
  return Number.isFinite(controlP99Ms) && controlP99Ms > barMs ? 'inconclusive' : 'fail';
}
