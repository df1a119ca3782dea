import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend, startRegistry, type TestRegistry } from './helpers/registry.js';
import { publisher, setPolicy } from './helpers/comfy-packs.js';
import { json, publish } from './helpers/flow.js';
import { NEW_PACK, OLD_PACK, assertFixtureReport, publishPack } from './helpers/change-fixtures.js';

forEachBackend('comfy-node changes: GET /nodes/{id}/versions/{v}/comfy-node-changes', (backend) => {
  let t: TestRegistry;
  const changes = (version: string, query = '', token?: string) =>
    json(t, 'GET', `/nodes/chg/versions/${version}/comfy-node-changes${query}`, undefined, token);

  before(async () => {
    t = await startRegistry(backend, { readCache: 0 });
    const w = await publisher(t, 'chgpub');
    await publishPack(t, w, 'chg', '1.0.0', OLD_PACK);
    await publishPack(t, w, 'chg', '1.1.0', NEW_PACK);
    await publish(t, w, 'chg', '1.2.0', w.pub); // published, never uploaded: pending
  });
  after(async () => t?.close());

  it('reports every kind of change since the previous version, each with whether it breaks saved workflows', async () => {
    const res = await changes('1.1.0');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual([res.body.from, res.body.to], ['1.0.0', '1.1.0']);
    assertFixtureReport(res.body);
    assert.deepEqual(await changes('1.1.0', '?since=1.0.0').then((r) => r.body), res.body, 'since names the same version');
  });

  it('compares either way, with itself, and with nothing before the first version', async () => {
    const back = (await changes('1.0.0', '?since=1.1.0')).body;
    assert.deepEqual([back.from, back.to, back.added, back.removed], ['1.1.0', '1.0.0', ['NodeRemoved'], ['NodeAdded']]);
    const self = (await changes('1.1.0', '?since=1.1.0')).body;
    assert.deepEqual([self.breaking, self.added, self.removed, self.changed], [false, [], [], []]);
    const first = (await changes('1.0.0')).body;
    assert.equal(first.from, null);
    assert.equal(first.breaking, false);
    assert.equal(first.added.length, 28);
  });

  it('answers 404 for unknown versions and 409 for a version without extracted comfy nodes', async () => {
    const unknown = await changes('9.9.9');
    assert.deepEqual([unknown.status, unknown.body.error], [404, 'VERSION_NOT_FOUND']);
    const unknownSince = await changes('1.1.0', '?since=0.0.1');
    assert.deepEqual([unknownSince.status, unknownSince.body.error], [404, 'VERSION_NOT_FOUND']);
    const pending = await changes('1.2.0');
    assert.deepEqual([pending.status, pending.body.error], [409, 'COMFY_NODES_NOT_EXTRACTED']);
    const pendingSince = await changes('1.1.0', '?since=1.2.0');
    assert.deepEqual([pendingSince.status, pendingSince.body.error], [409, 'COMFY_NODES_NOT_EXTRACTED']);
    const empty = await changes('1.1.0', '?since=');
    assert.deepEqual([empty.status, empty.body.error], [400, 'BAD_REQUEST']);
    const noPack = await json(t, 'GET', '/nodes/nope/versions/1.0.0/comfy-node-changes');
    assert.equal(noPack.status, 404);
  });

  it('leaves banned comfy nodes out for the public, as the version lists do', async () => {
    await setPolicy(t, 'chg', '1.1.0', 'NodeAdded', 'ComfyNodePolicyBanned');
    assert.deepEqual((await changes('1.1.0')).body.added, []);
    assert.deepEqual((await changes('1.1.0', '', t.adminToken)).body.added, ['NodeAdded']);
    await setPolicy(t, 'chg', '1.1.0', 'NodeAdded', 'ComfyNodePolicyActive');
  });

  it('is not a comfy node called comfy-node-changes', async () => {
    const res = await json(t, 'GET', '/nodes/chg/versions/1.1.0/comfy-nodes/changes');
    assert.deepEqual([res.status, res.body.error], [404, 'COMFY_NODE_NOT_FOUND']);
  });
});
