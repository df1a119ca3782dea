import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend, startRegistry, type TestRegistry } from './helpers/registry.js';
import { extracted, publisher, setPolicy } from './helpers/comfy-packs.js';
import { json, publish } from './helpers/flow.js';
import { backfillComfyNodeTypes } from '../src/db/comfy-node-types.js';

const inputs = (required: Record<string, unknown>) => JSON.stringify({ required, hidden: { unique_id: ['UNIQUE_ID'] } });
const node = (required: Record<string, unknown>, returns: unknown[], more: Record<string, unknown> = {}) => ({
  input_types: inputs(required),
  return_types: JSON.stringify(returns),
  return_names: JSON.stringify(returns.map((_, i) => `out${i}`)),
  output_is_list: returns.map(() => false),
  ...more,
});

const imageToMask = node({ image: ['IMAGE'] }, ['MASK']);

forEachBackend('type search: GET /comfy-nodes by input and output type', (backend) => {
  let t: TestRegistry;
  before(async () => {
    t = await startRegistry(backend, { readCache: 0 });
    const a = await publisher(t, 'tpa');
    const b = await publisher(t, 'tpb');
    await extracted(t, a, 'tp-a', '1.0.0', { MaskFromImage: imageToMask, OldOnly: imageToMask, BlurA: {} });
    await extracted(t, a, 'tp-a', '1.1.0', {
      MaskFromImage: imageToMask,
      BlurA: {},
      UnionIn: node({ pixels: ['IMAGE,MASK', { forceInput: true }] }, ['IMAGE']),
      AnyIn: node({ value: ['*'] }, ['MASK'], { display_name: 'Anything to mask' }),
      ComboNode: node({ mode: [['a', 'b'], { default: 'a' }], pick: ['COMBO', { options: ['x'] }] }, ['STRING']),
      HiddenImage: { input_types: JSON.stringify({ required: {}, hidden: { img: ['IMAGE'] } }), return_types: '["MASK"]' },
    });
    // A newer version without comfy nodes (not extracted yet) does not hide 1.1.0.
    await publish(t, a, 'tp-a', '1.2.0', 'tpa');
    await extracted(t, b, 'tp-b', '1.0.0', {
      MaskOnly: node({ mask: ['MASK'] }, ['MASK', 'IMAGE'], { category: 'masking' }),
      BannedMask: imageToMask,
    });
    await setPolicy(t, 'tp-b', '1.0.0', 'BannedMask', 'ComfyNodePolicyBanned');
  });
  after(async () => t?.close());

  async function names(query: string, token?: string): Promise<string[]> {
    const res = await json(t, 'GET', `/comfy-nodes?${query}`, undefined, token);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.total >= res.body.comfy_nodes.length, true);
    return res.body.comfy_nodes.map(
      (n: { node_id: string; version: string; comfy_node_name: string }) => `${n.node_id}@${n.version}/${n.comfy_node_name}`,
    );
  }

  it('matches an input of each asked input type and an output of each asked output type, in the newest extracted version', async () => {
    assert.deepEqual(await names('input_type=IMAGE&output_type=MASK'), ['tp-a@1.1.0/AnyIn', 'tp-a@1.1.0/MaskFromImage']);
    assert.deepEqual(await names('output_type=MASK&output_type=IMAGE'), ['tp-b@1.0.0/MaskOnly']);
    assert.deepEqual(await names('input_type=MASK'), ['tp-a@1.1.0/AnyIn', 'tp-b@1.0.0/MaskOnly', 'tp-a@1.1.0/UnionIn']);
  });

  it('says when only a * input accepts the asked type', async () => {
    const res = await json(t, 'GET', '/comfy-nodes?input_type=IMAGE&input_type=*&output_type=MASK');
    assert.deepEqual(
      res.body.comfy_nodes.map((n: any) => [n.comfy_node_name, n.wildcard_input_types]),
      [['AnyIn', ['IMAGE']]],
    );
    const exact = await json(t, 'GET', '/comfy-nodes?input_type=IMAGE&output_type=MASK&comfy_node_name=MaskFromImage');
    assert.equal(exact.body.comfy_nodes[0].wildcard_input_types, undefined);
    assert.deepEqual(await names('input_type=*'), ['tp-a@1.1.0/AnyIn'], 'asking for * finds the wildcard inputs only');
  });

  it('compares as ComfyUI does: unions match either member, combos are COMBO, names are case-sensitive, hidden inputs do not link', async () => {
    assert.deepEqual(await names('input_type=IMAGE,MASK&output_type=MASK'), [
      'tp-a@1.1.0/AnyIn',
      'tp-a@1.1.0/MaskFromImage',
      'tp-b@1.0.0/MaskOnly',
    ]);
    const union = await names('input_type=IMAGE,MASK&output_type=MASK');
    const paged: string[] = [];
    for (let page = 1; page <= union.length + 1; page++)
      paged.push(...(await names(`input_type=IMAGE,MASK&output_type=MASK&pageSize=1&page=${page}`)));
    assert.deepEqual(paged, union, 'pages of a union merge its ranges without repeating a node');
    assert.deepEqual(await names('input_type=COMBO'), ['tp-a@1.1.0/AnyIn', 'tp-a@1.1.0/ComboNode']);
    assert.deepEqual(await names('input_type=image&output_type=MASK'), ['tp-a@1.1.0/AnyIn']);
    assert.deepEqual(await names('output_type=mask'), []);
    assert.ok(!(await names('input_type=IMAGE')).includes('tp-a@1.1.0/HiddenImage'));
  });

  it('hides banned comfy nodes and inactive packs from the public, not from admins', async () => {
    assert.deepEqual(await names('input_type=IMAGE&output_type=MASK', t.adminToken), [
      'tp-a@1.1.0/AnyIn',
      'tp-b@1.0.0/BannedMask',
      'tp-a@1.1.0/MaskFromImage',
    ]);
    const admin = await json(t, 'GET', '/comfy-nodes?output_type=MASK&node_id=tp-b', undefined, t.adminToken);
    assert.equal(admin.body.comfy_nodes.find((n: any) => n.comfy_node_name === 'BannedMask').policy, 'ComfyNodePolicyBanned');
  });

  it('searches text in name, display name and category, with the other filters and paging', async () => {
    assert.deepEqual(await names('q=MASK'), ['tp-a@1.1.0/AnyIn', 'tp-a@1.1.0/MaskFromImage', 'tp-b@1.0.0/MaskOnly']);
    assert.deepEqual(await names('q=mask&input_type=IMAGE'), ['tp-a@1.1.0/AnyIn', 'tp-a@1.1.0/MaskFromImage']);
    assert.deepEqual(await names('q=%25'), [], '% is literal');
    assert.deepEqual(await names('output_type=MASK&node_id=TP-B'), ['tp-b@1.0.0/MaskOnly']);
    const page = await json(t, 'GET', '/comfy-nodes?input_type=IMAGE&output_type=MASK&pageSize=1&page=2');
    assert.deepEqual(
      [page.body.total, page.body.page, page.body.page_size, page.body.comfy_nodes.map((n: any) => n.comfy_node_name)],
      [2, 2, 1, ['MaskFromImage']],
    );
  });

  it('searches the versions node_version names instead of the newest', async () => {
    assert.deepEqual(await names('node_version=1.0.0&output_type=MASK'), [
      'tp-a@1.0.0/MaskFromImage',
      'tp-b@1.0.0/MaskOnly',
      'tp-a@1.0.0/OldOnly',
    ]);
    assert.deepEqual(await names('node_version=1.0.0&node_id=tp-a&q=old'), ['tp-a@1.0.0/OldOnly']);
    assert.deepEqual(await names('node_version=9.9.9&output_type=MASK'), []);
  });

  it('answers as before without input_type, output_type and q', async () => {
    assert.deepEqual(await names('comfy_node_name=OldOnly'), ['tp-a@1.0.0/OldOnly']);
    assert.deepEqual(await names('q='), await names(''), 'an empty q is no search');
  });

  it('refuses type filters that name nothing, or too many', async () => {
    for (const query of [
      'input_type=',
      'output_type=,',
      `input_type=${Array(9).fill('IMAGE').join('&input_type=')}`,
      'q=' + 'x'.repeat(201),
    ]) {
      const res = await json(t, 'GET', `/comfy-nodes?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error, 'BAD_REQUEST', query);
    }
  });

  it('follows UpdateComfyNode and pack bans', async () => {
    await json(t, 'PUT', '/nodes/tp-b/versions/1.0.0/comfy-nodes/MaskOnly', { return_types: '["LATENT"]' }, t.adminToken);
    assert.deepEqual(await names('node_id=tp-b&output_type=LATENT'), ['tp-b@1.0.0/MaskOnly']);
    assert.deepEqual(await names('node_id=tp-b&output_type=MASK'), []);
    await setPolicy(t, 'tp-b', '1.0.0', 'BannedMask', 'ComfyNodePolicyActive');
    assert.deepEqual(await names('node_id=tp-b&output_type=MASK'), ['tp-b@1.0.0/BannedMask']);
    const ban = await json(t, 'POST', '/publishers/tpb/nodes/tp-b/ban', undefined, t.adminToken);
    assert.equal(ban.status, 204);
    assert.deepEqual(await names('output_type=MASK&input_type=IMAGE'), ['tp-a@1.1.0/AnyIn', 'tp-a@1.1.0/MaskFromImage']);
  });

  it('moves with the newest version: kept, changed, dropped and new comfy nodes, and back when it is unpublished', async () => {
    const c = await publisher(t, 'tpc');
    await extracted(t, c, 'tp-c', '1.0.0', { Keep: imageToMask, Change: imageToMask, Drop: imageToMask });
    assert.deepEqual(await names('node_id=tp-c&input_type=IMAGE'), ['tp-c@1.0.0/Change', 'tp-c@1.0.0/Drop', 'tp-c@1.0.0/Keep']);
    await extracted(t, c, 'tp-c', '1.1.0', { Keep: imageToMask, Change: node({ latent: ['LATENT'] }, ['MASK']), New: imageToMask });
    assert.deepEqual(await names('node_id=tp-c&input_type=IMAGE'), ['tp-c@1.1.0/Keep', 'tp-c@1.1.0/New']);
    assert.deepEqual(await names('node_id=tp-c&input_type=LATENT&output_type=MASK'), ['tp-c@1.1.0/Change']);
    await setPolicy(t, 'tp-c', '1.1.0', 'Keep', 'ComfyNodePolicyBanned');
    assert.deepEqual(await names('node_id=tp-c&input_type=IMAGE'), ['tp-c@1.1.0/New']);
    assert.deepEqual(await names('node_id=tp-c&input_type=IMAGE', t.adminToken), ['tp-c@1.1.0/Keep', 'tp-c@1.1.0/New']);
    const gone = await json(t, 'DELETE', '/publishers/tpc/nodes/tp-c/versions/1.1.0', undefined, c.userToken);
    assert.equal(gone.status, 204);
    assert.deepEqual(await names('node_id=tp-c&input_type=IMAGE'), ['tp-c@1.0.0/Change', 'tp-c@1.0.0/Drop', 'tp-c@1.0.0/Keep']);
    assert.deepEqual(await names('node_id=tp-c&input_type=LATENT'), []);
  });

  it('rebuilds the same index from the stored comfy nodes (the migration backfill)', async () => {
    const db = t.database.db;
    const read = async () => ({
      types: await db.selectFrom('comfy_node_types').selectAll().orderBy(['node_id', 'comfy_node_name', 'direction', 'type']).execute(),
      pairs: await db
        .selectFrom('comfy_node_type_pairs')
        .selectAll()
        .orderBy(['node_id', 'comfy_node_name', 'input_type', 'output_type'])
        .execute(),
      sigs: await db.selectFrom('comfy_node_type_sigs').selectAll().orderBy(['node_id', 'comfy_node_name']).execute(),
    });
    const kept = await read();
    assert.ok(kept.types.some((r) => r.listed === 1) && kept.types.some((r) => r.listed === 2));
    assert.ok(kept.pairs.some((r) => r.input_type === '*' && r.output_type === 'MASK'));
    await db.deleteFrom('comfy_node_type_pairs').execute();
    await db.deleteFrom('comfy_node_types').execute();
    await db.deleteFrom('comfy_node_type_sigs').execute();
    await backfillComfyNodeTypes(db);
    assert.deepEqual(await read(), kept);
  });
});
