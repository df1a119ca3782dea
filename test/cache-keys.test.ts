import { before, after, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend, startRegistry, type TestRegistry } from './helpers/registry.js';
import { comfyNode, json, postComfyNodes, publish, publishBody, upload, zipOf, type World } from './helpers/flow.js';
import { adminUpdateNode, extracted, publisher, setPolicy } from './helpers/comfy-packs.js';
import { ManualClock } from './helpers/clock.js';

/*
 * The answer cache invalidates by key: every kind of write shows on the very next read on the same
 * instance, and a write evicts only the answers it can change.
 */
forEachBackend('answer cache keys', (backend) => {
  let t: TestRegistry;
  let w: World & { pub: string };
  const clock = new ManualClock();
  before(async () => {
    t = await startRegistry(backend, { clock });
    w = await publisher(t, 'keys');
    await extracted(t, w, 'keys-a', '1.0.0', ['KeyNode', 'OnlyA']);
    await extracted(t, w, 'keys-b', '1.0.0', ['KeyNode']);
    await extracted(t, w, 'keys-other', '1.0.0', ['OtherKeyNode']);
  });
  after(async () => t?.close());

  /** A real HTTP GET, so that hits come from the cache in front of Fastify. */
  const get = async (p: string) => {
    const res = await fetch(t.url + p);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const hits = () => t.app.readCache!.hits;

  /** Reads `p` until it is cached, runs `write`, and returns the next read (which must not be the cached one). */
  async function afterWrite(p: string, write: () => Promise<unknown>) {
    const before = await get(p);
    await get(p);
    const h = hits();
    await get(p);
    assert.equal(hits(), h + 1, `${p} is cached before the write`);
    await write();
    const next = await get(p);
    return { before, next };
  }

  it('shows every kind of write on the very next read', async () => {
    const admin = t.adminToken;
    const ok = (status: number) => (res: { status: number; body: unknown }) => assert.equal(res.status, status, JSON.stringify(res.body));

    // Publishing a version: the pack's versions and the latest version the resolver embeds.
    let r = await afterWrite('/nodes/keys-a/versions', async () => publish(t, w, 'keys-a', '1.1.0', 'keys'));
    assert.deepEqual(
      r.next.body.map((v: { version: string }) => v.version),
      ['1.1.0', '1.0.0'],
    );
    // Uploading its archive: its downloadUrl.
    const { signedUrl } = (await json(t, 'POST', '/publishers/keys/nodes/keys-a/versions', publishBody(w.pat, 'keys-a', '1.2.0'))).body;
    r = await afterWrite('/nodes/keys-a/versions/1.2.0', async () => upload(t, signedUrl, await zipOf({ 'x/__init__.py': '' })));
    assert.match(r.next.body.downloadUrl, /\/archives\//);
    // Extraction (CreateComfyNodes): a name nobody provided resolves, and the version lists it.
    r = await afterWrite('/comfy-nodes/NewKeyNode/node', () =>
      postComfyNodes(t, 'keys-a', '1.1.0', { nodes: { NewKeyNode: comfyNode() } }),
    );
    assert.deepEqual([r.before.status, r.next.status], [404, 200]);
    r = await afterWrite('/nodes/keys-a/versions/1.1.0/comfy-nodes', async () => {
      ok(204)(await json(t, 'DELETE', '/nodes/keys-a/versions/1.1.0/comfy-nodes', undefined, admin));
    });
    assert.deepEqual([r.before.body.comfy_nodes.length, r.next.body.comfy_nodes.length], [1, 0]);
    assert.equal((await get('/comfy-nodes/NewKeyNode/node')).status, 404, 'the reset took the name with it');
    // A policy ban, and an admin's edit of a comfy node's fields.
    r = await afterWrite('/comfy-nodes/OnlyA/node', () => setPolicy(t, 'keys-a', '1.0.0', 'OnlyA', 'ComfyNodePolicyBanned'));
    assert.equal(r.next.status, 404);
    await setPolicy(t, 'keys-a', '1.0.0', 'OnlyA', 'ComfyNodePolicyActive');
    r = await afterWrite('/nodes/keys-a/versions/1.0.0/comfy-nodes/OnlyA', async () =>
      ok(200)(await json(t, 'PUT', '/nodes/keys-a/versions/1.0.0/comfy-nodes/OnlyA', { description: 'edited' }, admin)),
    );
    assert.equal(r.next.body.description, 'edited');
    // The pack's own fields, as the resolver shows them, and its ranking.
    const winner = (await get('/comfy-nodes/KeyNode/node')).body.id;
    r = await afterWrite('/comfy-nodes/KeyNode/node', () => adminUpdateNode(t, 'keys', winner, { description: 'described' }));
    assert.equal(r.next.body.description, 'described');
    const loser = winner === 'keys-a' ? 'keys-b' : 'keys-a';
    r = await afterWrite('/comfy-nodes/KeyNode/node', () => adminUpdateNode(t, 'keys', loser, { preempted_comfy_node_names: ['KeyNode'] }));
    assert.equal(r.next.body.id, loser, 'a ranking change on the pack that did not win reaches the answer');
    // A version's changelog, its unpublishing, and an admin's status.
    r = await afterWrite('/nodes/keys-b/versions/1.0.0', async () =>
      ok(200)(await json(t, 'PUT', '/publishers/keys/nodes/keys-b/versions/1.0.0', { changelog: 'notes', deprecated: true }, w.userToken)),
    );
    assert.deepEqual([r.next.body.changelog, r.next.body.deprecated], ['notes', true]);
    r = await afterWrite('/nodes/keys-a', async () =>
      ok(204)(await json(t, 'DELETE', '/publishers/keys/nodes/keys-a/versions/1.2.0', undefined, w.userToken)),
    );
    assert.equal(r.next.body.latest_version.version, '1.1.0');
    r = await afterWrite('/nodes/keys-a/versions', async () =>
      ok(200)(await json(t, 'PUT', '/admin/nodes/keys-a/versions/1.1.0', { status: 'NodeVersionStatusBanned' }, admin)),
    );
    assert.deepEqual(
      r.next.body.map((v: { version: string }) => v.version),
      ['1.0.0'],
    );
    // The publisher, as the pack and the resolver embed it.
    r = await afterWrite('/comfy-nodes/OtherKeyNode/node', async () =>
      ok(200)(await json(t, 'PUT', '/publishers/keys', { name: 'Renamed' }, w.userToken)),
    );
    assert.equal(r.next.body.publisher.name, 'Renamed');
    // A download count shows on the pack.
    r = await afterWrite('/nodes/keys-other', async () => ok(200)(await json(t, 'GET', '/nodes/keys-other/install')));
    assert.equal(r.next.body.downloads, r.before.body.downloads + 1);
    // New packs and publishers, and a pack's deletion and ban.
    r = await afterWrite('/nodes/keys-new', async () =>
      ok(201)(await json(t, 'POST', '/publishers/keys/nodes', { id: 'keys-new' }, w.userToken)),
    );
    assert.deepEqual([r.before.status, r.next.status], [404, 200]);
    r = await afterWrite('/publishers/keys-late', async () =>
      ok(201)(await json(t, 'POST', '/publishers', { id: 'keys-late' }, w.userToken)),
    );
    assert.deepEqual([r.before.status, r.next.status], [404, 200]);
    r = await afterWrite('/nodes/keys-new', async () =>
      ok(204)(await json(t, 'DELETE', '/publishers/keys/nodes/keys-new', undefined, w.userToken)),
    );
    assert.equal(r.next.status, 404);
    r = await afterWrite('/comfy-nodes/OtherKeyNode/node', async () =>
      ok(204)(await json(t, 'POST', '/publishers/keys/nodes/keys-other/ban', undefined, admin)),
    );
    assert.equal(r.next.status, 404);
    r = await afterWrite('/publishers/keys', async () => ok(204)(await json(t, 'POST', '/publishers/keys/ban', undefined, admin)));
    assert.equal(r.next.body.status, 'PublisherStatusBanned');
  });

  it('keeps resolver answers through a stream of installs and publishes of other packs', async () => {
    const other = await publisher(t, 'keys2');
    await extracted(t, other, 'keys2-a', '1.0.0', ['SteadyNode']);
    await get('/comfy-nodes/SteadyNode/node');
    await get('/comfy-nodes/SteadyNode/node');
    const h0 = hits();
    for (let i = 0; i < 5; i++) assert.equal((await get('/nodes/keys2-a/install')).status, 200);
    assert.equal(hits(), h0 + 4, 'installs after the first are answered from the cache too');
    const h = hits();
    await extracted(t, other, 'keys2-b', '1.0.0', ['UnrelatedNode']);
    const steady = await get('/comfy-nodes/SteadyNode/node');
    assert.equal(hits(), h + 1, 'still answered from the cache');
    assert.equal((await get('/nodes/keys2-a')).body.downloads, 5, "the pack's counters are not stale");
    // The count inside the resolver's answer is refreshed by the cache's age bound.
    clock.advance(61_000);
    const later = await get('/comfy-nodes/SteadyNode/node');
    assert.equal(hits(), h + 1, 'an answer past its age is read again');
    assert.deepEqual([steady.body.downloads, later.body.downloads], [0, 5]);
  });

  it('answers repeated installs from the cache, counting each one, and a release of the pack moves them on', async () => {
    const w3 = await publisher(t, 'keys3');
    await extracted(t, w3, 'keys3-a', '1.0.0', ['InstallNode']);
    const h = hits();
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await get('/nodes/keys3-a/install'));
    assert.equal(hits(), h + 3, 'one read, then hits');
    assert.deepEqual(
      answers.map((a) => [a.status, a.body.version]),
      Array(4).fill([200, '1.0.0']),
    );
    assert.equal((await get('/nodes/keys3-a')).body.downloads, 4, 'every hit counted a download, visible on the next read');
    await extracted(t, w3, 'keys3-a', '1.1.0', ['InstallNode']);
    assert.equal((await get('/nodes/keys3-a/install')).body.version, '1.1.0', 'the release evicted the install answer');
    assert.equal((await get('/nodes/keys3-a')).body.downloads, 5);
    // With a token the answer is the routes' own, and counted once.
    assert.equal((await json(t, 'GET', '/nodes/keys3-a/install', undefined, w3.userToken)).status, 200);
    assert.equal((await get('/nodes/keys3-a')).body.downloads, 6);
  });
});
