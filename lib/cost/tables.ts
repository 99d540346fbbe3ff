/**
 * The tables of COST.md, rendered from the inputs, and the marked sections they live in:
 * `<!-- cost:<name> -->` … `<!-- /cost:<name> -->`. `npm run cost -- --write` replaces the sections;
 * the test checks that the committed ones equal what the inputs give.
 */
import type { CostInputs, Price } from './inputs.ts';
import { actionsMonth, scenarioMonths, servingUnitCosts, storageMonth, type OptionId } from './model.ts';

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const usd = (n: number) => {
  if (n === 0) return '$0';
  if (n < 0.01) return `$${n.toPrecision(2)}`;
  if (n < 100) return `$${n.toFixed(2)}`;
  return `$${int(n)}`;
};
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;
const kib = (bytes: number) => `${int(bytes / 1024)} KiB`;
const rate = (n: number) => (n >= 100 ? int(n) : n.toFixed(n >= 10 ? 1 : 2));

const OPTION_LABEL: Record<OptionId, string> = {
  vm: 'single VM',
  k8s: 'Kubernetes (own cluster)',
  'k8s-shared': 'Kubernetes (existing cluster)',
  managed: 'managed endpoint (real-time)',
  serverless: 'managed serverless',
};

function table(header: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const sep = header.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [header, sep, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function priceRow(what: string, p: Price & { instance?: string }): string[] {
  return [what, `$${p.usd} per ${p.per}`, p.source, p.asOf];
}

export function measuredTable(inputs: CostInputs): string {
  const s = inputs.measured.serving;
  const unit = servingUnitCosts(inputs);
  const rows = [
    [
      'single-row throughput, one replica (median round of (b))',
      `${int(s.singleRowRps)} req/s`,
      `\`${s.command}\`, ${s.measuredAt}`,
    ],
    ['server CPU per single-row request', `${int(s.singleRowCpuUs)} µs`, 'same run'],
    ['single-row requests per core by server CPU alone', `${int(unit.cpuCeilingRps)} req/s`, '10⁶ / CPU µs'],
    [`${s.batchRows}-row requests (median round of (c))`, `${int(s.batchRowsPerSecond)} rows/s`, 'same run'],
    ['peak memory of a replica under load', `${s.peakRssMiB} MiB`, `\`${s.peakRssCommand}\``],
    ...inputs.measured.workflows.steps.map((step) => [
      step.name,
      `${step.seconds.toFixed(1)} s`,
      `\`${step.command}\`, ${step.measuredAt}${step.note ? ` (${step.note})` : ''}`,
    ]),
    [
      'git objects of the committed model versions',
      mib(inputs.measured.storage.versions.reduce((sum, v) => sum + v.diskBytes, 0)),
      `\`${inputs.measured.storage.command}\`, ${inputs.measured.storage.measuredAt}`,
    ],
    [
      'bare single-branch clone (what a replica fetches on start)',
      mib(inputs.measured.storage.cloneBytes),
      `\`${inputs.measured.storage.cloneCommand}\``,
    ],
  ];
  return table(['measured', 'value', 'command, when'], rows, ['l', 'r', 'l']);
}

export function pricesTable(inputs: CostInputs): string {
  const p = inputs.prices;
  return table(
    ['price', 'list price', 'source', 'as of'],
    [
      priceRow(`${p.vm.instance} (${p.vm.vcpu} vCPU, ${p.vm.memoryGiB} GiB), VM and Kubernetes node`, p.vm),
      priceRow(
        `${p.managedInstance.instance} (${p.managedInstance.vcpu} vCPU, ${p.managedInstance.memoryGiB} GiB), managed real-time endpoint`,
        p.managedInstance,
      ),
      priceRow('Kubernetes control plane (one cluster)', p.eksCluster),
      priceRow('application load balancer', p.loadBalancer),
      priceRow('load balancer capacity unit (1 GB processed an hour)', p.loadBalancerLcu),
      priceRow('block storage (gp3)', p.ebs),
      priceRow('object storage (standard)', p.objectStorage),
      priceRow(`serverless endpoint compute, ${inputs.sizing.serverlessMemoryGB} GB memory`, p.serverlessCompute),
      priceRow('managed endpoint data processed (in + out)', p.serverlessData),
      priceRow('GitHub Actions, Linux 2-core runner, private repository', p.actionsMinute),
    ],
  );
}

export function perMillionTable(inputs: CostInputs): string {
  const unit = servingUnitCosts(inputs);
  return table(
    ['serving', 'per million', 'what it assumes'],
    unit.perMillion.map((p) => [p.label, usd(p.usd), p.basis]),
    ['l', 'r', 'l'],
  );
}

export function trafficTable(inputs: CostInputs): string {
  const months = scenarioMonths(inputs);
  return table(
    ['traffic', 'basis', 'average', 'peak', 'requests a month', 'replicas for the peak'],
    months.map((m) => [
      m.scenario.label,
      m.scenario.basis,
      `${rate(m.averageRps)} req/s`,
      `${rate(m.peakRps)} req/s (×${m.scenario.peakToAverage})`,
      int(m.requestsPerMonth),
      String(m.replicasForPeak),
    ]),
    ['l', 'l', 'r', 'r', 'r', 'r'],
  );
}

export function monthlyTable(inputs: CostInputs): string {
  const months = scenarioMonths(inputs);
  const options = months[0].options.map((o) => o.option);
  const rows = options.map((id) => [
    OPTION_LABEL[id],
    ...months.map((m) => {
      const o = m.options.find((x) => x.option === id)!;
      const cheapest = Math.min(...m.options.filter((x) => x.option !== 'k8s-shared').map((x) => x.usd));
      const text = `${usd(o.usd)}${o.replicas ? ` (${o.replicas})` : ''}`;
      return o.usd === cheapest ? `**${text}**` : text;
    }),
  ]);
  return table(['serving option (replicas)', ...months.map((m) => m.scenario.label)], rows, [
    'l',
    ...months.map(() => 'r' as const),
  ]);
}

export function monthlyPartsTable(inputs: CostInputs): string {
  const rows: string[][] = [];
  for (const m of scenarioMonths(inputs))
    for (const o of m.options)
      rows.push([
        m.scenario.label,
        OPTION_LABEL[o.option],
        o.parts.map((p) => `${p.what} ${usd(p.usd)}`).join(' + '),
        usd(o.usd),
      ]);
  return table(['traffic', 'option', 'made of', 'a month'], rows, ['l', 'l', 'l', 'r']);
}

export function actionsTable(inputs: CostInputs): string {
  const a = actionsMonth(inputs);
  const rows = a.jobs.map((j) => [
    j.job.label,
    `${j.job.measuredSteps.length ? `${j.job.measuredSteps.join(' + ')} + ` : ''}${j.job.assumedSeconds} s assumed: ${int(j.secondsPerRun)} s`,
    String(j.billedMinutesPerRun),
    `${rate(j.job.runsPerMonth)} (${j.job.runsPerMonthBasis})`,
    int(j.minutesPerMonth),
  ]);
  rows.push(['**total**', '', '', '', `**${int(a.minutesPerMonth)}**`]);
  const cost = table(['job', 'time per run', 'billed minutes per run', 'runs a month', 'minutes a month'], rows, [
    'l',
    'l',
    'r',
    'l',
    'r',
  ]);
  const plans = table(
    ['plan (private repository)', 'included minutes', 'cost a month'],
    [
      ['public repository', 'unlimited', '$0'],
      ['list price of every minute', '0', usd(a.usdAtListPrice)],
      ...a.beyondIncluded.map((b) => [b.plan, int(b.included), usd(b.usd)]),
    ],
    ['l', 'r', 'r'],
  );
  return `${cost}\n\n${plans}`;
}

export function storageTable(inputs: CostInputs): string {
  const s = storageMonth(inputs);
  const versions = table(
    ['version', 'files as committed', 'in git (compressed)'],
    s.versions.map((v) => [`\`${v.version}\``, kib(v.bytes), kib(v.diskBytes)]),
    ['l', 'r', 'r'],
  );
  const growth = table(
    ['git storage', 'value'],
    [
      ['versions a year (one promotion a week)', rate(s.versionsPerYear)],
      [`growth a year, each version like \`${s.growthVersion}\``, mib(s.growthBytesPerYear)],
      ['clone today', mib(s.cloneBytes)],
      ['years until 1 GB (GitHub’s recommended maximum)', s.yearsTo1GB.toFixed(0)],
      ['price of git storage on GitHub within that', '$0'],
      ['the same versions in object storage, a year’s worth', usd(s.objectStorageUsdPerYearOfVersions) + ' a month'],
    ],
    ['l', 'r'],
  );
  return `${versions}\n\n${growth}`;
}

/** Every marked section of COST.md, by name. */
export function costSections(inputs: CostInputs): Record<string, string> {
  return {
    measured: measuredTable(inputs),
    prices: pricesTable(inputs),
    'per-million': perMillionTable(inputs),
    traffic: trafficTable(inputs),
    monthly: monthlyTable(inputs),
    'monthly-parts': monthlyPartsTable(inputs),
    actions: actionsTable(inputs),
    storage: storageTable(inputs),
  };
}

const marker = (name: string) => new RegExp(`(<!-- cost:${name} -->\\n)([\\s\\S]*?)(\\n<!-- /cost:${name} -->)`);

/** The document's marked sections, by name; a section without its markers is missing. */
export function readSections(doc: string, names: string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, marker(name).exec(doc)?.[2]]));
}

/** The document with each marked section replaced; throws naming a section whose markers are missing. */
export function replaceSections(doc: string, sections: Record<string, string>): string {
  let out = doc;
  for (const [name, body] of Object.entries(sections)) {
    if (!marker(name).test(out))
      throw new Error(`COST.md has no <!-- cost:${name} --> … <!-- /cost:${name} --> section`);
    out = out.replace(marker(name), (_, open: string, _old: string, close: string) => `${open}${body}${close}`);
  }
  return out;
}

/** A table as cells, so that Prettier's column padding does not count as a difference. */
export function normalizeTables(text: string): string {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      if (!line.trimStart().startsWith('|')) return line.trimEnd();
      const cells = line
        .trim()
        .replace(/^\||\|$/g, '')
        .split(/(?<!\\)\|/)
        .map((c) => c.trim());
      return cells.map((c) => (/^:?-+:?$/.test(c) ? c.replace(/-+/, '---') : c)).join(' | ');
    })
    .join('\n');
}
