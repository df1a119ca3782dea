import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend } from '../helpers/registry.js';
import { json, publish, publishBody, world } from '../helpers/flow.js';
import { mirrorPair, publishUpstream, type MirrorPair } from './helpers.js';

const MAX_AGE = 120_000;
const NOT_FOUND_AGE = 60_000;
const FAIL_TIMEOUT = 300_000;

forEachBackend('mirror reads through the uplink', (backend) => {
  let p: MirrorPair;
  before(async () => {
    p = await mirrorPair(backend);
    await publishUpstream(p.up, p.upWorld, 'public-pack', '1.0.0', { comfyNodes: ['PublicBlur', 'PublicSharpen'] });
  });
  after(() => p?.close());

  it('serves an upstream pack, its versions, a version, install and comfy nodes, keeping the answers', async () => {
    const node = await json(p.mirror, 'GET', '/nodes/public-pack');
    assert.equal(node.status, 200, JSON.stringify(node.body));
    assert.equal(node.headers['x-comfyreg-uplink'], 'revalidated');
    assert.equal(node.body.id, 'public-pack');
    assert.equal(node.body.publisher.id, 'comfy-org');
    assert.equal(node.body.latest_version.downloadUrl, `${p.mirror.url}/mirror/archives/public-pack/1.0.0`);

    const hits = p.proxy.hits.length;
    const again = await json(p.mirror, 'GET', '/nodes/public-pack');
    assert.equal(again.headers['x-comfyreg-uplink'], 'fresh');
    assert.deepEqual(again.body, node.body);
    assert.equal(p.proxy.hits.length, hits, 'an answer younger than max age is served without asking');

    const versions = await json(p.mirror, 'GET', '/nodes/public-pack/versions');
    assert.deepEqual(
      versions.body.map((v: { version: string }) => v.version),
      ['1.0.0'],
    );
    const version = await json(p.mirror, 'GET', '/nodes/public-pack/versions/v1.0');
    assert.equal(version.status, 200, 'the semver-normalised form finds it, as locally');
    assert.equal(version.body.version, '1.0.0');
    const install = await json(p.mirror, 'GET', '/nodes/public-pack/install');
    assert.equal(install.body.downloadUrl, `${p.mirror.url}/mirror/archives/public-pack/1.0.0`);
    const comfy = await json(p.mirror, 'GET', '/nodes/public-pack/versions/1.0.0/comfy-nodes?limit=1');
    assert.equal(comfy.status, 200, JSON.stringify(comfy.body));
    assert.deepEqual(
      comfy.body.comfy_nodes.map((c: { comfy_node_name: string; category: string }) => [c.comfy_node_name, c.category]),
      [['PublicBlur', 'upstream']],
    );
    assert.equal(comfy.body.totalNumberOfPages, 2);
  });

  it('caches an upstream 404 apart, for the not-found age', async () => {
    const missing = await json(p.mirror, 'GET', '/nodes/later-pack');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'NODE_NOT_FOUND');
    await publishUpstream(p.up, p.upWorld, 'later-pack', '0.1.0');
    const hits = p.proxy.hits.length;
    assert.equal((await json(p.mirror, 'GET', '/nodes/later-pack')).status, 404, 'the 404 is believed for a while');
    assert.equal(p.proxy.hits.length, hits);
    p.clock.advance(NOT_FOUND_AGE + 1);
    const found = await json(p.mirror, 'GET', '/nodes/later-pack');
    assert.equal(found.status, 200);
    assert.equal(found.body.latest_version.version, '0.1.0');
  });

  it('refreshes once for a version the kept metadata lacks, and revalidates after max age', async () => {
    await publishUpstream(p.up, p.upWorld, 'public-pack', '1.1.0', { comfyNodes: ['PublicBlur'] });
    const v = await json(p.mirror, 'GET', '/nodes/public-pack/versions/1.1.0');
    assert.equal(v.status, 200, JSON.stringify(v.body));
    assert.equal(v.headers['x-comfyreg-uplink'], 'revalidated');
    const hits = p.proxy.hits.length;
    assert.equal((await json(p.mirror, 'GET', '/nodes/public-pack/versions/9.9.9')).status, 404);
    assert.equal(p.proxy.hits.length, hits + 1, 'one refresh for an unknown version, not more');

    assert.equal((await json(p.mirror, 'GET', '/nodes/public-pack')).body.latest_version.version, '1.0.0', 'still fresh');
    p.clock.advance(MAX_AGE + 1);
    const node = await json(p.mirror, 'GET', '/nodes/public-pack');
    assert.equal(node.headers['x-comfyreg-uplink'], 'revalidated');
    assert.equal(node.body.latest_version.version, '1.1.0');
  });

  it('serves what it kept, marked stale, while the upstream is down; 502 for what it never saw; local packs unaffected', async () => {
    const local = await world(p.mirror, 'studio', 'studio-owner');
    await publish(p.mirror, local, 'studio-pack', '1.0.0', 'studio');
    await p.proxy.stop();
    p.clock.advance(MAX_AGE + 1);
    const stale = await json(p.mirror, 'GET', '/nodes/public-pack');
    assert.equal(stale.status, 200);
    assert.equal(stale.headers['x-comfyreg-uplink'], 'stale');
    assert.match(String(stale.headers.warning), /^110 /);
    assert.equal(stale.body.latest_version.version, '1.1.0');
    const staleVersions = await json(p.mirror, 'GET', '/nodes/public-pack/versions');
    assert.equal(staleVersions.status, 200);
    assert.equal(staleVersions.headers['x-comfyreg-uplink'], 'stale');
    const never = await json(p.mirror, 'GET', '/nodes/never-seen');
    assert.equal(never.status, 502);
    assert.equal(never.body.error, 'UPLINK_UNAVAILABLE');
    assert.equal((await json(p.mirror, 'GET', '/nodes/studio-pack')).status, 200);
    assert.ok(p.logs.some((l) => l.includes('uplink failed; serving the answer kept from before')));
  });

  it('stops asking while the breaker is open, and asks again once the upstream is back and the timeout passed', async () => {
    await p.proxy.start();
    const hits = p.proxy.hits.length;
    const stale = await json(p.mirror, 'GET', '/nodes/public-pack');
    assert.equal(stale.headers['x-comfyreg-uplink'], 'stale', 'the open breaker answers from the cache');
    assert.equal(p.proxy.hits.length, hits, 'nothing is sent while it is open');
    p.clock.advance(FAIL_TIMEOUT + 1);
    const back = await json(p.mirror, 'GET', '/nodes/public-pack');
    assert.equal(back.headers['x-comfyreg-uplink'], 'revalidated');
  });

  it('costs at most the timeout for a hanging, looping, oversized, non-JSON or wrongly shaped upstream', async () => {
    for (const mode of ['hang', 'loop', 'huge', 'garbage', 'wrong-shape'] as const) {
      p.proxy.mode = mode;
      p.clock.advance(Math.max(MAX_AGE, FAIL_TIMEOUT) + 1);
      const hits = p.proxy.hits.length;
      const res = await json(p.mirror, 'GET', '/nodes/public-pack');
      assert.ok(p.proxy.hits.length > hits, `${mode}: the upstream was asked`);
      assert.equal(res.status, 200, mode);
      assert.equal(res.headers['x-comfyreg-uplink'], 'stale', mode);
      assert.equal(res.body.id, 'public-pack', mode);
      const none = await json(p.mirror, 'GET', `/nodes/unknown-${mode}`);
      assert.equal(none.status, 502, mode);
    }
    p.proxy.mode = 'pass';
    p.clock.advance(FAIL_TIMEOUT + 1);
  });

  it('refuses a local pack whose id the uplink has, unless an admin reserved it; the local pack then owns the id', async () => {
    const local = await world(p.mirror, 'shadow', 'shadow-owner');
    const refused = await json(
      p.mirror,
      'POST',
      '/publishers/shadow/nodes/public-pack/versions',
      publishBody(local.pat, 'public-pack', '5.0.0'),
    );
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error, 'NODE_ID_ON_UPLINK');
    const created = await json(p.mirror, 'POST', '/publishers/shadow/nodes', { id: 'Public-Pack' }, local.userToken);
    assert.equal(created.status, 409, 'ids compare case-insensitively');

    const reserve = await json(p.mirror, 'POST', '/admin/reserved-ids', { pattern: 'public-*', reason: 'our fork' }, p.mirror.adminToken);
    assert.equal(reserve.status, 201);
    assert.ok(p.logs.some((l) => l.includes('reserved an id pattern for local packs')));
    const listed = await json(p.mirror, 'GET', '/admin/reserved-ids', undefined, p.mirror.adminToken);
    assert.deepEqual(
      listed.body.map((r: { pattern: string }) => r.pattern),
      ['public-*'],
    );
    assert.equal((await json(p.mirror, 'POST', '/admin/reserved-ids', { pattern: 'no spaces' }, p.mirror.adminToken)).status, 400);
    await publish(p.mirror, local, 'public-pack', '5.0.0', 'shadow');

    const node = await json(p.mirror, 'GET', '/nodes/public-pack');
    assert.equal(node.body.publisher.id, 'shadow');
    assert.equal(node.headers['x-comfyreg-uplink'], undefined);
    const versions = await json(p.mirror, 'GET', '/nodes/public-pack/versions');
    assert.deepEqual(
      versions.body.map((v: { version: string }) => v.version),
      ['5.0.0'],
      'upstream versions are never merged in',
    );
    assert.equal((await json(p.mirror, 'GET', '/nodes/public-pack/versions/1.0.0')).status, 404);
    const install = await json(p.mirror, 'GET', '/nodes/public-pack/install?version=1.0.0');
    assert.equal(install.status, 404, 'the upstream version is never installed in its place');
  });
});
