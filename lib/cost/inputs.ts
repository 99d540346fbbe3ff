/**
 * The inputs of COST.md (docs/cost-inputs.json): stated assumptions (traffic, prices with their
 * source and date, sizing rules) and measured figures (each with the command that produced it).
 * `parseCostInputs` checks the shape and names the field that is wrong.
 */

/** A list price, with where it was read and for which date. */
export interface Price {
  usd: number;
  /** 'hour', 'month', 'GB-month', 'GB-second', 'GB', 'minute', 'LCU-hour'. */
  per: string;
  source: string;
  asOf: string;
}

/** Requests a month come from flights (predictions and feedback per flight) or from a fixed rate. */
export interface TrafficScenario {
  id: string;
  label: string;
  /** Where the volume comes from. */
  basis: string;
  flightsPerDay?: number;
  /** Predictions plus feedback calls per flight. */
  requestsPerFlight?: number;
  /** Instead of flights: a fixed average request rate. */
  requestsPerSecond?: number;
  /** Busiest hour over the average hour. */
  peakToAverage: number;
}

export interface MeasuredServing {
  command: string;
  measuredAt: string;
  machine: string;
  model: string;
  loadBefore: number[];
  /** Median round of (b): single-row POST /v1/predict, closed loop, 64 connections. */
  singleRowRps: number;
  /** Server CPU per single-row request in that round. */
  singleRowCpuUs: number;
  singleRowP50Ms: number;
  /** Median round of (c): 256-row requests, rows per second. */
  batchRowsPerSecond: number;
  batchCpuUsPerRequest: number;
  batchRows: number;
  /** Peak resident memory of a replica under load (npm run bench:memory, deploy/README.md). */
  peakRssMiB: number;
  peakRssCommand: string;
}

export interface MeasuredWorkflow {
  /** A step of a workflow job and its measured wall time. */
  steps: { name: string; seconds: number; command: string; measuredAt: string; note?: string }[];
}

export interface MeasuredVersion {
  version: string;
  /** Bytes of each file of the version's folder, as committed. */
  files: Record<string, number>;
  /** The same, compressed as git stores them (objectsize:disk after `git gc`). */
  diskBytes: number;
}

export interface MeasuredStorage {
  command: string;
  measuredAt: string;
  versions: MeasuredVersion[];
  /** A bare single-branch clone of the repository (what each replica fetches on start). */
  cloneBytes: number;
  cloneCommand: string;
}

export interface Job {
  id: string;
  label: string;
  /** Runs a month; `runsPerMonthBasis` says why. */
  runsPerMonth: number;
  runsPerMonthBasis: string;
  /** Names of measured steps (`measured.training.steps`) plus assumed seconds. */
  measuredSteps: string[];
  assumedSeconds: number;
  assumedSecondsBasis: string;
}

export interface CostInputs {
  hoursPerMonth: number;
  traffic: TrafficScenario[];
  sizing: {
    /** Share of the measured single-row peak a replica is planned to run at (the HPA's CPU target). */
    targetUtilisation: number;
    targetUtilisationBasis: string;
    /** Minimum replicas of the options that promise availability (Kubernetes, the managed endpoint). */
    haMinReplicas: number;
    /** Bytes in + out per request, through a load balancer or a managed endpoint. */
    bytesPerRequest: number;
    bytesPerRequestBasis: string;
    /** Billed time of one serverless invocation (ms); the measured server time rounds up to it. */
    serverlessMinBilledMs: number;
    serverlessMemoryGB: number;
    vmDiskGB: number;
  };
  prices: {
    note: string;
    vm: Price & { instance: string; vcpu: number; memoryGiB: number };
    managedInstance: Price & { instance: string; vcpu: number; memoryGiB: number };
    eksCluster: Price;
    loadBalancer: Price;
    loadBalancerLcu: Price;
    ebs: Price;
    objectStorage: Price;
    serverlessCompute: Price;
    serverlessData: Price;
    actionsMinute: Price & { includedMinutes: Record<string, number> };
  };
  measured: {
    serving: MeasuredServing;
    workflows: MeasuredWorkflow;
    storage: MeasuredStorage;
  };
  actions: { jobs: Job[]; promotionsPerMonth: number };
}

function fail(field: string, problem: string): never {
  throw new Error(`cost inputs: ${field} ${problem}`);
}

function checkNumber(value: unknown, field: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min)
    fail(field, `must be a number ≥ ${min}, got ${JSON.stringify(value)}`);
  return value;
}

