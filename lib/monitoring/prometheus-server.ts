/**
 * Runs Debian's `prometheus` binary on loopback with a generated configuration: short scrape and
 * evaluation intervals, the given targets and rule files, a throwaway data directory. Used by the
 * real-Prometheus test and the drift scenarios; stopped by its pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { formatRuleFile, type RuleFile } from './rules.ts';

export interface PrometheusOptions {
  /** `host:port` of each service replica (job "taxiway"). */
  targets: string[];
  ruleFiles: Record<string, RuleFile>;
  scrapeIntervalMs?: number;
  evaluationIntervalMs?: number;
  binary?: string;
  startTimeoutMs?: number;
}

export interface PrometheusAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt: string;
  value: string;
}

export interface PrometheusServer {
  url: string;
  pid: number;
  /** Active alerts (pending and firing) from /api/v1/alerts. */
  alerts(): Promise<PrometheusAlert[]>;
  /** An instant query: the result vector's samples. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  logs(): string;
  stop(): Promise<void>;
}

/** The configuration file `prometheus` reads. */
export function prometheusConfig(options: {
  targets: string[];
  ruleFiles: string[];
  scrapeIntervalMs: number;
  evaluationIntervalMs: number;
}): string {
  const ms = (n: number) => `${Math.round(n)}ms`;
  return stringify({
    global: {
      scrape_interval: ms(options.scrapeIntervalMs),
      scrape_timeout: ms(Math.min(options.scrapeIntervalMs, 10_000)),
      evaluation_interval: ms(options.evaluationIntervalMs),
    },
    rule_files: options.ruleFiles,
    scrape_configs: [{ job_name: 'taxiway', static_configs: [{ targets: options.targets }] }],
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'taxiway-prometheus-'));
  const ruleFiles: string[] = [];
  for (const [name, rules] of Object.entries(options.ruleFiles)) {
    const file = path.join(dir, name);
    await writeFile(file, formatRuleFile(rules));
    ruleFiles.push(file);
  }
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(
    configFile,
    prometheusConfig({
      targets: options.targets,
      ruleFiles,
      scrapeIntervalMs: options.scrapeIntervalMs ?? 1000,
      evaluationIntervalMs: options.evaluationIntervalMs ?? 1000,
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(
    options.binary ?? 'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) =>
      reject(
        new Error(
          `cannot start prometheus (Debian package "prometheus"; scripts/setup-test-deps.sh): ${error.message}`,
        ),
      ),
    );
  });
  const append = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-32_768));
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await spawned;
    const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${output}`);
      const ready = await fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`prometheus not ready at ${url}: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const api = async <T>(route: string): Promise<T> => {
    const res = await fetch(`${url}${route}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${route}: ${body.error ?? res.status}`);
    return body.data;
  };
  return {
    url,
    pid: child.pid!,
    alerts: async () => (await api<{ alerts: PrometheusAlert[] }>('/api/v1/alerts')).alerts,
    query: async (expr) =>
      (
        await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
          `/api/v1/query?query=${encodeURIComponent(expr)}`,
        )
      ).result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) })),
    logs: () => output,
    stop,
  };
}
