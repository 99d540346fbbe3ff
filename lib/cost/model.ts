/**
 * The economics of COST.md as pure functions of the inputs: serving capacity from the measured
 * throughput, cost per million predictions, monthly cost of each serving option at each traffic
 * scenario, GitHub Actions minutes from the measured step durations, and git storage growth.
 */
import type { CostInputs, Job, TrafficScenario } from './inputs.ts';

export interface ServingUnitCosts {
  /** Single-row requests a replica is planned to serve per second (measured peak × target). */
  plannedRps: number;
  /** Single-row requests per second one core can serve by server CPU alone (1e6 / CPU µs). */
  cpuCeilingRps: number;
  /** USD per million requests or rows, by how they are served. */
  perMillion: { id: string; label: string; usd: number; basis: string }[];
  serverlessBilledMs: number;
}

export type OptionId = 'vm' | 'k8s' | 'k8s-shared' | 'managed' | 'serverless';

export interface OptionMonth {
  option: OptionId;
  /** Replicas (instances, pods, endpoint instances); 0 for serverless. */
  replicas: number;
  usd: number;
  /** What the figure is made of, for the table's notes. */
  parts: { what: string; usd: number }[];
}

export interface ScenarioMonth {
  scenario: TrafficScenario;
  averageRps: number;
  peakRps: number;
  requestsPerMonth: number;
  /** Replicas the peak needs at the planned utilisation. */
  replicasForPeak: number;
  options: OptionMonth[];
}

export interface JobMonth {
  job: Job;
  secondsPerRun: number;
  billedMinutesPerRun: number;
  minutesPerMonth: number;
}

export interface ActionsMonth {
  jobs: JobMonth[];
  minutesPerMonth: number;
  /** List price of all minutes, and of the minutes beyond each plan's included minutes. */
  usdAtListPrice: number;
  beyondIncluded: { plan: string; included: number; usd: number }[];
}

export interface StorageMonth {
  versions: { version: string; bytes: number; diskBytes: number }[];
  growthVersion: string;
  versionsPerYear: number;
  growthBytesPerYear: number;
  cloneBytes: number;
  /** Years until the repository's git objects reach 1 GB (GitHub's recommended maximum), at that growth. */
  yearsTo1GB: number;
  objectStorageUsdPerYearOfVersions: number;
}

const MILLION = 1e6;
const GB = 1e9;

/** Average request rate of a scenario. */
export function averageRps(t: TrafficScenario): number {
  if (t.requestsPerSecond !== undefined) return t.requestsPerSecond;
  return ((t.flightsPerDay ?? 0) * (t.requestsPerFlight ?? 0)) / 86_400;
}

export function servingUnitCosts(inputs: CostInputs): ServingUnitCosts {
  const { serving } = inputs.measured;
  const { sizing, prices } = inputs;
  const plannedRps = serving.singleRowRps * sizing.targetUtilisation;
  const perHour = (usdPerHour: number, perSecond: number) => usdPerHour / ((perSecond * 3600) / MILLION);
  const serverlessBilledMs = Math.max(sizing.serverlessMinBilledMs, Math.ceil(serving.singleRowCpuUs / 1000));
  const dataPerMillion = ((MILLION * sizing.bytesPerRequest) / GB) * prices.serverlessData.usd;
  const serverless =
    MILLION * (serverlessBilledMs / 1000) * sizing.serverlessMemoryGB * prices.serverlessCompute.usd + dataPerMillion;
  const pct = Math.round(sizing.targetUtilisation * 100);
  return {
    plannedRps,
    cpuCeilingRps: MILLION / serving.singleRowCpuUs,
    serverlessBilledMs,
    perMillion: [
      {
        id: 'vm-single-peak',
        label: `${prices.vm.instance}, 1-row requests at the measured peak`,
        usd: perHour(prices.vm.usd, serving.singleRowRps),
        basis: 'the floor: every second busy',
      },
      {
        id: 'vm-single-planned',
        label: `${prices.vm.instance}, 1-row requests at ${pct}% of the peak`,
        usd: perHour(prices.vm.usd, plannedRps),
        basis: 'the planned load per replica (the HPA target)',
      },
      {
        id: 'vm-batch-planned',
        label: `${prices.vm.instance}, ${serving.batchRows}-row requests at ${pct}% of the peak, per million rows`,
        usd: perHour(prices.vm.usd, serving.batchRowsPerSecond * sizing.targetUtilisation),
        basis: 'clients that batch',
      },
      {
        id: 'managed-single-planned',
        label: `${prices.managedInstance.instance} endpoint, 1-row requests at ${pct}% of the peak`,
        usd: perHour(prices.managedInstance.usd, plannedRps) + dataPerMillion,
        basis: 'instance-hours + data processed',
      },
      {
        id: 'serverless',
        label: `serverless endpoint, ${sizing.serverlessMemoryGB} GB, ${serverlessBilledMs} ms billed per request`,
        usd: serverless,
        basis: 'compute per request + data processed; no idle cost',
      },
    ],
  };
}

