/**
 * Worker-thread entry: hosts ONNX Runtime sessions so inference (and session creation during a
 * hot swap) never blocks the event loop that serves HTTP. Spoken to only by `inference-thread.ts`.
 * Flights arrive packed (see flight-pack.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadOnnxScorer } from '../lib/onnx/runtime.ts';
import { inThreadScorer, type Scorer } from './scorer.ts';
import type { WorkerReply, WorkerRequest } from './inference-thread.ts';
import { unpackFlights } from './flight-pack.ts';
import { errorMessage } from '../lib/util/errors.ts';

const port = parentPort;
if (!port) throw new Error('inference-worker.ts must run as a worker thread');
const { intraOpThreads } = workerData as { intraOpThreads: number };
const sessions = new Map<number, Scorer>();

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

port.on('message', (message: WorkerRequest) => {
  void handle(message);
});

async function handle(message: WorkerRequest): Promise<void> {
  switch (message.op) {
    case 'load':
      try {
        sessions.set(
          message.id,
          inThreadScorer(await loadOnnxScorer(new Uint8Array(message.bytes), { intraOpThreads })),
        );
        reply({ op: 'loaded', id: message.id });
      } catch (error) {
        reply({ op: 'failed', id: message.id, message: errorMessage(error) });
      }
      return;
    case 'score': {
      const scorer = sessions.get(message.id);
      try {
        if (!scorer) throw new Error(`no session ${message.id} in the inference worker (released?)`);
        const result = await scorer.scoreFlights(
          unpackFlights(message.departures, message.airports, message.distances),
        );
        // ORT's output may view native memory; send a copy we can transfer.
        const scores = new Float32Array(result.scores);
        reply(
          { op: 'scores', req: message.req, scores, featuresMs: result.featuresMs, inferenceMs: result.inferenceMs },
          [scores.buffer],
        );
      } catch (error) {
        reply({ op: 'error', req: message.req, message: errorMessage(error) });
      }
      return;
    }
    case 'release': {
      const scorer = sessions.get(message.id);
      sessions.delete(message.id);
      await scorer?.release().catch(() => {});
      reply({ op: 'released', id: message.id });
      return;
    }
  }
}
