import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend } from '../helpers/registry.js';
import { comfyNode, json, postComfyNodes, publish, world } from '../helpers/flow.js';
import { mirrorPair, publishUpstream, type MirrorPair } from './helpers.js';

const ids = (body: { nodes: { id: string }[] }) => body.nodes.map((n) => n.id);

forEachBackend('mirror resolver and lists', (backend) => {
  let p: MirrorPair;
  before(async () => {
    p = await mirrorPair(backend, { reservedIds: ['dup'] });
    await publishUpstream(p.up, p.upWorld, 'up-a', '1.0.0', { comfyNodes: ['UpA', 'Shared'] });
    await publishUpstream(p.up, p.upWorld, 'up-b', '2.0.0', { comfyNodes: ['UpB'] });
    await publishUpstream(p.up, p.upWorld, 'up-c', '1.0.0', { comfyNodes: ['UpC'] });
    await publishUpstream(p.up, p.upWorld, 'dup', '1.0.0', { comfyNodes: ['DupNode'] });
    const local = await world(p.mirror, 'studio', 'studio-owner');
    for (const [id, names] of [
      ['local-x', ['LocalX', 'Shared']],
      ['dup', ['LocalDup']],
    ] as const) {
      await publish(p.mirror, local, id, '1.0.0', 'studio');
      const res = await postComfyNodes(p.mirror, id, '1.0.0', { nodes: Object.fromEntries(names.map((n) => [n, comfyNode()])) });
      assert.equal(res.status, 204, JSON.stringify(res.body));
    }
  });
  after(() => p?.close());

  it('resolves a name from local packs first, then from the uplink; a locally held id never answers for upstream', async () => {
    const up = await json(p.mirror, 'GET', '/comfy-nodes/UpA/node');
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.equal(up.body.id, 'up-a');
    assert.equal(up.headers['x-comfyreg-uplink'], 'revalidated');
    assert.equal(up.body.latest_version.downloadUrl, `${p.mirror.url}/mirror/archives/up-a/1.0.0`);
    const shared = await json(p.mirror, 'GET', '/comfy-nodes/Shared/node');
    assert.equal(shared.body.id, 'local-x');
    assert.equal(shared.headers['x-comfyreg-uplink'], undefined);
    assert.equal((await json(p.mirror, 'GET', '/comfy-nodes/DupNode/node')).status, 404, 'upstream dup is shadowed by local dup');
    const none = await json(p.mirror, 'GET', '/comfy-nodes/Nope/node');
    assert.equal(none.status, 404);
    assert.equal(none.body.error, 'COMFY_NODE_NOT_FOUND');
  });

  it('fills a bulk resolution from the uplink, by its bulk route or name by name', async () => {
    const names = ['LocalX', 'UpA', 'UpB', 'DupNode', 'Nope'];
    const expected = {
      LocalX: { node_id: 'local-x', version: '1.0.0', source: 'registry' },
      UpA: { node_id: 'up-a', version: '1.0.0', source: 'registry' },
      UpB: { node_id: 'up-b', version: '2.0.0', source: 'registry' },
      DupNode: null,
      Nope: null,
    };
    const bulk = await json(p.mirror, 'POST', '/comfy-nodes/resolve', { names });
    assert.equal(bulk.status, 200, JSON.stringify(bulk.body));
    assert.deepEqual(bulk.body.results, expected);
    assert.ok(p.proxy.hits.includes('/comfy-nodes/resolve'));

    // An upstream without the bulk route (api.comfy.org): the names are asked one by one.
    p.proxy.missingRoutes.add('/comfy-nodes/resolve');
    p.clock.advance(121_000);
    const byName = await json(p.mirror, 'POST', '/comfy-nodes/resolve', { names });
    assert.deepEqual(byName.body.results, expected);
    assert.ok(p.proxy.hits.includes('/comfy-nodes/UpB/node'));

    // Down: the kept answers, never an error.
    await p.proxy.stop();
    p.clock.advance(121_000);
    const down = await json(p.mirror, 'POST', '/comfy-nodes/resolve', { names });
    assert.equal(down.status, 200);
    assert.deepEqual(down.body.results, expected);
    const stale = await json(p.mirror, 'GET', '/comfy-nodes/UpA/node');
    assert.equal(stale.headers['x-comfyreg-uplink'], 'stale');
    await p.proxy.start();
    p.clock.advance(301_000);
  });

  it('lists local packs first, then the uplink pages, with a true total', async () => {
    const page1 = await json(p.mirror, 'GET', '/nodes?limit=2');
    assert.equal(page1.status, 200, JSON.stringify(page1.body));
    assert.deepEqual(ids(page1.body), ['dup', 'local-x']);
    assert.equal(page1.body.total, 6);
    assert.equal(page1.body.totalPages, 3);
    assert.equal(page1.body.nodes[0].publisher.id, 'studio', 'the local dup');
    const page2 = await json(p.mirror, 'GET', '/nodes?limit=2&page=2');
    assert.deepEqual(ids(page2.body), ['up-a'], "upstream's dup is left out: the local one is listed");
    const page3 = await json(p.mirror, 'GET', '/nodes?limit=2&page=3');
    assert.deepEqual(ids(page3.body), ['up-b', 'up-c']);
    assert.equal(page3.body.nodes[0].latest_version.downloadUrl, `${p.mirror.url}/mirror/archives/up-b/2.0.0`);
    const across = await json(p.mirror, 'GET', '/nodes?limit=3&page=2');
    assert.deepEqual(ids(across.body), ['up-a', 'up-b', 'up-c'], 'a page spanning two upstream pages');
    assert.deepEqual(ids((await json(p.mirror, 'GET', '/nodes?limit=2&page=4')).body), []);

    const search = await json(p.mirror, 'GET', '/nodes/search?search=up-&limit=10');
    assert.deepEqual(ids(search.body), ['up-a', 'up-b', 'up-c']);
    assert.equal(search.body.total, 3);
    const byComfyNode = await json(p.mirror, 'GET', '/nodes/search?comfy_node_search=UpB');
    assert.deepEqual(ids(byComfyNode.body), ['up-b']);

    await p.proxy.stop();
    p.clock.advance(121_000);
    const down = await json(p.mirror, 'GET', '/nodes?limit=2&page=3');
    assert.equal(down.headers['x-comfyreg-uplink'], 'stale');
    assert.deepEqual(ids(down.body), ['up-b', 'up-c'], 'kept pages are served while the uplink is down');
    const unseen = await json(p.mirror, 'GET', '/nodes?limit=5');
    assert.equal(unseen.status, 200, 'a page never fetched: the local packs alone');
    assert.deepEqual(ids(unseen.body), ['dup', 'local-x']);
    await p.proxy.start();
  });
});
