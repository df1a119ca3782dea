import { before, after, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend } from '../helpers/registry.js';
import { ADMIN, bareRegistry, owner, published, rejectsWith, type Bare } from '../helpers/bare-registry.js';
import { comfyNode } from '../helpers/flow.js';
import { ANONYMOUS } from '../../src/registry/principals.js';
import { createComfyNodes, deleteComfyNodes } from '../../src/registry/comfy-node-ingest.js';
import {
  getComfyNode,
  listAllComfyNodes,
  listVersionComfyNodes,
  searchNodes,
  updateComfyNode,
} from '../../src/registry/comfy-node-reads.js';
import { requireProvider, resolveRequest } from '../../src/registry/resolve.js';
import { backfill, completeJob, failJob, leaseJob, listJobs } from '../../src/registry/extraction-queue.js';
import { pageWindow } from '../../src/registry/paging.js';

const page = pageWindow(1, 100, 100, 100);

forEachBackend('registry: comfy nodes and the extraction queue', (backend) => {
  let b: Bare;
  let pat: string;
  before(async () => {
    b = await bareRegistry(backend);
    pat = (await owner(b.reg, 'cn')).pat;
  });
  after(async () => b?.close());

  it('stores comfy nodes once, reads them, and lets an admin change a policy', async () => {
    const { reg } = b;
    await published(reg, 'cn', pat, 'cn-pack', '1.0.0');
    await createComfyNodes(reg, 'cn-pack', '1.0.0', { nodes: { Blur: comfyNode(), Sharpen: comfyNode({ category: 'image' }) } });
    await rejectsWith(createComfyNodes(reg, 'cn-pack', '1.0.0', { nodes: { Blur: comfyNode() } }), 'COMFY_NODES_EXIST');
    await rejectsWith(createComfyNodes(reg, 'cn-pack', '9.0.0', { nodes: {} }), 'VERSION_NOT_FOUND');
    await rejectsWith(createComfyNodes(reg, 'cn-pack', '1.0.0', { status: 'Bad Status' }), 'INVALID_EXTRACT_STATUS');
    await rejectsWith(createComfyNodes(reg, 'cn-pack', '1.0.0', { nodes: { X: { input_types: '[]' } } }), 'INVALID_JSON_TEXT');
    const { rows, total } = await listVersionComfyNodes(reg, ANONYMOUS, 'cn-pack', '1.0.0', page);
    assert.deepEqual([rows.map((r) => r.comfy_node_name), total], [['Blur', 'Sharpen'], 2]);
    assert.equal((await getComfyNode(reg, ANONYMOUS, 'cn-pack', '1.0.0', 'Sharpen')).category, 'image');
    const banned = await updateComfyNode(reg, 'cn-pack', '1.0.0', 'Sharpen', { policy: 'ComfyNodePolicyBanned' });
    assert.equal(banned.policy, 'ComfyNodePolicyBanned');
    await rejectsWith(getComfyNode(reg, ANONYMOUS, 'cn-pack', '1.0.0', 'Sharpen'), 'COMFY_NODE_NOT_FOUND');
    assert.equal((await getComfyNode(reg, ADMIN, 'cn-pack', '1.0.0', 'Sharpen')).policy, 'ComfyNodePolicyBanned');
    await rejectsWith(updateComfyNode(reg, 'cn-pack', '1.0.0', 'Nope', {}), 'COMFY_NODE_NOT_FOUND');
    const all = await listAllComfyNodes(reg, ANONYMOUS, { nodeId: 'cn-pack' }, page);
    assert.deepEqual(
      all.rows.map((r) => [r.comfy_node_name, r.node_id, r.version]),
      [['Blur', 'cn-pack', '1.0.0']],
    );
    const found = await searchNodes(reg, ANONYMOUS, { comfyNodeSearch: 'Blur' }, page);
    assert.deepEqual(
      found.rows.map((r) => r.id),
      ['cn-pack'],
    );
    assert.equal((await searchNodes(reg, ANONYMOUS, { comfyNodeSearch: 'Sharpen' }, page)).total, 0, 'a ban hides it from search');
  });

  it('resolves names and workflows to the providing pack', async () => {
    const { reg } = b;
    const provider = await requireProvider(reg, 'Blur');
    assert.deepEqual([provider.node.id, provider.publisher.id, provider.latest?.version], ['cn-pack', 'cn', '1.0.0']);
    await rejectsWith(requireProvider(reg, 'Sharpen'), 'COMFY_NODE_NOT_FOUND');
    const byName = await resolveRequest(reg, { names: ['Blur', 'Unknown'] });
    assert.deepEqual(Object.fromEntries(byName), { Blur: { node_id: 'cn-pack', version: '1.0.0', source: 'registry' }, Unknown: null });
    const byWorkflow = await resolveRequest(reg, { workflow: { '1': { class_type: 'Blur' } } });
    assert.equal(byWorkflow.get('Blur')?.node_id, 'cn-pack');
    await rejectsWith(resolveRequest(reg, {}), 'BAD_RESOLVE_REQUEST');
    await rejectsWith(resolveRequest(reg, { names: [], workflow: {} }), 'BAD_RESOLVE_REQUEST');
  });

  it('leases, fails, completes and backfills extraction jobs on the registry clock', async () => {
    const { reg, clock } = b;
    const version = await published(reg, 'cn', pat, 'queue-pack', '1.0.0');
    const job = await leaseJob(reg, 'w1', 60);
    assert.equal(job?.node_version_id, version.id);
    assert.equal(await leaseJob(reg, 'w2', 60), null, 'a held lease is not handed out twice');
    await rejectsWith(failJob(reg, version.id, 'w2', 'not mine'), 'JOB_NOT_FOUND');
    await failJob(reg, version.id, 'w1', 'network down');
    const again = await leaseJob(reg, 'w2', 60);
    assert.equal(again?.attempts, 2);
    clock.advance(61_000);
    const third = await leaseJob(reg, 'w3', 60);
    assert.equal(third?.attempts, 3, 'an expired lease is handed out again');
    const { rows, total } = await listJobs(reg, page);
    assert.deepEqual([rows.map((r) => [r.state, r.lease_owner]), total], [[['running', 'w3']], 1]);
    await completeJob(reg, version.id);
    assert.equal((await listJobs(reg, page)).total, 0);
    let queued = 0;
    reg.events.on('jobQueued', () => queued++);
    assert.equal(await backfill(reg, 10), 1, 'the pending version with an archive and no job');
    assert.equal(queued, 1);
    await deleteComfyNodes(reg, 'cn-pack', '1.0.0');
    assert.equal(queued, 2, 're-extraction queues the version again');
    assert.equal((await listVersionComfyNodes(reg, ANONYMOUS, 'cn-pack', '1.0.0', page)).total, 0);
  });
});
