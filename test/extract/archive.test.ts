import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDeflateRaw } from 'node:zlib';
import { extractPack } from '../../src/extract/index.js';
import { buildZip } from './zipbytes.js';
import { zipOf } from '../helpers/flow.js';

const NODE_PY = Buffer.from(`class N:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"x": ("INT",)}}
    RETURN_TYPES = ("INT",)
    FUNCTION = "f"

NODE_CLASS_MAPPINGS = {"ZipNode": N}
`);

const yazlZip = (files: [string, Buffer][]) => zipOf(Object.fromEntries(files));
async function refused(zip: Buffer, pattern: RegExp, limits = {}): Promise<string> {
  const { body } = await extractPack({ zip }, { limits });
  assert.equal(body.success, false);
  assert.equal(body.status, 'invalid_format');
  assert.deepEqual(body.nodes, {});
  assert.match(body.reason ?? '', pattern);
  return body.reason!;
}

test('a GitHub-style archive with one top folder is extracted', async () => {
  const zip = await yazlZip([
    ['Pack-main/__init__.py', NODE_PY],
    ['Pack-main/README.md', Buffer.from('hi')],
  ]);
  const r = await extractPack({ zip });
  assert.deepEqual(Object.keys(r.body.nodes), ['ZipNode']);
  assert.equal(r.stats.files, 2);
  assert.equal(r.stats.parsedFiles, 1);
});

test('a pack at the archive root is extracted', async () => {
  const r = await extractPack({ zip: await yazlZip([['__init__.py', NODE_PY]]) });
  assert.equal(r.body.success, true);
});

test('an archive without nodes fails with "no comfy nodes found"', async () => {
  const r = await extractPack({ zip: await yazlZip([['pack/__init__.py', Buffer.from('x = 1\n')]]) });
  assert.deepEqual(r.body, { success: false, status: 'failed', reason: 'no comfy nodes found', nodes: {} });
});

test('bytes that are not a zip are refused', async () => {
  await refused(Buffer.from('definitely not a zip file'), /not a readable zip/);
});

test('path traversal with .. is refused', async () => {
  const reason = await refused(buildZip([{ name: 'pack/../../evil.py', data: NODE_PY }]), /escapes/);
  assert.match(reason, /evil\.py/);
});

test('absolute paths are refused', async () => {
  await refused(buildZip([{ name: '/etc/evil.py', data: NODE_PY }]), /absolute path/);
});

test('drive letters and backslash tricks are refused', async () => {
  await refused(buildZip([{ name: 'C:/evil.py', data: NODE_PY }]), /drive-letter/);
  await refused(buildZip([{ name: 'pack\\..\\..\\evil.py', data: NODE_PY }]), /backslash/);
});

test('symbolic links are refused', async () => {
  await refused(
    buildZip([{ name: 'pack/link.py', data: Buffer.from('/etc/passwd'), unixMode: 0o120777 }]),
    /pack\/link\.py.*symbolic link/,
  );
});

test('device and other special entries are refused', async () => {
  await refused(buildZip([{ name: 'pack/dev', data: Buffer.alloc(0), unixMode: 0o020644 }]), /special file/);
  await refused(buildZip([{ name: 'pack/fifo', data: Buffer.alloc(0), unixMode: 0o010644 }]), /special file/);
});

test('too many entries are refused', async () => {
  const files: [string, Buffer][] = Array.from({ length: 12 }, (_, i) => [`pack/f${i}.txt`, Buffer.from('x')]);
  await refused(await yazlZip(files), /entry count limit/, { maxEntries: 10 });
});

test('too deep paths are refused', async () => {
  const deep = Array.from({ length: 40 }, (_, i) => `d${i}`).join('/') + '/x.py';
  await refused(buildZip([{ name: deep, data: NODE_PY }]), /depth 41 exceeds the limit of 32/);
});

test('the compressed size limit is enforced', async () => {
  await refused(await yazlZip([['pack/__init__.py', NODE_PY]]), /compressed size limit/, { maxCompressedBytes: 100 });
});

test('single-file and total size limits are enforced', async () => {
  const big = Buffer.alloc(4096, 'a');
  await refused(await yazlZip([['pack/a.txt', big]]), /single-file limit of 1000/, { maxFileBytes: 1000, maxRatio: 1e9 });
  const files: [string, Buffer][] = Array.from({ length: 5 }, (_, i) => [`pack/f${i}.txt`, big]);
  await refused(await yazlZip(files), /total size limit of 10000/, { maxTotalBytes: 10_000, maxRatio: 1e9 });
});

test('a high compression ratio is refused', async () => {
  await refused(await yazlZip([['pack/zeros.bin', Buffer.alloc(4 * 1024 * 1024)]]), /compression ratio over the limit of 100/);
});

/** Deflates `total` zero bytes without ever holding them in memory. */
async function deflatedZeros(total: number): Promise<Buffer> {
  const d = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  d.on('data', (c: Buffer) => out.push(c));
  const chunk = Buffer.alloc(1024 * 1024);
  for (let sent = 0; sent < total; sent += chunk.length) {
    if (!d.write(chunk)) await new Promise((r) => d.once('drain', r));
  }
  await new Promise<void>((r) => d.end(r));
  return Buffer.concat(out);
}

test('a zip bomb with lying headers is stopped while inflating, within a memory bound', async () => {
  const data = await deflatedZeros(512 * 1024 * 1024);
  const zip = buildZip([
    { name: 'pack/__init__.py', data: NODE_PY },
    { name: 'pack/bomb.py', data, method: 8, declaredSize: 1000, crc: 0 },
  ]);
  global.gc?.();
  const before = process.memoryUsage();
  const reason = await refused(zip, /pack\/bomb\.py/);
  const after = process.memoryUsage();
  assert.match(reason, /declared size of 1000 bytes \(zip bomb\)/);
  assert.ok(
    after.arrayBuffers - before.arrayBuffers < 64 * 1024 * 1024,
    `arrayBuffers grew by ${after.arrayBuffers - before.arrayBuffers}`,
  );
  assert.ok(after.rss - before.rss < 256 * 1024 * 1024, `rss grew by ${after.rss - before.rss}`);
});
