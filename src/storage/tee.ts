import { PassThrough, type Readable } from 'node:stream';

/**
 * Splits `source` into a branch that must get every byte (the store) and one that may leave early
 * (a client that disconnects). The source flows at the pace of the slower live branch, so nothing
 * piles up in memory; errors of the source reach both. The client's last chunk is held back until
 * `finishClient()`: a client that has the whole archive knows it is stored.
 */
export function teeForStore(source: Readable): { toStore: PassThrough; toClient: PassThrough; finishClient(): void } {
  const toStore = new PassThrough();
  const toClient = new PassThrough();
  let clientGone = false;
  let held: Buffer | null = null;
  let waiting = 0;
  const drained = () => {
    if (waiting > 0 && --waiting === 0) source.resume();
  };
  toClient.on('close', () => {
    if (clientGone) return;
    clientGone = true;
    // A client that left is not waited for.
    if (toClient.writableNeedDrain) drained();
  });
  source.on('data', (chunk: Buffer) => {
    const storeOk = toStore.write(chunk);
    const clientOk = clientGone || held === null || toClient.write(held);
    held = chunk;
    if (storeOk && clientOk) return;
    source.pause();
    waiting = (storeOk ? 0 : 1) + (clientOk ? 0 : 1);
    if (!storeOk) toStore.once('drain', drained);
    if (!clientOk) toClient.once('drain', drained);
  });
  source.on('end', () => toStore.end());
  source.on('error', (err) => {
    toStore.destroy(err);
    toClient.destroy(err);
  });
  return {
    toStore,
    toClient,
    finishClient() {
      if (clientGone) return;
      if (held) toClient.write(held);
      toClient.end();
    },
  };
}
