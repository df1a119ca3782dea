import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { sql } from 'kysely';
import { openDatabase } from '../src/db/database.js';
import { buildApp } from '../src/http/app.js';
import { ResponseCache } from '../src/http/response-cache.js';
import { createRegistry } from '../src/registry/registry.js';
import { createComfyNodes } from '../src/registry/comfy-node-ingest.js';
import { LocalArchiveStore } from '../src/storage/local-archive-store.js';
import { PG_URL, forEachBackend, postgresOnly, startRegistry, whenChanged, type TestRegistry } from './helpers/registry.js';
import { comfyNode, publish, world } from './helpers/flow.js';
import { extracted, publisher, setPolicy } from './helpers/comfy-packs.js';

const get = async (base: string, p: string, headers: Record<string, string> = {}) => {
  const res = await fetch(base + p, { headers });
  const text = await res.text();
  return {
    status: res.status,
    etag: res.headers.get('etag'),
    body: text ? JSON.parse(text) : undefined,
    cors: res.headers.get('access-control-allow-origin'),
  };
};

forEachBackend('answer cache over real HTTP', (backend) => {
  let t: TestRegistry;
  let base: string;
  before(async () => {
    t = await startRegistry(backend);
    base = await t.listen();
    const w = await publisher(t, 'cache-pub');
    await extracted(t, w, 'cache-pack', '1.0.0', ['CachedNode', 'OtherNode']);
  });
  after(async () => t?.close());

  it('answers a repeated anonymous GET from memory, with the same bytes, ETag and CORS header', async () => {
    const first = await get(base, '/comfy-nodes/CachedNode/node');
    const hits = t.app.readCache!.hits;
    const second = await get(base, '/comfy-nodes/CachedNode/node');
    assert.equal(t.app.readCache!.hits, hits + 1, 'the second request was a cache hit');
    assert.deepEqual(second, first);
    assert.equal(second.cors, '*');
    const notModified = await fetch(`${base}/comfy-nodes/CachedNode/node`, { headers: { 'if-none-match': first.etag! } });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers.get('etag'), first.etag);
    assert.equal(await notModified.text(), '');
  });

  it('serves a write through the API on the very next request: a ban hides the node at once', async () => {
    assert.equal((await get(base, '/comfy-nodes/OtherNode/node')).status, 200);
    assert.equal((await get(base, '/comfy-nodes/OtherNode/node')).status, 200);
    await setPolicy(t, 'cache-pack', '1.0.0', 'OtherNode', 'ComfyNodePolicyBanned');
    assert.equal((await get(base, '/comfy-nodes/OtherNode/node')).status, 404);
    await setPolicy(t, 'cache-pack', '1.0.0', 'OtherNode', 'ComfyNodePolicyActive');
    assert.equal((await get(base, '/comfy-nodes/OtherNode/node')).status, 200);
  });

  it('sees writes that bypass HTTP (the in-process worker) and a download count from /install', async () => {
    const miss = await get(base, '/comfy-nodes/LateNode/node');
    assert.equal(miss.status, 404);
    assert.equal((await get(base, '/comfy-nodes/LateNode/node')).status, 404, 'a 404 is cached too');
    const w = await world(t, 'late-pub', 'late-user');
    await publish(t, w, 'late-pack', '1.0.0', 'late-pub');
    await createComfyNodes(t.reg, 'late-pack', '1.0.0', { nodes: { LateNode: comfyNode() } });
    assert.equal((await get(base, '/comfy-nodes/LateNode/node')).body.id, 'late-pack');

    const before = (await get(base, '/nodes/late-pack')).body.downloads;
    assert.equal((await get(base, '/nodes/late-pack/install')).status, 200);
    assert.equal((await get(base, '/nodes/late-pack')).body.downloads, before + 1);
  });

  it('never answers an authorised request from the cache: admins still see banned nodes', async () => {
    await setPolicy(t, 'cache-pack', '1.0.0', 'CachedNode', 'ComfyNodePolicyBanned');
    const anon = await get(base, '/nodes/cache-pack/versions/1.0.0/comfy-nodes/CachedNode');
    assert.equal(anon.status, 404);
    const admin = await get(base, '/nodes/cache-pack/versions/1.0.0/comfy-nodes/CachedNode', { authorization: `Bearer ${t.adminToken}` });
    assert.equal(admin.status, 200);
    assert.equal(admin.body.policy, 'ComfyNodePolicyBanned');
    assert.equal(
      (await get(base, '/nodes/cache-pack/versions/1.0.0/comfy-nodes/CachedNode')).status,
      404,
      'and the admin answer was not cached for others',
    );
  });
});

