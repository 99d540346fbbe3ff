/**
 * An open-loop, scheduled HTTP/1.1 load generator (wrk2 is not in Debian), shared by the serving
 * bench (`pacedLoad`: one route at a fixed rate) and the replay tool (`runSchedule`: predictions
 * and, after a delay, their outcomes as feedback).
 *
 * Request i is due at start + dueMs(i) whether or not earlier ones have finished (open loop: a
 * stalled server shows up as latency instead of silently lowering the offered load). The loader
 * wakes every millisecond while requests are due and issues them; a request's latency runs from
 * that wake-up — including any wait for a free connection, which is the server's doing — while the
 * wake-up's lag behind the due time is the loader's own and is reported separately. Raw keep-alive
 * sockets with pre-built request bytes keep the loader's cost to a few microseconds per request.
 * Responses are framed by Content-Length (what the service sends); a connection the server closes
 * (`Connection: close`, a restart) fails its request in flight and is reopened.
 */
import net from 'node:net';
import { errorMessage } from '../util/errors.ts';

export interface ScheduleOptions {
  host: string;
  port: number;
  /** Sockets in the pool; due requests wait for a free one (and that wait counts as latency). */
  connections: number;
  /** How many requests the schedule has. */
  count: number;
  /** When request i is due, in ms after the start; must not decrease with i. */
  dueMs(i: number): number;
  /**
   * Request i as raw HTTP/1.1 bytes (`httpPost`), built when it falls due; null skips it. A promise
   * defers it without holding up the rest: it is issued when the promise settles (e.g. feedback
   * that needs the answer to its prediction first), and its lag includes the wait.
   */
  request(i: number): Buffer | null | Promise<Buffer | null>;
  /** Called with each response (status, body bytes, latency from the wake-up that issued it). */
  onResponse?(i: number, status: number, body: Buffer, latencyMs: number): void;
  /** Called when request i fails without a response (connection error or closed, drain timeout). */
  onFailure?(i: number, reason: string): void;
  /** Stops issuing new requests; those in flight are still awaited. */
  signal?: AbortSignal;
  /** How long to wait for the last responses after the last request was issued (default 5 s). */
  drainMs?: number;
}

export interface ScheduleResult {
  /** Per request: latency in ms from the wake-up that issued it; NaN when it got no response. */
  latencyMs: Float64Array;
  /** Per request: HTTP status; 0 when skipped, not issued, or failed without a response. */
  status: Uint16Array;
  /** Per request: how late the loader issued it (wake-up − due time), NaN when not issued. */
  lagMs: Float64Array;
  issued: number;
  skipped: number;
  /** Requests that failed without a response. */
  failures: number;
  /** From the start to the last response (or the drain deadline). */
  elapsedMs: number;
}

