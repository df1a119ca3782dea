import { before, after, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend, startRegistry, type TestRegistry } from './helpers/registry.js';
import { json, publish } from './helpers/flow.js';
import { adminUpdateNode, publisher, setPolicy } from './helpers/comfy-packs.js';
import { extractQueued, packSource, publishFiles } from './helpers/git-packs.js';

const get = async (base: string, file: string, etag?: string) => {
  const res = await fetch(`${base}/manager/${file}`, { headers: etag ? { 'if-none-match': etag } : {} });
  const text = await res.text();
  return {
    status: res.status,
    etag: res.headers.get('etag'),
    type: res.headers.get('content-type'),
    body: text ? JSON.parse(text) : undefined,
  };
};

forEachBackend('ComfyUI-Manager channel files', (backend) => {
  let t: TestRegistry;
  let base: string;
  let w: Awaited<ReturnType<typeof publisher>>;
  before(async () => {
    t = await startRegistry(backend);
    base = await t.listen();
    w = await publisher(t, 'mgr');
    await publishFiles(t, w, 'blur-pack', '1.0.0', { '__init__.py': packSource(['BlurA']) });
    await publishFiles(t, w, 'blur-pack', '1.1.0', { '__init__.py': packSource(['BlurA', 'BlurB']) });
    await publishFiles(t, w, 'dotted.pack', '0.1.0', { '__init__.py': packSource(['DotNode']) });
    await publish(t, w, 'never-uploaded', '1.0.0', w.pub);
    await publishFiles(t, w, 'banned-pack', '1.0.0', { '__init__.py': packSource(['BannedPackNode']) });
    await extractQueued(t);
    assert.equal((await json(t, 'POST', `/publishers/${w.pub}/nodes/banned-pack/ban`, undefined, t.adminToken)).status, 204);
    await adminUpdateNode(t, w.pub, 'blur-pack', { preempted_comfy_node_names: ['BlurA'] });
    await setPolicy(t, 'blur-pack', '1.1.0', 'BlurB', 'ComfyNodePolicyBanned');
  });
  after(async () => t?.close());

  it('lists every pack with an installable version as a git-clone entry of its comfyreg git URL', async () => {
    const res = await get(base, 'custom-node-list.json');
    assert.equal(res.status, 200);
    assert.match(res.type ?? '', /^application\/json/);
    assert.deepEqual(
      res.body.custom_nodes.map((e: { id: string }) => e.id),
      ['blur-pack', 'dotted.pack'],
      'not the pack without an archive, nor the banned one',
    );
    assert.deepEqual(res.body.custom_nodes[0], {
      id: 'blur-pack',
      author: 'Publisher mgr',
      title: 'Pack blur-pack',
      reference: `${base}/git/blur-pack`,
      files: [`${base}/git/blur-pack`],
      install_type: 'git-clone',
      description: 'A pack for tests',
      preemptions: ['BlurA'],
    });
    // Manager names the folder after the URL's last segment without its extension.
    assert.deepEqual(res.body.custom_nodes[1].files, [`${base}/git/dotted.pack.git`]);
    assert.equal(res.body.custom_nodes[1].preemptions, undefined);
  });

  it("maps each git URL to its latest extracted version's comfy nodes, banned ones left out", async () => {
    const res = await get(base, 'extension-node-map.json');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      [`${base}/git/blur-pack`]: [['BlurA'], { title_aux: 'Pack blur-pack', preemptions: ['BlurA'] }],
      [`${base}/git/dotted.pack.git`]: [['DotNode'], { title_aux: 'Pack dotted.pack' }],
    });
  });

  it('answers every other file Manager asks a channel for', async () => {
    for (const [file, body] of [
      ['model-list.json', { models: [] }],
      ['alter-list.json', { items: [] }],
      ['github-stats.json', {}],
      ['extras.json', { favorites: [] }],
    ] as const) {
      const res = await get(base, file);
      assert.equal(res.status, 200, file);
      assert.deepEqual(res.body, body, file);
    }
    assert.equal((await get(base, 'nothing.json')).status, 404);
  });

  it('answers 304 to a matching ETag, and new contents once a version is published, extracted, deprecated or banned', async () => {
    const list0 = await get(base, 'custom-node-list.json');
    const map0 = await get(base, 'extension-node-map.json');
    assert.ok(list0.etag && map0.etag);
    assert.equal((await get(base, 'custom-node-list.json', list0.etag)).status, 304);
    assert.equal((await get(base, 'extension-node-map.json', map0.etag)).status, 304);
    // On PostgreSQL too: suites writing in other schemas beside this one do not evict it.
    const hits = t.app.readCache!.hits;
    await get(base, 'custom-node-list.json');
    assert.equal(t.app.readCache!.hits, hits + 1, 'answered from the read cache');

    await publishFiles(t, w, 'fresh-pack', '2.0.0', { '__init__.py': packSource(['FreshNode']) });
    const list1 = await get(base, 'custom-node-list.json', list0.etag);
    assert.equal(list1.status, 200, 'published: a new list');
    assert.ok(list1.body.custom_nodes.some((e: { id: string }) => e.id === 'fresh-pack'));
    assert.deepEqual((await get(base, 'extension-node-map.json')).body[`${base}/git/fresh-pack`][0], [], 'not extracted yet');

    await extractQueued(t);
    const map1 = await get(base, 'extension-node-map.json', map0.etag);
    assert.equal(map1.status, 200, 'extracted: a new map');
    assert.deepEqual(map1.body[`${base}/git/fresh-pack`][0], ['FreshNode']);

    const dep = await json(t, 'PUT', `/publishers/${w.pub}/nodes/fresh-pack/versions/2.0.0`, { deprecated: true }, w.userToken);
    assert.equal(dep.status, 200, JSON.stringify(dep.body));
    const list2 = await get(base, 'custom-node-list.json', list1.etag!);
    assert.equal(list2.status, 200, 'deprecated: a new list');
    const fresh = list2.body.custom_nodes.find((e: { id: string }) => e.id === 'fresh-pack');
    assert.equal(fresh.description, '[deprecated] A pack for tests');

    const ban = await json(t, 'PUT', '/admin/nodes/fresh-pack/versions/2.0.0', { status: 'NodeVersionStatusBanned' }, t.adminToken);
    assert.equal(ban.status, 200, JSON.stringify(ban.body));
    const list3 = await get(base, 'custom-node-list.json', list2.etag!);
    assert.equal(list3.status, 200, 'banned: a new list');
    assert.ok(!list3.body.custom_nodes.some((e: { id: string }) => e.id === 'fresh-pack'), 'its only version is banned');
    assert.equal((await get(base, 'extension-node-map.json')).body[`${base}/git/fresh-pack`], undefined);
  });

  it('leaves out Pending versions: a pack waiting for review is not listed', async () => {
    await publishFiles(t, w, 'waiting-pack', '1.0.0', { '__init__.py': packSource(['WaitNode']) });
    const set = await json(t, 'PUT', '/admin/nodes/waiting-pack/versions/1.0.0', { status: 'NodeVersionStatusPending' }, t.adminToken);
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const ids = (await get(base, 'custom-node-list.json')).body.custom_nodes.map((e: { id: string }) => e.id);
    assert.ok(!ids.includes('waiting-pack'));
  });
});