/**
 * SQLite has one connection: while the transaction this opens holds it, every read waits, so the
 * requests sent meanwhile all arrive while the first one's read is in flight. Resolves once held;
 * its result releases the database.
 */
async function holdDatabase(t: TestRegistry): Promise<() => Promise<void>> {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let holding!: () => void;
  const started = new Promise<void>((r) => (holding = r));
  const transaction = t.reg.db.transaction().execute(async (trx) => {
    await sql`SELECT 1`.execute(trx);
    holding();
    await held;
  });
  await started;
  return async () => {
    release();
    await transaction;
  };
}

describe('answer cache: one read for many clients asking at once', () => {
  let t: TestRegistry;
  let base: string;
  before(async () => {
    t = await startRegistry('sqlite');
    base = await t.listen();
    const w = await publisher(t, 'flight-pub');
    await extracted(t, w, 'flight-pack', '1.0.0', ['FlightNode']);
  });
  after(async () => t?.close());

  it('answers requests for a URL the routes are already answering from that one answer', async () => {
    const cache = t.app.readCache!;
    const [hits, misses] = [cache.hits, cache.misses];
    // Every request that arrives while the first one's read waits would read too if it did not wait for that answer.
    const release = await holdDatabase(t);
    const answers = Promise.all(Array.from({ length: 12 }, () => get(base, '/comfy-nodes/FlightNode/node')));
    await new Promise((r) => setTimeout(r, 300));
    await release();
    const got = await answers;
    assert.ok(got.every((a) => a.status === 200 && a.body.id === 'flight-pack'));
    assert.ok(
      got.every((a) => a.etag === got[0]!.etag),
      'the same bytes for all',
    );
    assert.equal(cache.misses - misses, 1, 'one request read the database');
    assert.equal(cache.hits - hits, 11, 'the others were answered from its answer');
    assert.equal(cache.reading.size, 0, 'nothing is left waiting');
  });

  it('sends a waiting request on to the routes when the answer it waited for could not be kept', async () => {
    const cache = t.app.readCache!;
    const misses = cache.misses;
    const release = await holdDatabase(t);
    // A write lands while the first read waits: its answer is stale before it is sent, so not kept.
    const answers = Promise.all(Array.from({ length: 4 }, () => get(base, '/nodes/flight-pack')));
    await new Promise((r) => setTimeout(r, 300));
    t.reg.changes.touchEverything();
    await release();
    const got = await answers;
    assert.ok(got.every((a) => a.status === 200 && a.body.id === 'flight-pack'));
    assert.ok(cache.misses - misses >= 2, 'the waiting requests read again');
    assert.equal(cache.reading.size, 0);
  });
});

