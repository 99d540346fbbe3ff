/**
 * A job's log as GitHub stores it: one `<ISO timestamp> <text>` line each, with `##[group]` /
 * `##[endgroup]` around each step and `##[error]`-style markers for annotations; secrets masked
 * before anything leaves the runner. Lines go to the recorder in order (batched per step) and to an
 * optional live sink (the CLI's terminal).
 */
import type { SecretMasker } from './masker.ts';

/** Receives every log line as it is written, with the run's workflow and the job it belongs to. */
export type LogSink = (line: string, source: { workflow: string; job: string; runId: number }) => void;

export class JobLog {
  private pending: string[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly masker: SecretMasker;
  private readonly flushTo: (lines: string[]) => Promise<void>;
  private readonly live: ((line: string) => void) | undefined;
  private readonly now: () => Date;

  constructor(options: {
    masker: SecretMasker;
    flushTo: (lines: string[]) => Promise<void>;
    live?: (line: string) => void;
    now?: () => Date;
  }) {
    this.masker = options.masker;
    this.flushTo = options.flushTo;
    this.live = options.live;
    this.now = options.now ?? (() => new Date());
  }

  /** Writes text (several lines when it has newlines), masked. */
  write(text: string): void {
    for (const line of this.masker.mask(text).split(/\r?\n/)) {
      const stamped = `${this.now().toISOString()} ${line}`;
      this.pending.push(stamped);
      this.live?.(stamped);
    }
    if (this.pending.length >= 200) void this.flush();
  }

  private inGroup = false;

  /** Opens a collapsible group (closing one left open: groups do not nest in GitHub's logs). */
  group(title: string): void {
    this.endGroup();
    this.write(`##[group]${title}`);
    this.inGroup = true;
  }

  endGroup(): void {
    if (!this.inGroup) return;
    this.write('##[endgroup]');
    this.inGroup = false;
  }

  /** `##[error]`, `##[warning]`, `##[notice]`, `##[debug]` lines, as GitHub renders annotations in logs. */
  marker(level: 'error' | 'warning' | 'notice' | 'debug', message: string): void {
    this.write(`##[${level}]${message}`);
  }

  /** Sends what is pending; resolves when everything written so far is recorded. */
  flush(): Promise<void> {
    const lines = this.pending;
    this.pending = [];
    if (lines.length) this.chain = this.chain.then(() => this.flushTo(lines));
    return this.chain;
  }
}
