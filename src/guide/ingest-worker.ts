// Worker thread for large guide inputs: parses and renders batches (see ingest.ts).
import { parentPort } from 'node:worker_threads';
import { processBatch, type BatchJob } from './ingest.js';

parentPort?.on('message', (m: { id: number; job: BatchJob }) => {
  try {
    const result = processBatch(m.job);
    parentPort?.postMessage({ id: m.id, result }, [result.data.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort?.postMessage({ id: m.id, error: (err as Error).message });
  }
});
