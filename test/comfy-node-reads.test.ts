import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { snapshot, startRegistry, type TestRegistry, forEachBackend } from './helpers/registry.js';
import { json, postComfyNodes, publish } from './helpers/flow.js';
import { extracted, publisher, setPolicy } from './helpers/comfy-packs.js';

const BANNED = 'ComfyNodePolicyBanned';
const LOCAL_ONLY = 'ComfyNodePolicyLocalOnly';
const names = (body: { comfy_nodes: { comfy_node_name: string }[] }) => body.comfy_nodes.map((n) => n.comfy_node_name);
const enc = encodeURIComponent;

forEachBackend('comfy node reads', (backend) => {
  let t: TestRegistry;
  const many = Array.from({ length: 25 }, (_, i) => `Node${String(i).padStart(2, '0')}`);
  before(async () => {
    t = await startRegistry(backend);
    const w = await publisher(t, 'reads');
    await extracted(t, w, 'list-pack', '1.0.0', many);
    await extracted(t, w, 'list-pack', '1.1.0', ['Node00', 'Only11']);
    await publish(t, w, 'list-pack', '2.0.0', 'reads');
    await publish(t, w, 'list-pack', '2.1.0', 'reads');
    assert.equal((await postComfyNodes(t, 'list-pack', '2.1.0', { success: false, reason: 'import error' })).status, 204);
    await extracted(t, w, 'other-pack', '0.1.0', { Node00: { category: 'other' }, 'Blend (WAS)': {} });
  });
  after(async () => t?.close());

  it('ListComfyNodes pages a version by name with totalNumberOfPages', async () => {
    const first = await json(t, 'GET', '/nodes/list-pack/versions/1.0.0/comfy-nodes');
    assert.equal(first.status, 200);
    assert.deepEqual(names(first.body), many.slice(0, 10), 'default limit 10, sorted by name');
    assert.equal(first.body.totalNumberOfPages, 3);
    const third = await json(t, 'GET', '/nodes/list-pack/versions/1.0.0/comfy-nodes?page=3&limit=10');
    assert.deepEqual(names(third.body), many.slice(20));
    const frontend = await json(t, 'GET', '/nodes/list-pack/versions/v1.0/comfy-nodes?limit=8192');
    assert.equal(frontend.body.comfy_nodes.length, 25, 'the frontend limit, and a semver-normalised version');
    assert.equal(frontend.body.totalNumberOfPages, 1);
  });

  it('ListComfyNodes clamps every paging edge instead of refusing it', async () => {
    const get = async (q: string) => (await json(t, 'GET', `/nodes/list-pack/versions/1.0.0/comfy-nodes?${q}`)).body;
    const past = await get('page=9&limit=10');
    assert.deepEqual(past, { comfy_nodes: [], totalNumberOfPages: 3 }, 'page past the end');
    assert.equal((await get('limit=0')).comfy_nodes.length, 10, 'limit 0 → default');
    assert.equal((await get('limit=-4')).comfy_nodes.length, 10, 'negative limit → default');
    const over = await get('limit=10001');
    assert.equal(over.comfy_nodes.length, 25, 'limit over the maximum → the maximum');
    assert.equal(over.totalNumberOfPages, 1);
    assert.deepEqual(names(await get('page=-2')), many.slice(0, 10), 'negative page → 1');
    assert.deepEqual(names(await get('page=0&limit=3')), many.slice(0, 3));
    assert.deepEqual((await get('page=99999999999999999999')).comfy_nodes, [], 'a huge page is past the end, not a 500');
    assert.equal((await json(t, 'GET', '/nodes/list-pack/versions/1.0.0/comfy-nodes?limit=ten')).status, 400);
  });

  it('ListComfyNodes: unknown version 404, pending and failed versions 200 with nothing', async () => {
    const unknown = await json(t, 'GET', '/nodes/list-pack/versions/9.9.9/comfy-nodes');
    assert.equal(unknown.status, 404);
    assert.equal(typeof unknown.body.error, 'string');
    assert.equal((await json(t, 'GET', '/nodes/no-such-pack/versions/1.0.0/comfy-nodes')).status, 404);
    for (const v of ['2.0.0', '2.1.0']) {
      const res = await json(t, 'GET', `/nodes/list-pack/versions/${v}/comfy-nodes`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { comfy_nodes: [], totalNumberOfPages: 0 });
    }
  });

  it('GetComfyNode answers every field, with zero values when the extractor sent none', async () => {
    const w = await publisher(t, 'zeros');
    await publish(t, w, 'zero-pack', '1.0.0', 'zeros');
    assert.equal((await postComfyNodes(t, 'zero-pack', '1.0.0', { nodes: { Bare: {} } })).status, 204);
    const res = await json(t, 'GET', '/nodes/zero-pack/versions/1.0.0/comfy-nodes/Bare');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      comfy_node_name: 'Bare',
      category: '',
      description: '',
      function: '',
      input_types: '{}',
      return_types: '[]',
      return_names: '[]',
      output_is_list: [],
      deprecated: false,
      experimental: false,
      display_name: '',
      output_node: false,
      policy: 'ComfyNodePolicyActive',
    });
    const full = await json(t, 'GET', `/nodes/other-pack/versions/0.1.0/comfy-nodes/${enc('Blend (WAS)')}`);
    assert.equal(full.body.category, 'image/filters');
    assert.deepEqual(JSON.parse(full.body.return_types), ['IMAGE']);
  });

  it('GetComfyNode 404s: unknown version, unextracted version, unknown name', async () => {
    for (const url of [
      '/nodes/list-pack/versions/9.9.9/comfy-nodes/Node00',
      '/nodes/list-pack/versions/2.0.0/comfy-nodes/Node00',
      '/nodes/list-pack/versions/1.0.0/comfy-nodes/Only11',
      '/nodes/missing/versions/1.0.0/comfy-nodes/Node00',
    ]) {
      const res = await json(t, 'GET', url);
      assert.equal(res.status, 404, url);
      assert.deepEqual(Object.keys(res.body).sort(), ['error', 'message']);
    }
    assert.equal((await json(t, 'GET', '/nodes/list-pack/versions/1.1.0/comfy-nodes/Only11')).status, 200);
  });

  it('UpdateComfyNode is admin only, partial, validates JSON text and 404s', async () => {
    const url = '/nodes/list-pack/versions/1.0.0/comfy-nodes/Node05';
    const w = await publisher(t, 'upd-other');
    assert.equal((await json(t, 'PUT', url, { category: 'x' })).status, 401);
    assert.equal((await json(t, 'PUT', url, { category: 'x' }, w.userToken)).status, 403);
    assert.equal((await json(t, 'PUT', url, { category: 'x' }, t.serviceToken)).status, 403);
    const before = (await json(t, 'GET', url)).body;
    const res = await json(t, 'PUT', url, { category: 'utils/new', output_is_list: [true], comfy_node_name: 'Renamed' }, t.adminToken);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { ...before, category: 'utils/new', output_is_list: [true] }, 'only the sent fields change, never the name');
    assert.deepEqual((await json(t, 'GET', url)).body, res.body);

    const unchanged = await snapshot(t);
    for (const body of [
      { input_types: '{not json' },
      { return_types: '{"a":1}' },
      { policy: 'ComfyNodePolicyMaybe' },
      { deprecated: 'yes' },
    ]) {
      const bad = await json(t, 'PUT', url, body, t.adminToken);
      assert.equal(bad.status, 400, JSON.stringify(body));
    }
    assert.equal((await json(t, 'PUT', '/nodes/list-pack/versions/1.0.0/comfy-nodes/Nope', { category: 'x' }, t.adminToken)).status, 404);
    assert.equal((await json(t, 'PUT', '/nodes/list-pack/versions/7.0.0/comfy-nodes/Node05', { category: 'x' }, t.adminToken)).status, 404);
    assert.equal(await snapshot(t), unchanged);
  });

  it('ListAllComfyNodes filters exactly, carries node_id and version, and clamps pageSize', async () => {
    const all = await json(t, 'GET', '/comfy-nodes');
    assert.equal(all.status, 200);
    assert.equal(all.body.page, 1);
    assert.equal(all.body.page_size, 100);
    assert.equal(all.body.total, all.body.comfy_nodes.length);
    assert.ok(all.body.total >= 29);
    const byName = await json(t, 'GET', '/comfy-nodes?comfy_node_name=Node00');
    assert.deepEqual(byName.body.comfy_nodes.map((n: { node_id: string; version: string }) => `${n.node_id}@${n.version}`).sort(), [
      'list-pack@1.0.0',
      'list-pack@1.1.0',
      'other-pack@0.1.0',
    ]);
    const byNode = await json(t, 'GET', '/comfy-nodes?node_id=OTHER-PACK');
    assert.deepEqual(names(byNode.body), ['Blend (WAS)', 'Node00']);
    const byVersion = await json(t, 'GET', '/comfy-nodes?node_id=list-pack&node_version=v1.1');
    assert.deepEqual(names(byVersion.body), ['Node00', 'Only11']);
    assert.equal((await json(t, 'GET', '/comfy-nodes?comfy_node_name=node00')).body.total, 0, 'names match exactly');
    assert.equal((await json(t, 'GET', `/comfy-nodes?comfy_node_name=${enc('Blend (WAS)')}`)).body.total, 1);

    const q = (s: string) => json(t, 'GET', `/comfy-nodes?node_id=list-pack&node_version=1.0.0&${s}`);
    const page2 = (await q('page=2&pageSize=10')).body;
    assert.deepEqual(names(page2), many.slice(10, 20));
    assert.deepEqual([page2.total, page2.page, page2.page_size], [25, 2, 10]);
    assert.equal((await q('pageSize=0')).body.page_size, 100, 'pageSize 0 → default');
    assert.equal((await q('pageSize=-7')).body.page_size, 100, 'negative pageSize → default');
    assert.equal((await q('pageSize=500')).body.page_size, 100, 'clamped to 100');
    const past = (await q('page=4&pageSize=10')).body;
    assert.deepEqual([past.comfy_nodes.length, past.total, past.page], [0, 25, 4], 'page past the end');
    assert.equal((await q('page=0')).body.page, 1);
    assert.equal((await q('pageSize=x')).status, 400);
  });

  it('searchNodes finds packs by a comfy node of their newest extracted version and by text', async () => {
    const shape = await json(t, 'GET', '/nodes/search?comfy_node_search=Node00');
    assert.equal(shape.status, 200);
    assert.deepEqual(Object.keys(shape.body).sort(), ['limit', 'nodes', 'page', 'total', 'totalPages']);
    const ids = (b: { nodes: { id: string }[] }) => b.nodes.map((n) => n.id).sort();
    assert.deepEqual(ids(shape.body), ['list-pack', 'other-pack']);
    assert.equal(shape.body.nodes.find((n: { id: string }) => n.id === 'list-pack').latest_version.version, '2.1.0');
    assert.deepEqual(ids((await json(t, 'GET', '/nodes/search?comfy_node_search=Only11')).body), ['list-pack']);
    const older = await json(t, 'GET', '/nodes/search?comfy_node_search=Node07');
    assert.deepEqual(older.body.nodes, [], 'Node07 is only in 1.0.0, not in the newest extracted 1.1.0');
    const text = await json(t, 'GET', '/nodes/search?search=OTHER');
    assert.deepEqual(ids(text.body), ['other-pack'], 'case-insensitive over the id');
    assert.equal((await json(t, 'GET', '/nodes/search?search=for%20tests&comfy_node_search=Only11')).body.total, 1, 'both filters apply');
    assert.equal((await json(t, 'GET', '/nodes/search?search=100%25')).body.total, 0, '% is literal');
    assert.equal((await json(t, 'GET', '/nodes/search?search=list_pack')).body.total, 0, '_ is literal');
    const paged = await json(t, 'GET', '/nodes/search?comfy_node_search=Node00&limit=1&page=2');
    assert.deepEqual([paged.body.nodes.length, paged.body.total, paged.body.totalPages, paged.body.limit], [1, 2, 2, 1]);
    for (const q of ['limit=0', 'limit=-1', 'limit=1000', 'page=50', 'page=-1']) {
      const res = await json(t, 'GET', `/nodes/search?comfy_node_search=Node00&${q}`);
      assert.equal(res.status, 200, q);
      assert.ok(res.body.limit >= 1 && res.body.limit <= 100 && res.body.page >= 1, q);
    }
    assert.equal((await json(t, 'GET', '/nodes/search?limit=many')).status, 400);
  });

  it('Banned comfy nodes vanish from every public read; admins see them with their policy', async () => {
    const w = await publisher(t, 'policy');
    await extracted(t, w, 'policy-pack', '1.0.0', ['Evil', 'Fine', 'Hosted']);
    await setPolicy(t, 'policy-pack', '1.0.0', 'Evil', BANNED);
    await setPolicy(t, 'policy-pack', '1.0.0', 'Hosted', LOCAL_ONLY);
    const base = '/nodes/policy-pack/versions/1.0.0/comfy-nodes';
    const list = await json(t, 'GET', base);
    assert.deepEqual(names(list.body), ['Fine', 'Hosted']);
    assert.equal(list.body.comfy_nodes[1].policy, LOCAL_ONLY, 'LocalOnly is served with its policy');
    assert.equal((await json(t, 'GET', `${base}/Evil`)).status, 404);
    assert.equal((await json(t, 'GET', `${base}/Hosted`)).body.policy, LOCAL_ONLY);
    assert.equal((await json(t, 'GET', '/comfy-nodes?comfy_node_name=Evil')).body.total, 0);
    assert.equal((await json(t, 'GET', '/comfy-nodes?node_id=policy-pack')).body.total, 2);
    assert.equal((await json(t, 'GET', '/nodes/search?comfy_node_search=Evil')).body.total, 0);
    assert.equal((await json(t, 'GET', '/nodes/search?comfy_node_search=Hosted')).body.total, 1);

    const admin = await json(t, 'GET', base, undefined, t.adminToken);
    assert.deepEqual(names(admin.body), ['Evil', 'Fine', 'Hosted']);
    assert.equal(admin.body.comfy_nodes[0].policy, BANNED);
    assert.equal((await json(t, 'GET', `${base}/Evil`, undefined, t.adminToken)).body.policy, BANNED);
    const adminAll = await json(t, 'GET', '/comfy-nodes?comfy_node_name=Evil', undefined, t.adminToken);
    assert.equal(adminAll.body.comfy_nodes[0].policy, BANNED);
    assert.equal((await json(t, 'GET', '/nodes/search?comfy_node_search=Evil', undefined, t.adminToken)).body.total, 1);
    const user = await publisher(t, 'policy-user');
    assert.equal((await json(t, 'GET', `${base}/Evil`, undefined, user.userToken)).status, 404, 'a plain user is the public');

    await setPolicy(t, 'policy-pack', '1.0.0', 'Evil', 'ComfyNodePolicyActive');
    assert.equal((await json(t, 'GET', `${base}/Evil`)).status, 200, 'the change shows on the next request');
  });

  it('a ban survives a new release: the next version inherits the policy', async () => {
    const w = await publisher(t, 'inherit');
    await extracted(t, w, 'inherit-pack', '1.0.0', ['Kept', 'Gone']);
    await setPolicy(t, 'inherit-pack', '1.0.0', 'Gone', BANNED);
    await extracted(t, w, 'inherit-pack', '1.1.0', ['Kept', 'Gone']);
    assert.deepEqual(names((await json(t, 'GET', '/nodes/inherit-pack/versions/1.1.0/comfy-nodes')).body), ['Kept']);
  });

  it('hides comfy nodes of deleted versions and packs from the public lists', async () => {
    const w = await publisher(t, 'gone');
    await extracted(t, w, 'gone-pack', '1.0.0', ['GoneNode']);
    assert.equal((await json(t, 'GET', '/comfy-nodes?comfy_node_name=GoneNode')).body.total, 1);
    assert.equal(
      (await json(t, 'PUT', '/admin/nodes/gone-pack/versions/1.0.0', { status: 'NodeVersionStatusDeleted' }, t.adminToken)).status,
      200,
    );
    assert.equal((await json(t, 'GET', '/comfy-nodes?comfy_node_name=GoneNode')).body.total, 0);
    assert.equal((await json(t, 'GET', '/nodes/gone-pack/versions/1.0.0/comfy-nodes')).status, 404);
    assert.equal((await json(t, 'GET', '/comfy-nodes?comfy_node_name=GoneNode', undefined, t.adminToken)).body.total, 1);
  });
});