postgresOnly('answer cache across PostgreSQL instances', () => {
  it('moves every instance when one of them writes', async () => {
    const a = await startRegistry('postgres');
    const schema = (a.database.describe.match(/schema (\w+)/) ?? [])[1];
    const database = await openDatabase({ url: PG_URL, dataDir: a.dataDir, schema, applicationName: `b-${schema}` });
    const reg = await createRegistry({
      database,
      store: new LocalArchiveStore(path.join(a.dataDir, 'archives')),
      publicUrl: 'http://b',
      adminToken: 'b-admin',
    });
    const b = await buildApp(reg, { maxBody: 1 << 20, maxArchive: 1 << 20 });
    try {
      await b.listen({ port: 0, host: '127.0.0.1' });
      const baseB = `http://127.0.0.1:${(b.server.address() as { port: number }).port}`;
      const w = await publisher(a, 'multi-pub');
      await extracted(a, w, 'multi-pack', '1.0.0', ['MultiNode']);
      await whenChanged(reg, 'instance B to see the pack', async () => (await get(baseB, '/comfy-nodes/MultiNode/node')).status === 200);
      assert.equal((await get(baseB, '/comfy-nodes/MultiNode/node')).status, 200);
      const hits = b.readCache!.hits;
      assert.equal((await get(baseB, '/comfy-nodes/MultiNode/node')).status, 200);
      assert.equal(b.readCache!.hits, hits + 1, 'instance B answers from its cache');
      await setPolicy(a, 'multi-pack', '1.0.0', 'MultiNode', 'ComfyNodePolicyBanned');
      await whenChanged(reg, 'the ban to reach instance B', async () => (await get(baseB, '/comfy-nodes/MultiNode/node')).status === 404);

      // Keys travel too: an install on A moves the pack's counters on B, and leaves B's resolver answers cached.
      await extracted(a, w, 'multi-other', '1.0.0', ['SteadyMulti']);
      await whenChanged(reg, 'B to see the other pack', async () => (await get(baseB, '/comfy-nodes/SteadyMulti/node')).status === 200);
      await get(baseB, '/comfy-nodes/SteadyMulti/node');
      const downloads = (await get(baseB, '/nodes/multi-other')).body.downloads;
      assert.equal((await get(a.url, '/nodes/multi-other/install')).status, 200);
      await whenChanged(reg, 'the count to reach B', async () => (await get(baseB, '/nodes/multi-other')).body.downloads === downloads + 1);
      const steady = b.readCache!.hits;
      assert.equal((await get(baseB, '/comfy-nodes/SteadyMulti/node')).status, 200);
      assert.equal(b.readCache!.hits, steady + 1, "B's resolver answer survived the install on A");

      // Lose every listening connection: while they are down, B must not serve what it cached.
      await setPolicy(a, 'multi-pack', '1.0.0', 'MultiNode', 'ComfyNodePolicyActive');
      await whenChanged(reg, 'the unban to reach instance B', async () => (await get(baseB, '/comfy-nodes/MultiNode/node')).status === 200);
      await get(baseB, '/comfy-nodes/MultiNode/node');
      await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${`b-${schema}-listener`}`.execute(
        a.database.db,
      );
      await setPolicy(a, 'multi-pack', '1.0.0', 'MultiNode', 'ComfyNodePolicyBanned');
      await whenChanged(
        reg,
        'the ban to reach B after it reconnects',
        async () => (await get(baseB, '/comfy-nodes/MultiNode/node')).status === 404,
      );
      await whenChanged(reg, 'B to listen again', async () => reg.changes.trusted);
    } finally {
      await b.close();
      await database.close();
      await a.close();
    }
  });

  it('leaves alone what registries in other schemas of the database write', async () => {
    const a = await startRegistry('postgres');
    const c = await startRegistry('postgres');
    try {
      // Once A hears a notification of its own, it has heard every one sent before (one listener, commit order).
      const heard = async () => {
        const before = a.reg.changes.now;
        await sql`SELECT pg_notify('comfyreg_changes', 'keys@' || current_schema() || ':pack:unrelated')`.execute(a.database.db);
        await whenChanged(a.reg, 'A to hear its own notification', async () => a.reg.changes.now > before);
      };
      const w = await publisher(a, 'own-pub');
      await extracted(a, w, 'own-pack', '1.0.0', ['OwnNode']);
      await heard();
      await get(a.url, '/comfy-nodes/OwnNode/node');
      const hits = a.app.readCache!.hits;
      // Writes in C's schema for the same ids and names: its triggers' notifications and its keyed ones.
      const other = await publisher(c, 'own-pub');
      await extracted(c, other, 'own-pack', '1.0.0', ['OwnNode']);
      await setPolicy(c, 'own-pack', '1.0.0', 'OwnNode', 'ComfyNodePolicyBanned');
      await heard();
      assert.equal((await get(a.url, '/comfy-nodes/OwnNode/node')).status, 200);
      assert.equal(a.app.readCache!.hits, hits + 1, "A's answer survived C's writes");
    } finally {
      await c.close();
      await a.close();
    }
  });
});

describe('answer cache: bounds', () => {
  const answer = (n: number) => ({ readAt: 0, keys: ['all'], storedAt: 0, status: 200, headers: {}, body: Buffer.alloc(n) });

  it('keeps at most maxEntries, evicting the oldest entry not stored or served since the last sweep', () => {
    const cache = new ResponseCache(3, 1024 * 1024);
    const kept = (...ks: string[]) => ks.filter((k) => cache.has(k));
    for (const k of ['a', 'b', 'c']) cache.set(k, answer(1));
    cache.set('d', answer(1));
    assert.deepEqual(kept('a', 'b', 'c', 'd'), ['b', 'c', 'd'], 'all were new: the oldest went, not the newcomer');
    // The sweep cleared b, c and d; b, the oldest, is served before e comes: c, the oldest unserved, goes.
    cache.get('b');
    cache.set('e', answer(1));
    assert.deepEqual(kept('b', 'c', 'd', 'e'), ['b', 'd', 'e'], 'b had its second chance');
  });

  it('keeps at most maxBytes, and never an answer over a sixteenth of them', () => {
    const cache = new ResponseCache(100, 1600);
    cache.set('big', answer(101));
    assert.equal(cache.get('big'), undefined);
    for (let i = 0; i < 20; i++) cache.set(`k${i}`, answer(100));
    assert.equal(Array.from({ length: 20 }, (_, i) => cache.has(`k${i}`)).filter(Boolean).length, 16);
    assert.equal(cache.get('k19')!.head['content-length'], 100, 'a hit writes the stored length');
  });
});
