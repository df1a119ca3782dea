/*
 * Memory and time of storing a large archive: the S3 store (multipart upload to s3rver on loopback)
 * against the local-folder store in the same run. Both stream through the size cap and SHA-256;
 * the S3 store holds parts in memory (5 MiB each, two in flight), the local one only stream buffers.
 *
 *   node --expose-gc --import tsx bench/s3-upload.ts [MiB=100] [rounds=3]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { LocalArchiveStore } from '../src/storage/local-archive-store.js';
import type { ArchiveStore } from '../src/storage/archive-store.js';
import { S3ArchiveStore } from '../src/storage/s3-archive-store.js';

const MiB = 1024 * 1024;
const size = Number(process.argv[2] ?? 100) * MiB;
const rounds = Number(process.argv[3] ?? 3);
const block = randomBytes(MiB);

/** `size` bytes in 64 KiB chunks, as a request body arrives; never held whole. */
function body(): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) return this.push(null);
      const n = Math.min(64 * 1024, size - sent);
      const at = sent % MiB;
      this.push(block.subarray(at, Math.min(at + n, MiB)));
      sent += Math.min(n, MiB - at);
    },
  });
}

async function measure(store: ArchiveStore, key: string): Promise<{ ms: number; peakMiB: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const start = performance.now();
  const stored = await store.put(key, body(), size + 1);
  const ms = performance.now() - start;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  if (stored.size !== size) throw new Error(`stored ${stored.size} bytes, sent ${size}`);
  await store.delete(key);
  return { ms, peakMiB: (peak - base) / MiB };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// s3rver runs in its own process, so that its memory is not counted as the store's.
const server = spawn(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `import S3rver from 's3rver'; import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
     const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-bench-s3-'));
     const { port } = await new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: 'bench' }] }).run();
     console.log(port);
     process.stdin.on('end', () => { fs.rmSync(directory, { recursive: true, force: true }); process.exit(0); }); process.stdin.resume();`,
  ],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
const [portLine] = (await once(server.stdout!, 'data')) as [Buffer];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-bench-store-'));
const remote = new S3ArchiveStore({
  bucket: 'bench',
  endpoint: `http://127.0.0.1:${Number(String(portLine).trim())}`,
  region: 'us-east-1',
  pathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
});
try {
  const local = new LocalArchiveStore(path.join(dir, 'archives'));
  await measure(local, 'warm/up-0000.zip');
  await measure(remote, 'warm/up-0000.zip');
  const results = { local: [] as { ms: number; peakMiB: number }[], s3: [] as { ms: number; peakMiB: number }[] };
  for (let r = 0; r < rounds; r++) {
    results.local.push(await measure(local, `bench/${r}-aaaa.zip`));
    results.s3.push(await measure(remote, `bench/${r}-bbbb.zip`));
  }
  const row = (name: string, xs: { ms: number; peakMiB: number }[]) =>
    `${name}: median ${median(xs.map((x) => x.ms)).toFixed(0)} ms, peak RSS growth ${Math.max(...xs.map((x) => x.peakMiB)).toFixed(1)} MiB`;
  console.log(`${size / MiB} MiB archive, ${rounds} rounds`);
  console.log(row('local folder', results.local));
  console.log(row('S3 (s3rver, loopback)', results.s3));
  console.log(`time ratio S3/local: ${(median(results.s3.map((x) => x.ms)) / median(results.local.map((x) => x.ms))).toFixed(2)}×`);
} finally {
  remote.close();
  server.stdin!.end();
  fs.rmSync(dir, { recursive: true, force: true });
}
