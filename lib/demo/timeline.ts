/**
 * The demo's timeline: named steps with their measured durations, each backed by the emulator
 * records that prove it happened (a run, a pull request, a comment, a status, a deployment, a
 * refusal), and the figures the issue's bars are about (merge → serving, revert → serving).
 */

/** One thing on the emulator (or the service) that a step produced; the e2e test reads each back. */
export type DemoRecord =
  | { kind: 'run'; id: number; workflow: string; conclusion: string; url: string; logsUrl: string }
  | { kind: 'pull-request'; number: number; url: string; head: string; headSha: string }
  | { kind: 'comment'; id: number; pullRequest: number; url: string }
  | { kind: 'status'; id: number; sha: string; context: string; state: string; description: string | null }
  | { kind: 'merge'; pullRequest: number; sha: string }
  | { kind: 'refusal'; pullRequest: number; status: number; message: string }
  | { kind: 'push'; ref: string; sha: string; eventId: number }
  | { kind: 'deployment'; id: number; sha: string; environment: string; state: string }
  | { kind: 'serving'; version: string; revision: string; loadedAt: string; url: string };

export interface TimelineStep {
  id: string;
  title: string;
  /** Wall-clock start (ISO) and duration. */
  startedAt: string;
  ms: number;
  /** Human lines shown under the step (figures, what was refused and why). */
  notes: string[];
  records: DemoRecord[];
}

export interface StepHandle {
  note(line: string): void;
  record(record: DemoRecord): void;
}

export class Timeline {
  readonly steps: TimelineStep[] = [];
  readonly #log: (line: string) => void;
  readonly #now: () => number;

  constructor(log: (line: string) => void, now: () => number = () => Date.now()) {
    this.#log = log;
    this.#now = now;
  }

  /** Runs one step, timing it; its notes are printed as they come, its records kept. */
  async step<T>(id: string, title: string, body: (step: StepHandle) => Promise<T>): Promise<T> {
    const started = this.#now();
    const step: TimelineStep = { id, title, startedAt: new Date(started).toISOString(), ms: 0, notes: [], records: [] };
    this.steps.push(step);
    this.#log(`\n▶ ${title}`);
    const handle: StepHandle = {
      note: (line) => {
        step.notes.push(line);
        this.#log(`  ${line}`);
      },
      record: (record) => step.records.push(record),
    };
    try {
      return await body(handle);
    } finally {
      step.ms = this.#now() - started;
      this.#log(`  ✓ ${formatMs(step.ms)}`);
    }
  }

  /** Every record of a kind, in order. */
  records<K extends DemoRecord['kind']>(kind: K): Extract<DemoRecord, { kind: K }>[] {
    return this.steps.flatMap((s) => s.records).filter((r): r is Extract<DemoRecord, { kind: K }> => r.kind === kind);
  }
}

export function formatMs(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** A step's records as short references a reader can follow. */
export function describeRecord(record: DemoRecord): string {
  switch (record.kind) {
    case 'run':
      return `run ${record.id} ${record.workflow}: ${record.conclusion} ${record.url}`;
    case 'pull-request':
      return `pull request #${record.number} (${record.head} @ ${record.headSha.slice(0, 12)}) ${record.url}`;
    case 'comment':
      return `comment ${record.id} on #${record.pullRequest} ${record.url}`;
    case 'status':
      return `status ${record.context}=${record.state} on ${record.sha.slice(0, 12)}${record.description ? `: ${record.description}` : ''}`;
    case 'merge':
      return `merge of #${record.pullRequest}: ${record.sha.slice(0, 12)}`;
    case 'refusal':
      return `merge of #${record.pullRequest} refused: ${record.status} ${record.message}`;
    case 'push':
      return `push ${record.ref} → ${record.sha.slice(0, 12)} (event ${record.eventId})`;
    case 'deployment':
      return `deployment ${record.id} to ${record.environment} of ${record.sha.slice(0, 12)}: ${record.state}`;
    case 'serving':
      return `service serves ${record.version} (revision ${record.revision.slice(0, 12)}, loaded ${record.loadedAt}) ${record.url}`;
  }
}

/** The timeline as a table: step, duration, and the records behind it. */
export function formatTimeline(steps: TimelineStep[]): string {
  const lines: string[] = [];
  const width = Math.max(...steps.map((s) => s.title.length), 10);
  for (const step of steps) {
    lines.push(`${step.title.padEnd(width)}  ${formatMs(step.ms).padStart(8)}`);
    for (const record of step.records) lines.push(`${' '.repeat(4)}${describeRecord(record)}`);
  }
  return lines.join('\n');
}
