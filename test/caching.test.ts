import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRegistry, type TestRegistry, forEachBackend } from './helpers/registry.js';
import { bearer, json, publish, upload, zipOf } from './helpers/flow.js';
import { adminUpdateNode, extracted, publisher, setDownloads, setPolicy } from './helpers/comfy-packs.js';

const STRONG_ETAG = /^"[A-Za-z0-9_-]{20,}"$/;

forEachBackend('HTTP caching', (backend) => {
  let t: TestRegistry;
  let w: Awaited<ReturnType<typeof publisher>>;
  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });
  before(async () => {
    t = await startRegistry(backend);
    w = await publisher(t, 'cache');
    await extracted(t, w, 'cache-a', '1.0.0', ['CacheNode', 'Other']);
    await extracted(t, w, 'cache-b', '1.0.0', ['CacheNode']);
  });
  after(async () => t?.close());

  it('public GETs carry a strong ETag and public Cache-Control; If-None-Match gets 304 without a body', async () => {
    for (const url of ['/comfy-nodes/CacheNode/node', '/nodes/cache-a/versions/1.0.0/comfy-nodes', '/comfy-nodes', '/nodes/cache-a']) {
      const first = await get(url);
      assert.equal(first.statusCode, 200, url);
      const etag = String(first.headers.etag);
      assert.match(etag, STRONG_ETAG, url);
      assert.equal(first.headers['cache-control'], 'public, max-age=60', url);
      assert.match(String(first.headers.vary), /Authorization/);
      const again = await get(url);
      assert.equal(again.headers.etag, etag, 'the same answer has the same ETag');
      const cached = await get(url, { 'if-none-match': etag });
      assert.equal(cached.statusCode, 304, url);
      assert.equal(cached.body, '');
      assert.equal(cached.headers.etag, etag);
      assert.equal(cached.headers['content-type'], undefined);
      assert.equal((await get(url, { 'if-none-match': `"stale", W/${etag}` })).statusCode, 304, 'lists and weak forms match');
      assert.equal((await get(url, { 'if-none-match': '"stale"' })).statusCode, 200);
    }
  });

  it('requests with Authorization are private and never stored', async () => {
    const anon = await get('/comfy-nodes/CacheNode/node');
    const admin = await get('/comfy-nodes/CacheNode/node', bearer(t.adminToken));
    assert.equal(admin.statusCode, 200);
    assert.equal(admin.headers['cache-control'], 'private, no-store');
    const user = await get('/nodes/cache-a/versions/1.0.0/comfy-nodes', bearer(w.userToken));
    assert.equal(user.headers['cache-control'], 'private, no-store');
    assert.equal(anon.headers['cache-control'], 'public, max-age=60');
  });

  it('the admin view of a banned comfy node has its own ETag, never the public one', async () => {
    await setPolicy(t, 'cache-a', '1.0.0', 'Other', 'ComfyNodePolicyBanned');
    const url = '/nodes/cache-a/versions/1.0.0/comfy-nodes';
    const anon = await get(url);
    const admin = await get(url, bearer(t.adminToken));
    assert.notEqual(anon.headers.etag, admin.headers.etag);
    assert.equal(JSON.parse(admin.body).comfy_nodes.length, 2);
    assert.equal(JSON.parse(anon.body).comfy_nodes.length, 1);
  });

  it('a write that changes an answer changes its ETag', async () => {
    const resolverUrl = '/comfy-nodes/CacheNode/node';
    const before = await get(resolverUrl);
    assert.equal(JSON.parse(before.body).id, 'cache-a');
    await adminUpdateNode(t, 'cache', 'cache-b', { search_ranking: 1 });
    const after = await get(resolverUrl, { 'if-none-match': String(before.headers.etag) });
    assert.equal(after.statusCode, 200, 'the old ETag no longer matches');
    assert.equal(JSON.parse(after.body).id, 'cache-b');
    assert.notEqual(after.headers.etag, before.headers.etag);

    const nodeUrl = '/nodes/cache-b/versions/1.0.0/comfy-nodes/CacheNode';
    const n1 = await get(nodeUrl);
    const upd = await json(t, 'PUT', nodeUrl, { description: 'now documented' }, t.adminToken);
    assert.equal(upd.status, 200);
    const n2 = await get(nodeUrl, { 'if-none-match': String(n1.headers.etag) });
    assert.equal(n2.statusCode, 200);
    assert.equal(JSON.parse(n2.body).description, 'now documented');

    const packUrl = '/nodes/cache-b';
    const p1 = await get(packUrl);
    await setDownloads(t, 'cache-b', 42);
    const p2 = await get(packUrl, { 'if-none-match': String(p1.headers.etag) });
    assert.equal(p2.statusCode, 200);
    assert.notEqual(p2.headers.etag, p1.headers.etag);
  });

  it('leaves writes, errors and side-effect GETs out of caching', async () => {
    const post = await t.app.inject({ method: 'POST', url: '/comfy-nodes/resolve', payload: { names: ['CacheNode'] } });
    assert.equal(post.statusCode, 200);
    assert.equal(post.headers.etag, undefined);
    assert.equal(post.headers['cache-control'], undefined);
    const missing = await get('/comfy-nodes/Nope/node');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.headers.etag, undefined);
    assert.notEqual(missing.headers['cache-control'], 'public, max-age=60');
    const install = await get('/nodes/cache-a/install');
    assert.equal(install.statusCode, 200);
    assert.equal(install.headers['cache-control'], 'private, no-store', 'install counts a download: a cache must not answer it');
    const head = await t.app.inject({ method: 'HEAD', url: '/comfy-nodes/CacheNode/node' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['cache-control'], 'public, max-age=60');
  });

  it('over real HTTP: archive downloads stream untouched with their own Cache-Control, and 304 has no body', async () => {
    const { signedUrl } = await publish(t, w, 'cache-zip', '1.0.0', 'cache');
    const bytes = await zipOf({ '__init__.py': 'NODE_CLASS_MAPPINGS = {}\n', 'blob.bin': Buffer.alloc(70_000, 3) });
    assert.equal((await upload(t, signedUrl, bytes)).status, 200);
    const base = await t.listen();
    const install = await (await fetch(`${base}/nodes/cache-zip/install`)).json();
    const res = await fetch(install.downloadUrl);
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(res.headers.get('etag'), null);

    const first = await fetch(`${base}/comfy-nodes/CacheNode/node`);
    assert.equal(first.status, 200);
    const etag = first.headers.get('etag')!;
    const notModified = await fetch(`${base}/comfy-nodes/CacheNode/node`, { headers: { 'if-none-match': etag } });
    assert.equal(notModified.status, 304, 'over real HTTP too');
    assert.equal(await notModified.text(), '');
  });
});
