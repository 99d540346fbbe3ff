/**
 * Worker-thread entry owning the prediction store's SQLite connection (prediction-db.ts), so inserts
 * and pruning never block the event loop. Spoken to only by `workerBackend` in prediction-store.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../lib/util/errors.ts';
import { PredictionDb, type StoreLimits } from './prediction-db.ts';
import type { StoreReply, StoreRequest } from './prediction-store.ts';

const port = parentPort;
if (!port) throw new Error('prediction-store-worker.ts must run as a worker thread');
const { file, limits } = workerData as { file: string; limits: StoreLimits };
const db = new PredictionDb(file, limits);

port.on('message', (message: StoreRequest) => {
  let reply: StoreReply;
  try {
    switch (message.op) {
      case 'write':
        reply = { op: 'written', id: message.id, outcome: db.write(message.chunk) };
        break;
      case 'claim':
        reply = { op: 'claimed', id: message.id, result: db.claim(message.target) };
        break;
      case 'close':
        db.close();
        reply = { op: 'closed', id: message.id };
        break;
    }
  } catch (error) {
    reply = { op: 'error', id: message.id, message: errorMessage(error) };
  }
  port.postMessage(reply);
});
