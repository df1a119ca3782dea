import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it, before, after } from 'node:test';
import { ArchiveTooLargeError, type ArchiveStore } from '../../src/storage/archive-store.js';
import { createHash } from 'node:crypto';

/** One implementation under the contract: a fresh, empty store and what is physically in it. */
export interface StoreUnderTest {
  name: string;
  open(): Promise<{
    store: ArchiveStore;
    /** Everything the store holds, finished or not (files, temp files, objects). */
    contents(): Promise<string[]>;
    close(): Promise<void>;
  }>;
  /** The store hands out URLs clients fetch themselves (redirect downloads). */
  presigns: boolean;
}

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** A body that arrives in pieces, as an upload does. */
const chunked = (bytes: Buffer, size = 64 * 1024) =>
  Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
    })(),
  );

/** A body that breaks after `bytes` (a client that went away). */
function breaking(bytes: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(bytes);
      } else setImmediate(() => this.destroy(new Error('client went away')));
    },
  });
}

/** The archive store contract, run against every implementation (test/storage/archive-stores.test.ts). */
export function archiveStoreContract(impl: StoreUnderTest): void {
  describe(`archive store contract: ${impl.name}`, () => {
    let opened: Awaited<ReturnType<StoreUnderTest['open']>>;
    let store: ArchiveStore;
    before(async () => {
      opened = await impl.open();
      store = opened.store;
    });
    after(() => opened.close());

    it('answers its readiness check', async () => {
      await store.check();
    });

    it('gives back byte for byte what was put, with its size and SHA-256 (one part and several)', async () => {
      for (const [key, bytes] of [
        ['pack/1.0.0-aaaa.zip', randomBytes(300 * 1024)],
        ['pack/2.0.0-bbbb.zip', randomBytes(6 * MiB + 123)],
        ['pack/empty-cccc.zip', Buffer.alloc(0)],
      ] as const) {
        const stored = await store.put(key, chunked(bytes), 10 * MiB);
        assert.deepEqual(stored, { size: bytes.length, sha256: sha256(bytes) });
        const got = await store.get(key);
        assert.ok(got, key);
        assert.equal(got.size, bytes.length);
        assert.ok((await readAll(got.stream)).equals(bytes), `${key} round trip`);
      }
    });

    it('refuses a body over the cap and keeps nothing of it (one part and several)', async () => {
      const before = await opened.contents();
      for (const [key, size, cap] of [
        ['big/1.0.0-dddd.zip', 200 * 1024, 100 * 1024],
        ['big/2.0.0-eeee.zip', 7 * MiB, 5.5 * MiB],
      ] as const) {
        await assert.rejects(store.put(key, chunked(randomBytes(size)), cap), (err: unknown) => {
          assert.ok(err instanceof ArchiveTooLargeError, String(err));
          assert.equal(err.limit, cap);
          return true;
        });
        assert.equal(await store.get(key), null, `${key} must not exist`);
      }
      assert.deepEqual(await opened.contents(), before, 'nothing left behind');
    });

    it('keeps nothing of a body that breaks half-way, and reports its error', async () => {
      const before = await opened.contents();
      await assert.rejects(store.put('broken/1.0.0-ffff.zip', breaking(randomBytes(100 * 1024)), MiB), /client went away/);
      assert.equal(await store.get('broken/1.0.0-ffff.zip'), null);
      assert.deepEqual(await opened.contents(), before);
    });

    it('answers null for a key it does not hold', async () => {
      assert.equal(await store.get('nobody/0.0.1-0000.zip'), null);
      assert.equal(await store.get('nested/deeper/still/x.zip'), null);
    });

    it('deletes idempotently', async () => {
      const key = 'gone/1.0.0-1111.zip';
      await store.put(key, chunked(randomBytes(1000)), MiB);
      await store.delete(key);
      assert.equal(await store.get(key), null);
      await store.delete(key);
      await store.delete('never/there-2222.zip');
    });

    it('takes keys with several segments, and puts of different keys at once', async () => {
      const bodies = Array.from(
        { length: 8 },
        (_, i) => [`many/sub${i % 3}/v${i}/1.0.${i}-${i}${i}${i}${i}.zip`, randomBytes(20_000 + i * 997)] as const,
      );
      const stored = await Promise.all(bodies.map(([key, bytes]) => store.put(key, chunked(bytes, 4096), MiB)));
      for (const [i, [key, bytes]] of bodies.entries()) {
        assert.equal(stored[i]!.sha256, sha256(bytes));
        const got = await store.get(key);
        assert.ok(got && (await readAll(got.stream)).equals(bytes), key);
      }
    });

    it('refuses keys that could leave its place', async () => {
      for (const key of ['../escape.zip', '/abs.zip', 'a//b.zip', 'a/../b.zip', 'a/./b.zip', '', 'sp ace.zip', 'back\\slash.zip']) {
        await assert.rejects(store.put(key, chunked(Buffer.from('x')), MiB), /unsafe archive key/, `put ${JSON.stringify(key)}`);
        await assert.rejects(store.get(key), /unsafe archive key/, `get ${JSON.stringify(key)}`);
        await assert.rejects(store.delete(key), /unsafe archive key/, `delete ${JSON.stringify(key)}`);
      }
    });

    if (impl.presigns) {
      it('hands out a URL that serves the archive to anyone', async () => {
        const bytes = randomBytes(70_000);
        await store.put('signed/1.0.0-3333.zip', chunked(bytes), MiB);
        const url = await store.presignedGetUrl!('signed/1.0.0-3333.zip', 60);
        const res = await fetch(url);
        assert.equal(res.status, 200);
        assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes));
        assert.match(url, /X-Amz-Expires=60\b/);
      });
    } else {
      it('has no URLs of its own: downloads stream', () => {
        assert.equal(store.presignedGetUrl, undefined);
      });
    }
  });
}
