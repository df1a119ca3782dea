import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { snapshot, startRegistry, tableCounts, type TestRegistry, forEachBackend } from './helpers/registry.js';
import { comfyNode, json, postComfyNodes, publish, world, type World } from './helpers/flow.js';

const rowsOf = async (t: TestRegistry, nodeId: string, version: string) =>
  t.database.db
    .selectFrom('comfy_nodes')
    .innerJoin('node_versions', 'node_versions.id', 'comfy_nodes.node_version_id')
    .selectAll('comfy_nodes')
    .where('node_versions.node_id', '=', nodeId)
    .where('node_versions.version', '=', version)
    .orderBy('comfy_node_name')
    .execute();

const versionRow = (t: TestRegistry, nodeId: string, version: string) =>
  t.database.db
    .selectFrom('node_versions')
    .selectAll()
    .where('node_id', '=', nodeId)
    .where('version', '=', version)
    .executeTakeFirstOrThrow();

forEachBackend('CreateComfyNodes', (backend) => {
  let t: TestRegistry;
  let w: World;
  before(async () => {
    t = await startRegistry(backend);
    w = await world(t);
  });
  after(async () => t?.close());

  it('stores one row per map entry in one go and answers 204; the map key is the name', async () => {
    await publish(t, w, 'ok-pack', '1.0.0');
    const res = await postComfyNodes(t, 'ok-pack', '1.0.0', {
      success: true,
      cloud_build_info: { build_id: 'b1', location: 'here' },
      nodes: { BlurKJ: comfyNode({ comfy_node_name: 'IgnoredName' }), 'ShowText|pysssss': comfyNode({ category: 'utils' }) },
    });
    assert.equal(res.status, 204);
    assert.equal(res.body, undefined);
    const rows = await rowsOf(t, 'ok-pack', '1.0.0');
    assert.deepEqual(
      rows.map((r) => r.comfy_node_name),
      ['BlurKJ', 'ShowText|pysssss'],
    );
    assert.equal(rows[0].input_types, comfyNode().input_types);
    assert.equal(rows[0].policy, 'ComfyNodePolicyActive');
    const v = await versionRow(t, 'ok-pack', '1.0.0');
    assert.equal(v.comfy_node_extract_status, 'success');
    assert.deepEqual(JSON.parse(v.cloud_build_info), { build_id: 'b1', location: 'here', project_id: '', project_number: '' });

    const asAdmin = await json(t, 'GET', '/nodes/ok-pack/versions/1.0.0', undefined, t.adminToken);
    assert.deepEqual(asAdmin.body.cloud_build_info, { build_id: 'b1', location: 'here', project_id: '', project_number: '' });
    const asPublic = await json(t, 'GET', '/nodes/ok-pack/versions/1.0.0');
    assert.equal(asPublic.body.comfy_node_extract_status, 'success');
    assert.equal(asPublic.body.cloud_build_info, undefined, 'only an admin reads cloud_build_info back');
  });

  it('stores packs larger than one insert statement, twice in a row (full statements are prepared on PostgreSQL)', async () => {
    const names = (v: number) => Array.from({ length: 2345 }, (_, i) => `Big${v}_${i}`);
    for (const version of ['1.0.0', '1.1.0']) {
      await publish(t, w, 'big-pack', version);
      const nodes = Object.fromEntries(names(version === '1.0.0' ? 1 : 2).map((n, i) => [n, comfyNode({ category: `c${i % 7}` })]));
      assert.equal((await postComfyNodes(t, 'big-pack', version, { success: true, nodes })).status, 204);
    }
    for (const [version, v] of [
      ['1.0.0', 1],
      ['1.1.0', 2],
    ] as const) {
      const rows = await rowsOf(t, 'big-pack', version);
      assert.deepEqual(rows.map((r) => r.comfy_node_name).sort(), names(v).sort());
    }
  });

  it('answers 409 when the version already has rows, and changes nothing', async () => {
    const before = await snapshot(t);
    const res = await postComfyNodes(t, 'ok-pack', '1.0.0', { nodes: { Other: comfyNode() } });
    assert.equal(res.status, 409);
    assert.equal(res.body.error, 'COMFY_NODES_EXIST');
    assert.equal(typeof res.body.message, 'string');
    assert.equal(await snapshot(t), before);
  });

  it('answers 404 for an unknown node or version, on both branches, and changes nothing', async () => {
    const before = await snapshot(t);
    for (const [node, version, body] of [
      ['no-such-pack', '1.0.0', { nodes: { A: comfyNode() } }],
      ['ok-pack', '9.9.9', { nodes: { A: comfyNode() } }],
      ['ok-pack', '9.9.9', { success: false, reason: 'x' }],
    ] as const) {
      const res = await postComfyNodes(t, node, version, body);
      assert.equal(res.status, 404, `${node}@${version}`);
      assert.equal(res.body.error, 'VERSION_NOT_FOUND');
    }
    assert.equal(await snapshot(t), before);
  });

  it('matches the version exactly first, then by its semver-normalised form', async () => {
    await publish(t, w, 'sem-pack', 'v2.1');
    const res = await postComfyNodes(t, 'sem-pack', 'v2.1', { nodes: { Sem: comfyNode() } });
    assert.equal(res.status, 204);
    assert.equal((await rowsOf(t, 'sem-pack', '2.1.0')).length, 1);
    assert.equal((await postComfyNodes(t, 'SEM-PACK', '2.1.0', { nodes: { Sem2: comfyNode() } })).status, 409);
  });

  it('marks a version failed with its status and reason, then accepts a later success', async () => {
    await publish(t, w, 'fail-pack', '1.0.0');
    const res = await postComfyNodes(t, 'fail-pack', '1.0.0', {
      success: false,
      reason: 'pip install failed',
      cloud_build_info: { build_id: 'b9' },
    });
    assert.equal(res.status, 204);
    let v = await json(t, 'GET', '/nodes/fail-pack/versions/1.0.0');
    assert.equal(v.body.comfy_node_extract_status, 'failed');
    assert.equal(v.body.comfy_node_extract_reason, 'pip install failed');
    assert.equal((await rowsOf(t, 'fail-pack', '1.0.0')).length, 0);

    assert.equal(
      (await postComfyNodes(t, 'fail-pack', '1.0.0', { success: false, status: 'invalid_format', reason: 'not a zip' })).status,
      204,
    );
    v = await json(t, 'GET', '/nodes/fail-pack/versions/1.0.0');
    assert.equal(v.body.comfy_node_extract_status, 'invalid_format');

    assert.equal((await postComfyNodes(t, 'fail-pack', '1.0.0', { nodes: { Late: comfyNode() } })).status, 204);
    v = await json(t, 'GET', '/nodes/fail-pack/versions/1.0.0');
    assert.equal(v.body.comfy_node_extract_status, 'success');
    assert.equal(v.body.comfy_node_extract_reason, '');
  });

  it('keeps a posted policy, else inherits the newest earlier version, else Active', async () => {
    await publish(t, w, 'pol-pack', '1.0.0');
    await publish(t, w, 'pol-pack', '1.5.0');
    await publish(t, w, 'pol-pack', '2.0.0');
    await postComfyNodes(t, 'pol-pack', '1.0.0', {
      nodes: { Banned: comfyNode({ policy: 'ComfyNodePolicyActive' }), Local: comfyNode({ policy: 'ComfyNodePolicyLocalOnly' }) },
    });
    await postComfyNodes(t, 'pol-pack', '1.5.0', {
      nodes: { Banned: comfyNode({ policy: 'ComfyNodePolicyBanned' }), Local: comfyNode() },
    });
    // 2.0.0 inherits from 1.5.0 (the newest earlier version), not from 1.0.0.
    assert.equal(
      (
        await postComfyNodes(t, 'pol-pack', '2.0.0', {
          nodes: { Banned: comfyNode(), Local: comfyNode(), Fresh: comfyNode(), Kept: comfyNode({ policy: 'ComfyNodePolicyLocalOnly' }) },
        })
      ).status,
      204,
    );
    const policies = Object.fromEntries((await rowsOf(t, 'pol-pack', '2.0.0')).map((r) => [r.comfy_node_name, r.policy]));
    assert.deepEqual(policies, {
      Banned: 'ComfyNodePolicyBanned',
      Local: 'ComfyNodePolicyLocalOnly',
      Fresh: 'ComfyNodePolicyActive',
      Kept: 'ComfyNodePolicyLocalOnly',
    });
  });

  it('resets a version for re-extraction with DELETE, after which a POST is accepted again', async () => {
    const del = await json(t, 'DELETE', '/nodes/ok-pack/versions/1.0.0/comfy-nodes', undefined, t.serviceToken);
    assert.equal(del.status, 204);
    assert.equal((await rowsOf(t, 'ok-pack', '1.0.0')).length, 0);
    assert.equal((await versionRow(t, 'ok-pack', '1.0.0')).comfy_node_extract_status, 'pending');
    assert.equal((await postComfyNodes(t, 'ok-pack', '1.0.0', { nodes: { Again: comfyNode() } }, t.adminToken)).status, 204);
    assert.deepEqual(
      (await rowsOf(t, 'ok-pack', '1.0.0')).map((r) => r.comfy_node_name),
      ['Again'],
    );
    assert.equal((await json(t, 'DELETE', '/nodes/ok-pack/versions/7.7.7/comfy-nodes', undefined, t.serviceToken)).status, 404);
  });

  it('tracks the newest successfully extracted version on the node', async () => {
    await publish(t, w, 'ext-pack', '1.0.0');
    await publish(t, w, 'ext-pack', '1.1.0');
    const latestExtracted = async () =>
      (await t.database.db.selectFrom('nodes').select('latest_extracted_version_id').where('id', '=', 'ext-pack').executeTakeFirstOrThrow())
        .latest_extracted_version_id;
    assert.equal(await latestExtracted(), null);
    await postComfyNodes(t, 'ext-pack', '1.0.0', { nodes: { A: comfyNode() } });
    assert.equal(await latestExtracted(), (await versionRow(t, 'ext-pack', '1.0.0')).id);
    await postComfyNodes(t, 'ext-pack', '1.1.0', { nodes: { A: comfyNode() } });
    assert.equal(await latestExtracted(), (await versionRow(t, 'ext-pack', '1.1.0')).id);
    await json(t, 'DELETE', '/nodes/ext-pack/versions/1.1.0/comfy-nodes', undefined, t.serviceToken);
    assert.equal(await latestExtracted(), (await versionRow(t, 'ext-pack', '1.0.0')).id);
  });

  it('lets exactly one of 50 concurrent identical posts through over real HTTP', async () => {
    const base = await t.listen();
    await publish(t, w, 'race-pack', '1.0.0');
    const body = JSON.stringify({ nodes: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`Race${i}`, comfyNode()])) });
    const statuses = await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(`${base}/nodes/race-pack/versions/1.0.0/comfy-nodes`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${t.serviceToken}` },
          body,
        }).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        }),
      ),
    );
    assert.equal(statuses.filter((s) => s === 204).length, 1, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 409).length, 49, statuses.join(','));
    assert.equal((await rowsOf(t, 'race-pack', '1.0.0')).length, 40);
  });

  it('keeps the newest extracted pointer right when many versions of one pack are extracted at once', async () => {
    const base = await t.listen();
    for (let round = 0; round < 4; round++) {
      const nodeId = `para-pack-${round}`;
      const versions = Array.from({ length: 12 }, (_, i) => `1.${i}.0`);
      for (const v of versions) await publish(t, w, nodeId, v);
      await Promise.all(
        versions.map((v) =>
          fetch(`${base}/nodes/${nodeId}/versions/${v}/comfy-nodes`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${t.serviceToken}` },
            body: JSON.stringify({ nodes: { [`N${v}`]: comfyNode() } }),
          }).then((r) => r.arrayBuffer()),
        ),
      );
      const node = await t.database.db
        .selectFrom('nodes')
        .select('latest_extracted_version_id')
        .where('id', '=', nodeId)
        .executeTakeFirstOrThrow();
      assert.equal(node.latest_extracted_version_id, (await versionRow(t, nodeId, '1.11.0')).id, `round ${round}`);
    }
  });

  it('answers 413 for a body over the configured limit and stores nothing', async () => {
    const small = await startRegistry(backend, { maxBody: 4096 });
    try {
      const sw = await world(small);
      await publish(small, sw, 'big-pack', '1.0.0');
      const before = await tableCounts(small);
      const nodes = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`N${i}`, comfyNode()]));
      const res = await postComfyNodes(small, 'big-pack', '1.0.0', { nodes });
      assert.equal(res.status, 413);
      assert.equal(res.body.error, 'BODY_TOO_LARGE');
      assert.deepEqual(await tableCounts(small), before);
    } finally {
      await small.close();
    }
  });
});
