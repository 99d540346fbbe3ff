/**
 * A RunRecorder that keeps runs as files, for runs without the emulator (the CLI's default):
 * `<dir>/<run id>/run.json` (the run, its jobs, steps, outputs, permissions, timings),
 * `<dir>/<run id>/<job id>-<job key>.log` (the job log as GitHub serves it) and
 * `<dir>/<run id>/<job id>-<job key>.summary.md` (the job summary).
 */
import { appendFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Conclusion, JobRecord, NewRun, RunIdentity, RunRecorder, RunStatus } from './ports.ts';

export interface RecordedRun extends NewRun, RunIdentity {
  status: RunStatus;
  conclusion: Conclusion | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  jobs: (JobRecord & { id: number; logFile: string; summaryFile: string })[];
}

export interface FileRunRecorder extends RunRecorder {
  readonly dir: string;
  read(runId: number): Promise<RecordedRun>;
  readLog(runId: number, jobKey: string): Promise<string>;
}

export async function fileRunRecorder(dir: string, options: { now?: () => Date } = {}): Promise<FileRunRecorder> {
  const now = options.now ?? (() => new Date());
  await mkdir(dir, { recursive: true });
  const runs = new Map<number, RecordedRun>();
  const jobRuns = new Map<number, number>();
  let writes: Promise<void> = Promise.resolve();
  const runDir = (runId: number) => path.join(dir, String(runId));
  const save = (run: RecordedRun) => {
    const text = `${JSON.stringify(run, null, 2)}\n`;
    writes = writes.then(() => writeFile(path.join(runDir(run.id), 'run.json'), text));
    return writes;
  };
  const existing = async () => {
    const names = await readdir(dir).catch(() => [] as string[]);
    const recorded = await Promise.all(
      names
        .filter((n) => /^\d+$/.test(n))
        .map(
          async (n) =>
            JSON.parse(await readFile(path.join(dir, n, 'run.json'), 'utf8').catch(() => '{}')) as Partial<RecordedRun>,
        ),
    );
    return recorded.filter((r) => typeof r.id === 'number') as RecordedRun[];
  };
  const known = (runId: number) => {
    const run = runs.get(runId);
    if (!run) throw new Error(`no run ${runId} recorded in ${dir}`);
    return run;
  };
  const jobOf = (jobId: number) => {
    const run = known(jobRuns.get(jobId) ?? -1);
    const job = run.jobs.find((j) => j.id === jobId);
    if (!job) throw new Error(`no job ${jobId} in run ${run.id}`);
    return { run, job };
  };

  const read = async (runId: number) =>
    JSON.parse(await readFile(path.join(runDir(runId), 'run.json'), 'utf8')) as RecordedRun;
  return {
    dir,
    async createRun(newRun) {
      const previous = [...(await existing()), ...runs.values()];
      const id = Math.max(0, ...previous.map((r) => r.id)) + 1;
      const runNumber = previous.filter((r) => r.path === newRun.path).length + 1;
      const run: RecordedRun = {
        ...newRun,
        id,
        runNumber,
        attempt: 1,
        htmlUrl: pathToFileURL(runDir(id)).href,
        status: 'queued',
        conclusion: null,
        createdAt: now().toISOString(),
        startedAt: null,
        completedAt: null,
        jobs: [],
      };
      runs.set(id, run);
      await mkdir(runDir(id), { recursive: true });
      await save(run);
      return { id, runNumber, attempt: 1, htmlUrl: run.htmlUrl };
    },
    async updateRun(runId, update) {
      const run = known(runId);
      run.status = update.status;
      if (update.conclusion !== undefined) run.conclusion = update.conclusion;
      if (update.startedAt) run.startedAt = update.startedAt;
      if (update.completedAt) run.completedAt = update.completedAt;
      await save(run);
    },
    async createJob(runId, job) {
      const run = known(runId);
      const id = runId * 1000 + run.jobs.length + 1;
      const base = `${id}-${job.key}`;
      run.jobs.push({ ...job, id, logFile: `${base}.log`, summaryFile: `${base}.summary.md` });
      jobRuns.set(id, runId);
      await writeFile(path.join(runDir(runId), `${base}.log`), '');
      await save(run);
      return { id };
    },
    async appendJobLog(jobId, lines) {
      const { run, job } = jobOf(jobId);
      await appendFile(path.join(runDir(run.id), job.logFile), `${lines.join('\n')}\n`);
    },
    async updateJob(jobId, update) {
      const { run, job } = jobOf(jobId);
      Object.assign(job, update);
      if (update.summary) await writeFile(path.join(runDir(run.id), job.summaryFile), update.summary);
      await save(run);
    },
    read,
    async readLog(runId, jobKey) {
      const run = await read(runId);
      const job = run.jobs.find((j) => j.key === jobKey);
      if (!job) throw new Error(`run ${runId} has no job ${jobKey}`);
      return readFile(path.join(runDir(runId), job.logFile), 'utf8');
    },
  };
}
