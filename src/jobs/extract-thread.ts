import { parentPort } from 'node:worker_threads';
import { extractPack } from '../extract/index.js';

/** The extraction thread: one pack at a time, off the server's event loop. */
parentPort!.on('message', async (msg: { id: number; zip: Uint8Array }) => {
  try {
    const result = await extractPack({ zip: Buffer.from(msg.zip.buffer, msg.zip.byteOffset, msg.zip.byteLength) });
    parentPort!.postMessage({ id: msg.id, result });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
