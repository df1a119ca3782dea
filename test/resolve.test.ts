import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { snapshot, startRegistry, type TestRegistry, forEachBackend } from './helpers/registry.js';
import { json, postComfyNodes, publish } from './helpers/flow.js';
import { adminUpdateNode, extracted, publisher, resolvedBy, setDownloads, setPolicy } from './helpers/comfy-packs.js';

const fixture = (name: string) => JSON.parse(fs.readFileSync(new URL(`./fixtures/workflows/${name}`, import.meta.url), 'utf8'));
const FREE_TEXT = ['ShowText|pysssss', 'Context Big (rgthree)', '[WIP] Tile ^2 + Blend', 'Überblendung ノード', 'a/b 100%'];

forEachBackend('comfy node resolver', (backend) => {
  let t: TestRegistry;
  let w: Awaited<ReturnType<typeof publisher>>;
  before(async () => {
    t = await startRegistry(backend);
    w = await publisher(t, 'res');
  });
  after(async () => t?.close());

  it('answers the providing Node with publisher and latest_version, 404 ErrorResponse otherwise', async () => {
    await extracted(t, w, 'basic-pack', '1.0.0', ['BasicNode']);
    await publish(t, w, 'basic-pack', '1.1.0', 'res');
    const res = await json(t, 'GET', '/comfy-nodes/BasicNode/node');
    assert.equal(res.status, 200);
    assert.equal(res.body.id, 'basic-pack');
    assert.equal(res.body.publisher.id, 'res');
    assert.equal(res.body.latest_version.version, '1.1.0', 'the latest version, extracted or not');
    assert.deepEqual(res.body, (await json(t, 'GET', '/nodes/basic-pack')).body, 'the same Node as GET /nodes/{id}');
    const missing = await json(t, 'GET', '/comfy-nodes/NoSuchNode/node');
    assert.equal(missing.status, 404);
    assert.deepEqual(Object.keys(missing.body).sort(), ['error', 'message']);
  });

  it('ranks a pack preempting the name first', async () => {
    await extracted(t, w, 'pre-a', '1.0.0', ['PreNode']);
    await extracted(t, w, 'pre-b', '1.0.0', ['PreNode']);
    await setDownloads(t, 'pre-a', 1000);
    await adminUpdateNode(t, 'res', 'pre-a', { search_ranking: 1 });
    assert.equal(await resolvedBy(t, 'PreNode'), 'pre-a');
    await adminUpdateNode(t, 'res', 'pre-b', { preempted_comfy_node_names: ['Other', 'PreNode'] });
    assert.equal(await resolvedBy(t, 'PreNode'), 'pre-b', 'preemption beats ranking and downloads');
    await adminUpdateNode(t, 'res', 'pre-b', { preempted_comfy_node_names: ['PreNode2'] });
    assert.equal(await resolvedBy(t, 'PreNode'), 'pre-a', 'only the exact name preempts');
  });

  it('ranks lower search_ranking next, packs without one last', async () => {
    await extracted(t, w, 'rank-a', '1.0.0', ['RankNode']);
    await extracted(t, w, 'rank-b', '1.0.0', ['RankNode']);
    await extracted(t, w, 'rank-c', '1.0.0', ['RankNode']);
    await setDownloads(t, 'rank-a', 5000);
    await adminUpdateNode(t, 'res', 'rank-b', { search_ranking: 7 });
    await adminUpdateNode(t, 'res', 'rank-c', { search_ranking: 3 });
    assert.equal(await resolvedBy(t, 'RankNode'), 'rank-c');
    await adminUpdateNode(t, 'res', 'rank-c', { search_ranking: 9 });
    assert.equal(await resolvedBy(t, 'RankNode'), 'rank-b', 'a ranked pack beats an unranked one with more downloads');
  });

  it('ranks more downloads next', async () => {
    await extracted(t, w, 'dl-a', '1.0.0', ['DlNode']);
    await extracted(t, w, 'dl-b', '1.0.0', ['DlNode']);
    for (let i = 0; i < 2; i++) assert.equal((await json(t, 'GET', '/nodes/dl-b/install')).status, 200);
    // The resolver ranks by the counts written so far (they are written in batches): write them now.
    await t.reg.downloads.settle();
    assert.equal(await resolvedBy(t, 'DlNode'), 'dl-b');
    await setDownloads(t, 'dl-a', 3);
    // Download counts never evict the resolver's cached answers (they would, at hundreds of installs
    // a second); an uncached read ranks by the new counts at once, the cached one within its age bound.
    assert.equal(await resolvedBy(t, 'DlNode', t.adminToken), 'dl-a');
    assert.equal(await resolvedBy(t, 'DlNode'), 'dl-b');
  });

  it('ranks by node id last', async () => {
    await extracted(t, w, 'id-b', '1.0.0', ['IdNode']);
    await extracted(t, w, 'id-a', '1.0.0', ['IdNode']);
    await extracted(t, w, 'id-c', '1.0.0', ['IdNode']);
    assert.equal(await resolvedBy(t, 'IdNode'), 'id-a');
  });

  it('admins set preempted names and search_ranking; owners get 403; absent fields stay', async () => {
    await extracted(t, w, 'upd-pack', '1.0.0', ['UpdNode']);
    for (const body of [{ search_ranking: 1 }, { preempted_comfy_node_names: ['UpdNode'] }]) {
      const refused = await json(t, 'PUT', '/publishers/res/nodes/upd-pack', body, w.userToken);
      assert.equal(refused.status, 403, JSON.stringify(body));
      assert.equal(refused.body.error, 'ADMIN_FIELD');
    }
    await adminUpdateNode(t, 'res', 'upd-pack', { search_ranking: 4 });
    const after = await adminUpdateNode(t, 'res', 'upd-pack', { preempted_comfy_node_names: ['UpdNode'] });
    assert.equal(after.search_ranking, 4, 'absent search_ranking unchanged');
    assert.equal(after.description, 'A pack for tests');
    const owner = await json(t, 'PUT', '/publishers/res/nodes/upd-pack', { description: 'by the owner' }, w.userToken);
    assert.equal(owner.status, 200);
    assert.deepEqual([owner.body.search_ranking, owner.body.preempted_comfy_node_names], [4, ['UpdNode']]);
  });

  it("counts only each pack's newest successfully extracted version", async () => {
    await extracted(t, w, 'newest', '1.0.0', ['DroppedNode', 'KeptNode']);
    await extracted(t, w, 'newest', '2.0.0', ['KeptNode']);
    assert.equal(await resolvedBy(t, 'DroppedNode'), 404, 'only an older version has it');
    assert.equal(await resolvedBy(t, 'KeptNode'), 'newest');
    await publish(t, w, 'newest', '3.0.0', 'res');
    assert.equal((await postComfyNodes(t, 'newest', '3.0.0', { success: false })).status, 204);
    await publish(t, w, 'newest', '4.0.0', 'res');
    assert.equal(await resolvedBy(t, 'KeptNode'), 'newest', 'failed and pending versions do not count');
    await extracted(t, w, 'newest', '5.0.0', ['NewNode']);
    assert.equal(await resolvedBy(t, 'KeptNode'), 404);
    assert.equal(await resolvedBy(t, 'NewNode'), 'newest');
  });

  it('never resolves a Banned comfy node or an inactive pack; LocalOnly still resolves', async () => {
    await extracted(t, w, 'ban-a', '1.0.0', ['BanNode', 'LocalNode']);
    await extracted(t, w, 'ban-b', '1.0.0', ['BanNode']);
    await setDownloads(t, 'ban-a', 10);
    assert.equal(await resolvedBy(t, 'BanNode'), 'ban-a');
    await setPolicy(t, 'ban-a', '1.0.0', 'BanNode', 'ComfyNodePolicyBanned');
    assert.equal(await resolvedBy(t, 'BanNode'), 'ban-b', 'the change shows on the next request');
    await setPolicy(t, 'ban-b', '1.0.0', 'BanNode', 'ComfyNodePolicyBanned');
    assert.equal(await resolvedBy(t, 'BanNode'), 404);
    assert.equal(await resolvedBy(t, 'BanNode', t.adminToken), 404, 'not even for admins');
    await setPolicy(t, 'ban-a', '1.0.0', 'LocalNode', 'ComfyNodePolicyLocalOnly');
    assert.equal(await resolvedBy(t, 'LocalNode'), 'ban-a');
    assert.equal((await json(t, 'DELETE', '/publishers/res/nodes/ban-a', undefined, w.userToken)).status, 204);
    assert.equal(await resolvedBy(t, 'LocalNode'), 404, 'a deleted pack provides nothing');
  });

  it('reaches free-text names raw and percent-encoded', async () => {
    await extracted(t, w, 'text-pack', '1.0.0', FREE_TEXT);
    for (const name of FREE_TEXT) {
      const encoded = await json(t, 'GET', `/comfy-nodes/${encodeURIComponent(name)}/node`);
      assert.equal(encoded.status, 200, name);
      assert.equal(encoded.body.id, 'text-pack');
    }
    for (const raw of [
      'ShowText|pysssss',
      'Context%20Big%20(rgthree)',
      '[WIP]%20Tile%20^2%20+%20Blend',
      '%5BWIP%5D%20Tile%20%5E2%20%2B%20Blend',
    ]) {
      const res = await json(t, 'GET', `/comfy-nodes/${raw}/node`);
      assert.equal(res.status, 200, raw);
      assert.equal(res.body.id, 'text-pack', raw);
    }
    const base = await t.listen();
    const viaHttp = await fetch(`${base}/comfy-nodes/${encodeURIComponent('Überblendung ノード')}/node`);
    assert.equal(viaHttp.status, 200);
    assert.equal((await viaHttp.json()).id, 'text-pack');
    assert.equal(await resolvedBy(t, 'ShowText|PYSSSSS'), 404, 'names are case-sensitive');
  });

  it('bulk-resolves names in one request, null for unknown ones', async () => {
    await extracted(t, w, 'bulk-pack', '1.2.0', ['BulkA', 'BulkB']);
    const res = await json(t, 'POST', '/comfy-nodes/resolve', { names: ['BulkA', 'Unknown', 'BulkB', 'BulkA', '__proto__'] });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      results: {
        BulkA: { node_id: 'bulk-pack', version: '1.2.0', source: 'registry' },
        Unknown: null,
        BulkB: { node_id: 'bulk-pack', version: '1.2.0', source: 'registry' },
        ['__proto__']: null,
      },
    });
    assert.deepEqual(Object.keys(res.body.results), ['BulkA', 'Unknown', 'BulkB', '__proto__']);
    const ranked = await json(t, 'POST', '/comfy-nodes/resolve', { names: ['PreNode', 'RankNode', 'IdNode', 'DroppedNode'] });
    const ids = Object.values(ranked.body.results).map((r) => (r as { node_id: string } | null)?.node_id ?? null);
    assert.deepEqual(ids, ['pre-a', 'rank-b', 'id-a', null], 'the same ranking as the single resolver');
    const big = Array.from({ length: 5000 }, (_, i) => `Name${i}`);
    const full = await json(t, 'POST', '/comfy-nodes/resolve', { names: [...big.slice(1), 'BulkA'] });
    assert.equal(full.status, 200);
    assert.equal(full.body.results.BulkA.node_id, 'bulk-pack');
  });

  it('refuses bad bulk bodies with 400 ErrorResponse and writes nothing', async () => {
    const before = await snapshot(t);
    const bodies: unknown[] = [
      {},
      { names: ['A'], workflow: { nodes: [] } },
      { names: 'A' },
      { names: [1, 2] },
      { names: Array.from({ length: 5001 }, (_, i) => `N${i}`) },
      { workflow: [] },
      { workflow: 'nodes' },
      { workflow: null },
      { workflow: { nodes: Array.from({ length: 5001 }, (_, i) => ({ type: `T${i}` })) } },
      '{"names": [',
      [],
    ];
    for (const body of bodies) {
      const res = await json(t, 'POST', '/comfy-nodes/resolve', body);
      assert.equal(res.status, 400, JSON.stringify(body).slice(0, 80));
      assert.deepEqual(Object.keys(res.body).sort(), ['error', 'message']);
    }
    assert.equal(await snapshot(t), before);
  });

  it('takes a workflow with hundreds of thousands of nodes without a 5xx', async () => {
    const nodes = Array.from({ length: 300_000 }, (_, i) => ({ id: i, type: i % 2 ? 'HugeA' : 'HugeB' }));
    const res = await json(t, 'POST', '/comfy-nodes/resolve', { workflow: { nodes } });
    assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 200));
    assert.deepEqual(Object.keys(res.body.results).sort(), ['HugeA', 'HugeB']);
  });

  it('bulk-resolves a UI-format workflow with subgraphs, answering cnr_id types from the workflow', async () => {
    const kj = await publisher(t, 'kijai');
    await extracted(t, kj, 'comfyui-kjnodes', '1.1.2', ['ImageResizeKJ']);
    const impact = await publisher(t, 'ltdrdata');
    await extracted(t, impact, 'comfyui-impact-pack', '8.15.0', ['FaceDetailer', 'UltralyticsDetectorProvider']);
    await extracted(t, impact, 'comfyui-custom-scripts', '1.2.5', ['ShowText|pysssss']);
    await publish(t, impact, 'comfyui-custom-scripts', '1.3.0', 'ltdrdata');
    await extracted(t, impact, 'was-node-suite-comfyui', '1.0.0', ['Image Blend (WAS)', 'ShowText|pysssss']);
    await adminUpdateNode(t, 'ltdrdata', 'was-node-suite-comfyui', { preempted_comfy_node_names: ['ShowText|pysssss'] });

    const res = await json(t, 'POST', '/comfy-nodes/resolve', { workflow: fixture('ui-with-subgraph.json') });
    assert.equal(res.status, 200);
    const core = null;
    assert.deepEqual(res.body.results, {
      CheckpointLoaderSimple: core,
      CLIPTextEncode: core,
      KSampler: core,
      EmptyLatentImage: core,
      ImageResizeKJ: { node_id: 'comfyui-kjnodes', version: '1.1.2', source: 'registry' },
      'ShowText|pysssss': { node_id: 'comfyui-custom-scripts', version: '1.2.5', source: 'cnr_id' },
      'Context Big (rgthree)': null,
      SaveImage: core,
      Reroute: null,
      Note: null,
      VAEDecode: core,
      UltralyticsDetectorProvider: { node_id: 'comfyui-impact-pack', version: '8.15.0', source: 'registry' },
      FaceDetailer: { node_id: 'comfyui-impact-pack', version: '8.15.0', source: 'registry' },
      ImageSharpen: core,
      'Image Blend (WAS)': { node_id: 'was-node-suite-comfyui', version: '1.0.0', source: 'registry' },
    });

    const rg = await publisher(t, 'rgthree');
    await publish(t, rg, 'rgthree-comfy', '1.0.0', 'rgthree');
    const again = await json(t, 'POST', '/comfy-nodes/resolve', { workflow: fixture('ui-with-subgraph.json') });
    assert.deepEqual(
      again.body.results['Context Big (rgthree)'],
      {
        node_id: 'rgthree-comfy',
        version: '32142fe476878a354dda6e2d4b5ea98960de3ced',
        source: 'cnr_id',
      },
      'a cnr_id pack need not be extracted; ver is reported as written',
    );
  });

  it('bulk-resolves an API-format workflow by class_type', async () => {
    const res = await json(t, 'POST', '/comfy-nodes/resolve', { workflow: fixture('api-format.json') });
    assert.equal(res.status, 200);
    const summary = Object.fromEntries(
      Object.entries(res.body.results).map(([k, v]) => [k, (v as { node_id: string } | null)?.node_id ?? null]),
    );
    assert.deepEqual(summary, {
      KSampler: null,
      CheckpointLoaderSimple: null,
      EmptyLatentImage: null,
      CLIPTextEncode: null,
      VAEDecode: null,
      ImageResizeKJ: 'comfyui-kjnodes',
      'ShowText|pysssss': 'was-node-suite-comfyui',
      FaceDetailer: 'comfyui-impact-pack',
      UltralyticsDetectorProvider: 'comfyui-impact-pack',
      SaveImage: null,
    });
    assert.equal(res.body.results['ShowText|pysssss'].source, 'registry', 'without cnr_id the preempting pack wins');
  });
});
