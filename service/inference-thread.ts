/**
 * The main-thread side of the inference worker: a LoadScorer whose scorers run in one worker
 * thread. The event loop only packs flights and unpacks probabilities; ONNX Runtime (which runs a
 * session synchronously) and session creation happen on the worker, so HTTP keeps being served
 * while a batch is scored or a new model is loaded.
 */
import { Worker } from 'node:worker_threads';
import { packFlights } from './flight-pack.ts';
import type { FlightScores, LoadScorer, Scorer } from './scorer.ts';

export type WorkerRequest =
  | { op: 'load'; id: number; bytes: ArrayBuffer }
  | { op: 'score'; id: number; req: number; departures: string; airports: string; distances: Float64Array }
  | { op: 'release'; id: number };

export type WorkerReply =
  | { op: 'loaded'; id: number }
  | { op: 'failed'; id: number; message: string }
  | { op: 'scores'; req: number; scores: Float32Array; featuresMs: number; inferenceMs: number }
  | { op: 'error'; req: number; message: string }
  | { op: 'released'; id: number };

export interface InferenceThread {
  loadScorer: LoadScorer;
  /** Terminates the worker; pending calls reject. */
  close(): Promise<void>;
}

export interface InferenceThreadOptions {
  intraOpThreads: number;
  /** Called once if the worker dies on its own (the service cannot score any more). */
  onExit?: (error: Error) => void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** The pending call for `key`, removed from `pending`. */
function take(pending: Map<number, Pending>, key: number): Pending | undefined {
  const found = pending.get(key);
  pending.delete(key);
  return found;
}

export function startInferenceThread(options: InferenceThreadOptions): InferenceThread {
  const worker = new Worker(new URL('./inference-worker.ts', import.meta.url), {
    workerData: { intraOpThreads: options.intraOpThreads },
  });
  const loads = new Map<number, Pending>();
  const releases = new Map<number, Pending>();
  const calls = new Map<number, Pending>();
  let nextId = 0;
  let nextReq = 0;
  let closing = false;
  let dead: Error | null = null;

  worker.on('message', (reply: WorkerReply) => {
    switch (reply.op) {
      case 'loaded':
        return take(loads, reply.id)?.resolve(undefined);
      case 'failed':
        return take(loads, reply.id)?.reject(new Error(reply.message));
      case 'scores':
        return take(calls, reply.req)?.resolve({
          scores: reply.scores,
          featuresMs: reply.featuresMs,
          inferenceMs: reply.inferenceMs,
        } satisfies FlightScores);
      case 'error':
        return take(calls, reply.req)?.reject(new Error(reply.message));
      case 'released':
        return take(releases, reply.id)?.resolve(undefined);
    }
  });
  const failAll = (error: Error) => {
    dead = error;
    for (const map of [loads, releases, calls]) {
      for (const pending of map.values()) pending.reject(error);
      map.clear();
    }
  };
  worker.on('error', (error) => failAll(new Error(`inference worker failed: ${error.message}`)));
  worker.on('exit', (code) => {
    const error = dead ?? new Error(`inference worker exited with code ${code}`);
    failAll(error);
    if (!closing) options.onExit?.(error);
  });

  const request = <T>(map: Map<number, Pending>, key: number, message: WorkerRequest, transfer: ArrayBuffer[] = []) =>
    new Promise<T>((resolve, reject) => {
      if (dead) return reject(dead);
      map.set(key, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage(message, transfer);
    });

  const loadScorer: LoadScorer = async (bytes) => {
    const id = ++nextId;
    // A copy the worker can own; the caller keeps its bytes. (Not bytes.slice(): on a Node Buffer
    // that is a view, and a small Buffer's pooled ArrayBuffer cannot be transferred.)
    const copy = new Uint8Array(bytes).buffer;
    await request<void>(loads, id, { op: 'load', id, bytes: copy }, [copy]);
    let released = false;
    const scorer: Scorer = {
      scoreFlights(flights) {
        const req = ++nextReq;
        const packed = packFlights(flights);
        return request<FlightScores>(calls, req, { op: 'score', id, req, ...packed }, [
          packed.distances.buffer as ArrayBuffer,
        ]);
      },
      async release() {
        if (released) return;
        released = true;
        await request<void>(releases, id, { op: 'release', id }).catch(() => {});
      },
    };
    return scorer;
  };

  return {
    loadScorer,
    async close() {
      closing = true;
      await worker.terminate();
    },
  };
}
