// Worker thread for large guide inputs: parses and renders batches (see ingest.ts). The job's
// input buffer goes back with the result, and spare buffers sent along are rendered into, so
// batch-sized memory is reused instead of allocated per batch.
import { parentPort } from 'node:worker_threads';
import { processBatch, type BatchJob, type BatchReply } from './ingest.js';

const spares: ArrayBuffer[] = [];

parentPort?.on('message', (m: { id: number; job: BatchJob; spare?: ArrayBuffer }) => {
  if (m.spare && spares.length < 2) spares.push(m.spare);
  const input = m.job.data.buffer as ArrayBuffer;
  let reply: BatchReply;
  const transfer: ArrayBuffer[] = [input];
  try {
    const spare = spares.pop();
    const result = processBatch(m.job, spare);
    const out = result.data.buffer as ArrayBuffer;
    // A spare too small for this batch was not used: it is kept for the next one.
    if (spare && out !== spare) spares.push(spare);
    transfer.push(out);
    reply = { id: m.id, result, input };
  } catch (err) {
    reply = { id: m.id, error: (err as Error).message, input };
  }
  parentPort?.postMessage(reply, transfer);
});