export function scenarioMonths(inputs: CostInputs): ScenarioMonth[] {
  const { sizing, prices, hoursPerMonth } = inputs;
  const unit = servingUnitCosts(inputs);
  return inputs.traffic.map((scenario) => {
    const avg = averageRps(scenario);
    const peak = avg * scenario.peakToAverage;
    const requestsPerMonth = avg * 3600 * hoursPerMonth;
    const replicasForPeak = Math.max(1, Math.ceil(peak / unit.plannedRps));
    const haReplicas = Math.max(sizing.haMinReplicas, replicasForPeak);
    const dataGB = (requestsPerMonth * sizing.bytesPerRequest) / GB;
    const nodes = (n: number) => n * prices.vm.usd * hoursPerMonth;
    const disks = (n: number) => n * sizing.vmDiskGB * prices.ebs.usd;
    const lb = prices.loadBalancer.usd * hoursPerMonth;
    // An application load balancer's LCUs here are set by processed bytes (1 GB an hour per LCU).
    const lcu = (dataGB / hoursPerMonth) * prices.loadBalancerLcu.usd * hoursPerMonth;
    const option = (id: OptionId, replicas: number, parts: { what: string; usd: number }[]): OptionMonth => ({
      option: id,
      replicas,
      usd: parts.reduce((sum, p) => sum + p.usd, 0),
      parts,
    });
    const vmParts = [
      { what: `${replicasForPeak} × ${prices.vm.instance}`, usd: nodes(replicasForPeak) },
      { what: `${replicasForPeak} × ${sizing.vmDiskGB} GB disk`, usd: disks(replicasForPeak) },
    ];
    if (replicasForPeak > 1) vmParts.push({ what: 'load balancer', usd: lb + lcu });
    const serverlessPerMillion = unit.perMillion.find((p) => p.id === 'serverless')!.usd;
    return {
      scenario,
      averageRps: avg,
      peakRps: peak,
      requestsPerMonth,
      replicasForPeak,
      options: [
        option('vm', replicasForPeak, vmParts),
        option('k8s', haReplicas, [
          { what: 'cluster control plane', usd: prices.eksCluster.usd * hoursPerMonth },
          { what: `${haReplicas} × ${prices.vm.instance} nodes`, usd: nodes(haReplicas) },
          { what: `${haReplicas} × ${sizing.vmDiskGB} GB disk`, usd: disks(haReplicas) },
          { what: 'load balancer', usd: lb + lcu },
        ]),
        option('k8s-shared', haReplicas, [
          { what: `${haReplicas} × ${prices.vm.instance} of node capacity`, usd: nodes(haReplicas) },
        ]),
        option('managed', haReplicas, [
          {
            what: `${haReplicas} × ${prices.managedInstance.instance}`,
            usd: haReplicas * prices.managedInstance.usd * hoursPerMonth,
          },
          { what: 'data processed', usd: dataGB * prices.serverlessData.usd },
        ]),
        option('serverless', 0, [{ what: 'per request', usd: (requestsPerMonth / MILLION) * serverlessPerMillion }]),
      ],
    };
  });
}

export function actionsMonth(inputs: CostInputs): ActionsMonth {
  const seconds = new Map(inputs.measured.workflows.steps.map((s) => [s.name, s.seconds]));
  const jobs = inputs.actions.jobs.map((job) => {
    const secondsPerRun = job.measuredSteps.reduce((sum, name) => sum + seconds.get(name)!, 0) + job.assumedSeconds;
    // GitHub bills each job rounded up to the whole minute.
    const billedMinutesPerRun = Math.max(1, Math.ceil(secondsPerRun / 60));
    return { job, secondsPerRun, billedMinutesPerRun, minutesPerMonth: billedMinutesPerRun * job.runsPerMonth };
  });
  const minutesPerMonth = jobs.reduce((sum, j) => sum + j.minutesPerMonth, 0);
  const price = inputs.prices.actionsMinute;
  return {
    jobs,
    minutesPerMonth,
    usdAtListPrice: minutesPerMonth * price.usd,
    beyondIncluded: Object.entries(price.includedMinutes).map(([plan, included]) => ({
      plan,
      included,
      usd: Math.max(0, minutesPerMonth - included) * price.usd,
    })),
  };
}

export function storageMonth(inputs: CostInputs): StorageMonth {
  const { storage } = inputs.measured;
  const versions = storage.versions.map((v) => ({
    version: v.version,
    bytes: Object.values(v.files).reduce((sum, b) => sum + b, 0),
    diskBytes: v.diskBytes,
  }));
  const growthVersion = versions.at(-1)!;
  const versionsPerYear = inputs.actions.promotionsPerMonth * 12;
  const growthBytesPerYear = growthVersion.diskBytes * versionsPerYear;
  return {
    versions,
    growthVersion: growthVersion.version,
    versionsPerYear,
    growthBytesPerYear,
    cloneBytes: storage.cloneBytes,
    yearsTo1GB: growthBytesPerYear > 0 ? Math.max(0, GB - storage.cloneBytes) / growthBytesPerYear : Infinity,
    objectStorageUsdPerYearOfVersions: (growthVersion.bytes * versionsPerYear * inputs.prices.objectStorage.usd) / GB,
  };
}
