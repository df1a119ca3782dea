import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { extracted, publisher, resolvedBy } from '../helpers/comfy-packs.js';
import { createUser, json, publish, upload, zipOf } from '../helpers/flow.js';
import { forEachBackend, startRegistry, type Backend, type TestRegistry } from '../helpers/registry.js';
import { UiClient } from '../helpers/ui-client.js';

forEachBackend('web UI: administration', (backend: Backend) => {
  let t: TestRegistry;
  let admin: UiClient;
  before(async () => {
    t = await startRegistry(backend, { review: true });
    admin = new UiClient(t);
    await admin.signIn(t.adminToken);
  });
  after(() => t.close());

  const approve = (nodeId: string, version: string) =>
    json(t, 'PUT', `/admin/nodes/${nodeId}/versions/${version}`, { status: 'NodeVersionStatusActive' }, t.adminToken);

  it('keeps admin pages from everyone else', async () => {
    const user = new UiClient(t);
    await user.signIn((await createUser(t, 'plain')).token);
    for (const url of ['/ui/admin', '/ui/admin/bans', '/ui/admin/jobs']) assert.equal((await user.get(url)).status, 403, url);
    assert.equal((await new UiClient(t).get('/ui/admin')).status, 401);
  });

  it('approves several pending versions at once and rejects one with a reason', async () => {
    const w = await publisher(t, 'rev');
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) await publish(t, w, 'rev-pack', v, 'rev');
    const queue = await admin.get('/ui/admin');
    assert.equal(queue.status, 200);
    assert.match(queue.body, /3 pending/);
    const approved = await admin.post('/ui/admin/review', {
      version: ['rev-pack 1.0.0', 'rev-pack 1.1.0'],
      decision: 'approve',
      reason: '',
    });
    assert.equal(approved.status, 303);
    for (const v of ['1.0.0', '1.1.0'])
      assert.equal((await json(t, 'GET', `/nodes/rev-pack/versions/${v}`)).body.status, 'NodeVersionStatusActive');
    await admin.get('/ui/admin');
    const rejected = await admin.post('/ui/admin/review', {
      version: 'rev-pack 1.2.0',
      decision: 'reject',
      reason: 'ships a binary <blob>',
    });
    assert.equal(rejected.status, 303);
    const pack = await admin.get('/ui/packs/rev-pack');
    assert.match(pack.body, /ships a binary &lt;blob&gt;/);
    assert.match((await admin.get('/ui/admin')).body, /0 pending/);
    const none = await admin.post('/ui/admin/review', { decision: 'approve' });
    assert.equal(none.status, 400);
  });

  it('bans and unbans packs, publishers and versions', async () => {
    const w = await publisher(t, 'banme');
    await publish(t, w, 'ban-pack', '1.0.0', 'banme');
    await approve('ban-pack', '1.0.0');
    const form = async (fields: Record<string, string>) => {
      await admin.get('/ui/admin/bans');
      return admin.post('/ui/admin/bans', fields);
    };
    assert.equal((await form({ kind: 'pack', action: 'ban', id: 'ban-pack' })).status, 303);
    assert.equal((await json(t, 'GET', '/nodes/ban-pack')).status, 404);
    assert.match((await admin.get('/ui/admin/bans')).body, /Unban pack ban-pack/);
    assert.equal((await form({ kind: 'pack', action: 'unban', id: 'ban-pack' })).status, 303);
    assert.equal((await json(t, 'GET', '/nodes/ban-pack')).status, 200);
    assert.equal((await form({ kind: 'publisher', action: 'ban', id: 'banme' })).status, 303);
    assert.equal((await json(t, 'GET', '/publishers/banme')).body.status, 'PublisherStatusBanned');
    assert.equal((await form({ kind: 'publisher', action: 'unban', id: 'banme' })).status, 303);
    assert.equal((await json(t, 'GET', '/publishers/banme')).body.status, 'PublisherStatusActive');
    assert.equal((await form({ kind: 'version', action: 'ban', id: 'ban-pack', version: '1.0.0' })).status, 303);
    assert.equal((await json(t, 'GET', '/nodes/ban-pack/versions/1.0.0')).status, 404);
    assert.equal((await form({ kind: 'version', action: 'unban', id: 'ban-pack', version: '1.0.0' })).status, 303);
    assert.equal((await json(t, 'GET', '/nodes/ban-pack/versions/1.0.0')).status, 200);
    assert.equal((await form({ kind: 'pack', action: 'ban', id: 'no-such-pack' })).status, 404);
  });

  it("edits a comfy node's policy, and the resolver follows at once", async () => {
    const a = await publisher(t, 'pola');
    const b = await publisher(t, 'polb');
    await extracted(t, a, 'pol-a', '1.0.0', ['PolicyNode']);
    await extracted(t, b, 'pol-b', '1.0.0', ['PolicyNode']);
    await approve('pol-a', '1.0.0');
    await approve('pol-b', '1.0.0');
    assert.equal(await resolvedBy(t, 'PolicyNode'), 'pol-a');
    const page = await admin.get('/ui/comfy-nodes/PolicyNode');
    assert.match(page.body, /<li class="picked">\s*<a class="title" href="\/ui\/packs\/pol-a\//);
    const res = await admin.post('/ui/admin/comfy-nodes/PolicyNode/policy', {
      node_id: 'pol-a',
      version: '1.0.0',
      policy: 'ComfyNodePolicyBanned',
    });
    assert.equal(res.status, 303);
    const after = await admin.get(String(res.headers.location));
    assert.match(after.body, /Policy saved/);
    assert.match(after.body, /<li class="picked">\s*<a class="title" href="\/ui\/packs\/pol-b\//);
    assert.equal(await resolvedBy(t, 'PolicyNode'), 'pol-b');
    const publicPage = await new UiClient(t).get('/ui/comfy-nodes/PolicyNode');
    assert.doesNotMatch(publicPage.body, /pol-a/, 'the public does not see a banned provider');
    await admin.get('/ui/comfy-nodes/PolicyNode');
    const bad = await admin.post('/ui/admin/comfy-nodes/PolicyNode/policy', { node_id: 'pol-a', version: '1.0.0', policy: 'Whatever' });
    assert.equal(bad.status, 400);
  });

  it('sets preempted names and search ranking per pack, which reorder the resolver', async () => {
    const a = await publisher(t, 'ranka');
    const b = await publisher(t, 'rankb');
    await extracted(t, a, 'rank-a', '1.0.0', ['RankNode']);
    await extracted(t, b, 'rank-b', '1.0.0', ['RankNode']);
    await approve('rank-a', '1.0.0');
    await approve('rank-b', '1.0.0');
    assert.equal(await resolvedBy(t, 'RankNode'), 'rank-a');
    await admin.get('/ui/admin/packs/rank-b');
    assert.equal((await admin.post('/ui/admin/packs/rank-b', { preempted: 'RankNode\nOther', search_ranking: '' })).status, 303);
    assert.equal(await resolvedBy(t, 'RankNode'), 'rank-b');
    assert.deepEqual((await json(t, 'GET', '/nodes/rank-b', undefined, t.adminToken)).body.preempted_comfy_node_names, [
      'RankNode',
      'Other',
    ]);
    await admin.get('/ui/admin/packs/rank-b');
    assert.equal((await admin.post('/ui/admin/packs/rank-b', { preempted: '', search_ranking: '5' })).status, 303);
    await admin.get('/ui/admin/packs/rank-a');
    assert.equal((await admin.post('/ui/admin/packs/rank-a', { preempted: '', search_ranking: '1' })).status, 303);
    assert.equal(await resolvedBy(t, 'RankNode'), 'rank-a');
    await admin.get('/ui/admin/packs/rank-a');
    assert.equal((await admin.post('/ui/admin/packs/rank-a', { search_ranking: 'high' })).status, 400);
  });

  it('lists extraction jobs, re-runs one and backfills', async () => {
    const w = await publisher(t, 'jobs');
    const { signedUrl } = await publish(t, w, 'job-pack', '1.0.0', 'jobs');
    assert.equal((await upload(t, signedUrl, await zipOf({ 'job-pack/__init__.py': 'NODE_CLASS_MAPPINGS = {}\n' }))).status, 200);
    const v = await t.database.db.selectFrom('node_versions').select('id').where('node_id', '=', 'job-pack').executeTakeFirstOrThrow();
    await t.database.db.updateTable('extraction_jobs').set({ state: 'failed', attempts: 3, last_error: 'worker crashed' }).execute();
    await t.database.db
      .updateTable('node_versions')
      .set({ comfy_node_extract_status: 'failed', comfy_node_extract_reason: 'worker crashed' })
      .where('id', '=', v.id)
      .execute();
    const page = await admin.get('/ui/admin/jobs');
    assert.match(page.body, /job-pack 1.0.0/);
    assert.match(page.body, /worker crashed/);
    const rerun = await admin.post(`/ui/admin/jobs/${v.id}/rerun`, {});
    assert.equal(rerun.status, 303);
    const job = await t.database.db.selectFrom('extraction_jobs').selectAll().where('node_version_id', '=', v.id).executeTakeFirstOrThrow();
    assert.deepEqual([job.state, job.attempts], ['queued', 0]);
    const version = await json(t, 'GET', '/nodes/job-pack/versions/1.0.0', undefined, t.adminToken);
    assert.equal(version.body.comfy_node_extract_status, 'pending');
    await t.database.db.deleteFrom('extraction_jobs').execute();
    await admin.get('/ui/admin/jobs');
    assert.equal((await admin.post('/ui/admin/jobs/backfill', { max: '10' })).status, 303);
    const queued = await t.database.db.selectFrom('extraction_jobs').select('node_version_id').execute();
    assert.deepEqual(
      queued.map((q) => q.node_version_id),
      [v.id],
    );
    await admin.get('/ui/admin/jobs');
    const polVersion = await t.database.db
      .selectFrom('node_versions')
      .select('id')
      .where('node_id', '=', 'pol-a')
      .executeTakeFirstOrThrow();
    const refused = await admin.post(`/ui/admin/jobs/${polVersion.id}/rerun`, {});
    assert.equal(refused.status, 409, 'an extracted version keeps its comfy nodes');
    assert.match(refused.body, /cannot be extracted again/);
  });
});