/** A POST request with a JSON body as raw bytes, for `ScheduleOptions.request`. */
export function httpPost(host: string, port: number, path: string, body: string): Buffer {
  return Buffer.from(
    `POST ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

interface Conn {
  socket: net.Socket;
  /** Request in flight, or -1. */
  index: number;
  issuedAt: number;
  buffer: Buffer;
  open: boolean;
}

export async function runSchedule(options: ScheduleOptions): Promise<ScheduleResult> {
  const { count } = options;
  const latencyMs = new Float64Array(count).fill(Number.NaN);
  const status = new Uint16Array(count);
  const lagMs = new Float64Array(count).fill(Number.NaN);
  let issued = 0;
  let skipped = 0;
  let failures = 0;
  let settled = 0;
  /** Due requests waiting for a free connection: index and wake-up time. */
  const waiting: { index: number; bytes: Buffer; at: number }[] = [];
  const idle: Conn[] = [];
  let stopped = false;

  const fail = (index: number, reason: string) => {
    failures++;
    settled++;
    options.onFailure?.(index, reason);
  };
  const dispatch = (conn: Conn, index: number, bytes: Buffer, at: number) => {
    conn.index = index;
    conn.issuedAt = at;
    conn.socket.write(bytes);
  };
  const release = (conn: Conn) => {
    conn.index = -1;
    if (!conn.open) return;
    const next = waiting.shift();
    if (next) dispatch(conn, next.index, next.bytes, next.at);
    else idle.push(conn);
  };
  /** Parses as many complete responses as the buffer holds (Content-Length framing). */
  const onData = (conn: Conn, chunk: Buffer) => {
    conn.buffer = conn.buffer.length === 0 ? chunk : Buffer.concat([conn.buffer, chunk]);
    for (;;) {
      const end = conn.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = conn.buffer.subarray(0, end).toString('latin1');
      const match = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!match) {
        // Chunked or close-delimited bodies are not what the service sends: fail loudly.
        conn.socket.destroy(new Error(`response without Content-Length: ${head.split('\r\n')[0]}`));
        return;
      }
      const length = Number(match[1]);
      if (conn.buffer.length < end + 4 + length) return;
      const body = conn.buffer.subarray(end + 4, end + 4 + length);
      conn.buffer = conn.buffer.subarray(end + 4 + length);
      const index = conn.index;
      if (index < 0) continue;
      const code = Number(head.slice(9, 12));
      const latency = performance.now() - conn.issuedAt;
      status[index] = code;
      latencyMs[index] = latency;
      settled++;
      options.onResponse?.(index, code, body, latency);
      release(conn);
    }
  };

  const connect = (): Promise<Conn> =>
    new Promise<Conn>((resolve, reject) => {
      const socket = net.connect({ host: options.host, port: options.port, noDelay: true });
      const conn: Conn = { socket, index: -1, issuedAt: 0, buffer: Buffer.alloc(0), open: false };
      socket.once('connect', () => {
        conn.open = true;
        resolve(conn);
      });
      socket.once('error', reject);
      socket.on('data', (chunk) => onData(conn, chunk));
      socket.on('error', () => {});
      socket.on('close', () => {
        const wasOpen = conn.open;
        conn.open = false;
        const at = idle.indexOf(conn);
        if (at >= 0) idle.splice(at, 1);
        if (conn.index >= 0) {
          fail(conn.index, 'connection closed before the response');
          conn.index = -1;
        }
        if (wasOpen && !stopped) reopen();
      });
    });
  /** Replaces a closed connection; retries every 100 ms while the server refuses. */
  const reopen = () => {
    connect().then(
      (conn) => {
        if (stopped) return conn.socket.destroy();
        all.add(conn);
        release(conn);
      },
      () => {
        if (!stopped) setTimeout(reopen, 100).unref();
      },
    );
  };

  const issue = (index: number, bytes: Buffer | null, now = performance.now()) => {
    if (bytes === null) {
      skipped++;
      settled++;
      return;
    }
    issued++;
    lagMs[index] = now - (start + options.dueMs(index));
    const conn = idle.pop();
    if (conn) dispatch(conn, index, bytes, now);
    else waiting.push({ index, bytes, at: now });
  };

  const all = new Set<Conn>();
  for (const conn of await Promise.all(Array.from({ length: options.connections }, connect))) {
    all.add(conn);
    idle.push(conn);
  }

  const start = performance.now();
  let scheduled = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (options.signal?.aborted) {
        resolve();
        return;
      }
      while (scheduled < count && start + options.dueMs(scheduled) <= now) {
        const index = scheduled++;
        const built = options.request(index);
        if (built instanceof Promise) {
          built.then(
            (bytes) => (stopped ? fail(index, 'deferred past the drain deadline') : issue(index, bytes)),
            (error: unknown) => fail(index, `request not built: ${errorMessage(error)}`),
          );
        } else issue(index, built, now);
      }
      if (scheduled >= count) {
        resolve();
        return;
      }
      // 1 ms ticks while requests are due: they go out in small bursts without the loader spinning a
      // core; a longer sleep (whole milliseconds) only when the next one is further off.
      const untilNext = start + options.dueMs(scheduled) - performance.now();
      setTimeout(tick, untilNext > 5 ? Math.min(Math.floor(untilNext) - 1, 50) : 1);
    };
    tick();
  });
  // Let the last requests finish (bounded).
  const deadline = performance.now() + (options.drainMs ?? 5_000);
  while (settled < scheduled && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  stopped = true;
  const elapsedMs = performance.now() - start;
  for (const w of waiting.splice(0)) fail(w.index, 'no free connection before the drain deadline');
  for (const conn of all) {
    if (conn.index >= 0) fail(conn.index, 'no response before the drain deadline');
    conn.index = -1;
    conn.socket.destroy();
  }
  return { latencyMs, status, lagMs, issued, skipped, failures, elapsedMs };
}

export interface PacedOptions {
  host: string;
  port: number;
  path: string;
  /** Request bodies, used round-robin. */
  bodies: string[];
  rate: number;
  /**
   * Load at the same rate on the same connections before measuring, not recorded: the first
   * ~100 ms on fresh connections (accepts, parser set-up) are slower and would otherwise decide p99.
   */
  warmupMs?: number;
  durationMs: number;
  /** Sockets in the pool; due requests wait for a free one (and that wait counts as latency). */
  connections: number;
  /** Called once, as the first measured request (the first after the warm-up) is issued. */
  onMeasuring?: () => void;
}

export interface PacedResult {
  sent: number;
  completed: number;
  non2xx: number;
  errors: number;
  /** Requests/s actually completed. */
  achievedRate: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** How late the loader issued requests (wake-up − due time), p99; should be ≈ 1 ms. */
  lagP99Ms: number;
  /** The loader's longest lag: a large one means the load generator itself was stalled. */
  lagMaxMs: number;
}

/** The quantile of sorted values (nearest rank below), NaN for none. */
export function quantileOfSorted(sorted: Float64Array, p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Sorted copy of the finite values among `values` whose index passes `keep` (all by default). */
export function sortedFinite(values: Float64Array, keep: (i: number) => boolean = () => true): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (keep(i) && Number.isFinite(values[i])) out.push(values[i]);
  return Float64Array.from(out).sort();
}

/** One route at a fixed rate for a fixed time (the serving bench's open-loop runs). */
export async function pacedLoad(options: PacedOptions): Promise<PacedResult> {
  const requests = options.bodies.map((body) => httpPost(options.host, options.port, options.path, body));
  const interval = 1000 / options.rate;
  const warmupMs = options.warmupMs ?? 0;
  const total = Math.floor(((warmupMs + options.durationMs) / 1000) * options.rate);
  const measured = (i: number) => i * interval >= warmupMs;
  let measuring = false;
  const run = await runSchedule({
    host: options.host,
    port: options.port,
    connections: options.connections,
    count: total,
    dueMs: (i) => i * interval,
    request: (i) => {
      // Requests are built in due order, so the first measured one is the first to pass `measured`.
      if (!measuring && measured(i)) {
        measuring = true;
        options.onMeasuring?.();
      }
      return requests[i % requests.length];
    },
  });
  let sent = 0;
  let non2xx = 0;
  let errors = 0;
  for (let i = 0; i < total; i++) {
    if (!measured(i)) continue;
    sent++;
    if (run.status[i] === 0) errors++;
    else if (run.status[i] < 200 || run.status[i] >= 300) non2xx++;
  }
  const latencies = sortedFinite(run.latencyMs, measured);
  const lags = sortedFinite(run.lagMs, measured);
  return {
    sent,
    completed: latencies.length,
    non2xx,
    errors,
    achievedRate: latencies.length / ((run.elapsedMs - warmupMs) / 1000),
    p50Ms: quantileOfSorted(latencies, 0.5),
    p90Ms: quantileOfSorted(latencies, 0.9),
    p99Ms: quantileOfSorted(latencies, 0.99),
    p999Ms: quantileOfSorted(latencies, 0.999),
    maxMs: latencies.length ? latencies[latencies.length - 1] : Number.NaN,
    lagP99Ms: quantileOfSorted(lags, 0.99),
    lagMaxMs: lags.length ? lags[lags.length - 1] : 0,
  };
}
