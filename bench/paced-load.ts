/**
 * An open-loop, fixed-rate HTTP/1.1 load generator (wrk2 is not in Debian).
 *
 * Request i is due at start + i/rate whether or not earlier ones have finished (open loop: a stalled
 * server shows up as latency instead of silently lowering the offered load). The loader wakes every
 * millisecond and issues what is due; a request's latency runs from that wake-up — including any
 * wait for a free connection, which is the server's doing — while the wake-up's lag behind the due
 * time is the loader's own and is reported separately. Raw keep-alive sockets with pre-built
 * request bytes keep the loader's cost to a few microseconds per request. `warmupMs` runs the same
 * load on the same connections first without recording it: fresh connections are slow for their
 * first ~100 ms, which would otherwise decide a p99.
 */
import net from 'node:net';

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

interface Conn {
  socket: net.Socket;
  busy: boolean;
  dueAt: number;
  /** Whether the request in flight was issued after the warm-up (its latency counts). */
  measured: boolean;
  buffer: Buffer;
}

export async function pacedLoad(options: PacedOptions): Promise<PacedResult> {
  const requests = options.bodies.map((body) =>
    Buffer.from(
      `POST ${options.path} HTTP/1.1\r\nHost: ${options.host}:${options.port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    ),
  );
  const latencies: number[] = [];
  let sent = 0;
  let non2xx = 0;
  let errors = 0;
  /** Wake-up times of due requests waiting for a free connection. */
  const waiting: number[] = [];
  const lags: number[] = [];
  const idle: Conn[] = [];

  let measureFrom = Number.POSITIVE_INFINITY;
  let sentMeasured = 0;
  const dispatch = (conn: Conn, dueAt: number) => {
    conn.busy = true;
    conn.dueAt = dueAt;
    conn.measured = dueAt >= measureFrom;
    if (conn.measured) sentMeasured++;
    conn.socket.write(requests[sent % requests.length]);
    sent++;
  };
  const release = (conn: Conn) => {
    conn.busy = false;
    const next = waiting.shift();
    if (next !== undefined) dispatch(conn, next);
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
      const length = match ? Number(match[1]) : 0;
      if (conn.buffer.length < end + 4 + length) return;
      const status = Number(head.slice(9, 12));
      conn.buffer = conn.buffer.subarray(end + 4 + length);
      if (conn.measured) {
        latencies.push(performance.now() - conn.dueAt);
        if (status < 200 || status >= 300) non2xx++;
      }
      release(conn);
    }
  };

  const conns: Conn[] = await Promise.all(
    Array.from(
      { length: options.connections },
      () =>
        new Promise<Conn>((resolve, reject) => {
          const socket = net.connect({ host: options.host, port: options.port, noDelay: true });
          const conn: Conn = { socket, busy: false, dueAt: 0, measured: false, buffer: Buffer.alloc(0) };
          socket.once('connect', () => resolve(conn));
          socket.once('error', reject);
          socket.on('data', (chunk) => onData(conn, chunk));
        }),
    ),
  );
  for (const conn of conns) {
    conn.socket.on('error', () => errors++);
    idle.push(conn);
  }

  const interval = 1000 / options.rate;
  const warmupMs = options.warmupMs ?? 0;
  const start = performance.now();
  measureFrom = start + warmupMs;
  const total = Math.floor(((warmupMs + options.durationMs) / 1000) * options.rate);
  let scheduled = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (scheduled < total && start + scheduled * interval <= now) {
        if (now >= measureFrom) lags.push(now - (start + scheduled * interval));
        scheduled++;
        const conn = idle.pop();
        if (conn) dispatch(conn, now);
        else waiting.push(now);
      }
      // 1 ms ticks: due requests go out in small bursts without the loader spinning a core.
      if (scheduled < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  // Let the last requests finish (bounded).
  const deadline = performance.now() + 5_000;
  while (latencies.length + errors < sentMeasured && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 5));
  const elapsed = performance.now() - measureFrom;
  for (const conn of conns) conn.socket.destroy();

  const sorted = Float64Array.from(latencies).sort();
  const q = (p: number) =>
    sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return {
    sent: sentMeasured,
    completed: latencies.length,
    non2xx,
    errors,
    achievedRate: latencies.length / (elapsed / 1000),
    p50Ms: q(0.5),
    p90Ms: q(0.9),
    p99Ms: q(0.99),
    p999Ms: q(0.999),
    maxMs: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
    lagP99Ms: Float64Array.from(lags).sort()[Math.floor(lags.length * 0.99)] ?? Number.NaN,
    lagMaxMs: lags.reduce((max, lag) => Math.max(max, lag), 0),
  };
}
