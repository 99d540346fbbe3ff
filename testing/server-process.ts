/**
 * Runs `service/server.ts` (or another entry that calls `runServer`) as a real child process on an ephemeral loopback port, for e2e tests
 * and the bench. The port is read from the service's own `listening` log line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  port: number;
  /** Parsed JSON log lines so far. */
  logs: Record<string, unknown>[];
  stderr(): string;
  /** The last 64 KiB of stdout, also when log lines are not parsed (for failure reports). */
  stdoutTail(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when GET /readyz answers 200. */
  ready(timeoutMs?: number): Promise<void>;
  /** The first log line matching `match`, waiting for it (the service flushes logs every 20 ms). */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM and wait for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartServerOptions {
  /**
   * Extra environment; PORT defaults to 0 (ephemeral), HOST to 127.0.0.1 and PREDICTION_STORE_PATH
   * to ':memory:' (servers of parallel tests must not join each other's predictions).
   */
  env?: Record<string, string>;
  /** Where the repository (code) lives; default the current directory. */
  codeRoot?: string;
  /** The entry script, relative to `codeRoot`; default `service/server.ts`. */
  entry?: string;
  startTimeoutMs?: number;
  /** Keep parsing log lines after startup (false for load tests: the parent must not eat a core). */
  parseLogs?: boolean;
}

export async function startServerProcess(options: StartServerOptions = {}): Promise<ServerProcess> {
  const codeRoot = options.codeRoot ?? process.cwd();
  const child = spawn(process.execPath, [path.join(codeRoot, options.entry ?? 'service/server.ts')], {
    cwd: codeRoot,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', PREDICTION_STORE_PATH: ':memory:', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  let pending = '';
  let tail = '';
  let onListening: ((port: number) => void) | null = null;
  child.stdout!.setEncoding('utf8');
  let listening = false;
  child.stdout!.on('data', (chunk: string) => {
    tail = tail.length + chunk.length > 2 * 65_536 ? (tail + chunk).slice(-65_536) : tail + chunk;
    if (listening && options.parseLogs === false) return;
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      try {
        const record = JSON.parse(line) as Record<string, unknown>;
        logs.push(record);
        if (record.event === 'listening' && onListening) {
          listening = true;
          onListening(record.port as number);
        }
      } catch {
        logs.push({ event: 'unparsed', line });
      }
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`service did not log "listening" within ${options.startTimeoutMs ?? 30_000} ms; stderr: ${stderr}`),
        ),
      options.startTimeoutMs ?? 30_000,
    );
    onListening = (p) => {
      clearTimeout(timer);
      resolve(p);
    };
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`service exited (code ${code}, signal ${signal}) before listening; stderr: ${stderr}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;

  return {
    child,
    url,
    port,
    logs,
    stderr: () => stderr,
    stdoutTail: () => tail.slice(-65_536),
    exited,
    async ready(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        try {
          const res = await fetch(`${url}/readyz`);
          last = await res.text();
          if (res.status === 200) return;
        } catch (error) {
          last = String(error);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`service at ${url} not ready after ${timeoutMs} ms: ${last}`);
    },
    async waitForLog(match, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = logs.find(match);
        if (line) return line;
        if (Date.now() > deadline)
          throw new Error(
            `no log line matched within ${timeoutMs} ms; got events ${[...new Set(logs.map((l) => l.event))].join(', ')}`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop(graceMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}