function checkString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    fail(field, `must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

function checkPrice(value: unknown, field: string): void {
  const p = value as Price | undefined;
  if (!p || typeof p !== 'object') fail(field, 'is missing');
  checkNumber(p.usd, `${field}.usd`);
  checkString(p.per, `${field}.per`);
  checkString(p.source, `${field}.source`);
  checkString(p.asOf, `${field}.asOf`);
}

/** The inputs, checked: every number a number, every price with its source and date, every measured figure with its command. */
export function parseCostInputs(json: unknown): CostInputs {
  const x = json as CostInputs;
  if (!x || typeof x !== 'object') fail('(root)', 'must be an object');
  checkNumber(x.hoursPerMonth, 'hoursPerMonth', 1);
  if (!Array.isArray(x.traffic) || x.traffic.length === 0) fail('traffic', 'must list at least one scenario');
  x.traffic.forEach((t, i) => {
    const f = `traffic[${i}]`;
    checkString(t.id, `${f}.id`);
    checkString(t.label, `${f}.label`);
    checkString(t.basis, `${f}.basis`);
    checkNumber(t.peakToAverage, `${f}.peakToAverage`, 1);
    const byFlights = t.flightsPerDay !== undefined || t.requestsPerFlight !== undefined;
    if (byFlights === (t.requestsPerSecond !== undefined))
      fail(f, 'must give either flightsPerDay and requestsPerFlight, or requestsPerSecond');
    if (byFlights) {
      checkNumber(t.flightsPerDay, `${f}.flightsPerDay`);
      checkNumber(t.requestsPerFlight, `${f}.requestsPerFlight`);
    } else checkNumber(t.requestsPerSecond, `${f}.requestsPerSecond`);
  });
  const s = x.sizing;
  if (!s) fail('sizing', 'is missing');
  checkNumber(s.targetUtilisation, 'sizing.targetUtilisation');
  if (s.targetUtilisation <= 0 || s.targetUtilisation > 1) fail('sizing.targetUtilisation', 'must be in (0, 1]');
  checkNumber(s.haMinReplicas, 'sizing.haMinReplicas', 1);
  checkNumber(s.bytesPerRequest, 'sizing.bytesPerRequest');
  checkNumber(s.serverlessMinBilledMs, 'sizing.serverlessMinBilledMs');
  checkNumber(s.serverlessMemoryGB, 'sizing.serverlessMemoryGB');
  checkNumber(s.vmDiskGB, 'sizing.vmDiskGB');
  if (!x.prices) fail('prices', 'is missing');
  for (const key of [
    'vm',
    'managedInstance',
    'eksCluster',
    'loadBalancer',
    'loadBalancerLcu',
    'ebs',
    'objectStorage',
    'serverlessCompute',
    'serverlessData',
    'actionsMinute',
  ] as const)
    checkPrice(x.prices[key], `prices.${key}`);
  const m = x.measured;
  if (!m?.serving || !m.workflows || !m.storage) fail('measured', 'must have serving, workflows and storage');
  checkString(m.serving.command, 'measured.serving.command');
  checkString(m.serving.measuredAt, 'measured.serving.measuredAt');
  for (const key of ['singleRowRps', 'singleRowCpuUs', 'batchRowsPerSecond', 'batchRows', 'peakRssMiB'] as const)
    checkNumber(m.serving[key], `measured.serving.${key}`, Number.MIN_VALUE);
  m.workflows.steps.forEach((step, i) => {
    checkString(step.name, `measured.workflows.steps[${i}].name`);
    checkNumber(step.seconds, `measured.workflows.steps[${i}].seconds`);
    checkString(step.command, `measured.workflows.steps[${i}].command`);
  });
  checkString(m.storage.command, 'measured.storage.command');
  if (!m.storage.versions.length) fail('measured.storage.versions', 'must list at least one version');
  checkNumber(m.storage.cloneBytes, 'measured.storage.cloneBytes');
  const stepNames = new Set(m.workflows.steps.map((step) => step.name));
  if (!x.actions || !Array.isArray(x.actions.jobs)) fail('actions.jobs', 'must be a list');
  checkNumber(x.actions.promotionsPerMonth, 'actions.promotionsPerMonth');
  x.actions.jobs.forEach((job, i) => {
    checkString(job.id, `actions.jobs[${i}].id`);
    checkNumber(job.runsPerMonth, `actions.jobs[${i}].runsPerMonth`);
    checkNumber(job.assumedSeconds, `actions.jobs[${i}].assumedSeconds`);
    for (const name of job.measuredSteps)
      if (!stepNames.has(name))
        fail(`actions.jobs[${i}].measuredSteps`, `names ${name}, which measured.workflows.steps lacks`);
  });
  return x;
}
