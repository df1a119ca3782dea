import { before, after, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend, startRegistry, type TestRegistry } from './helpers/registry.js';
import { json, publish, upload, world, zipOf, type World } from './helpers/flow.js';
import { buildZip } from './extract/zipbytes.js';
import { Worker } from '../src/jobs/worker.js';
import { LocalJobSource } from '../src/jobs/local-job-source.js';
import { inlineExtractor } from './helpers/extractor.js';

const GOOD = { 'good/__init__.py': 'class A:\n    RETURN_TYPES = ("INT",)\n    FUNCTION = "f"\nNODE_CLASS_MAPPINGS = {"GoodNode": A}\n' };

/** Archives the extractor refuses are never handed out: install and download refuse them. */
forEachBackend('hostile archives', (backend) => {
  let t: TestRegistry;
  let w: World;
  before(async () => {
    t = await startRegistry(backend);
    w = await world(t, 'host', 'host-user');
  });
  after(async () => t?.close());

  async function publishAndExtract(version: string, zip: Buffer): Promise<void> {
    const { signedUrl } = await publish(t, w, 'host-pack', version, 'host');
    assert.equal((await upload(t, signedUrl, zip)).status, 200);
    const worker = new Worker({ source: new LocalJobSource(t.reg, 'hostile-test', 60), extractor: inlineExtractor });
    while (await worker.runOnce()) {}
    await worker.stop();
  }

  it('refuses to install or serve a refused archive, says why, and lets an admin see and remove it', async () => {
    await publishAndExtract('1.0.0', await zipOf(GOOD));
    await publishAndExtract('1.1.0', buildZip([{ name: '../escape.py', data: Buffer.from('x = 1\n') }]));
    await publishAndExtract('1.2.0', Buffer.from('not a zip at all'));

    for (const [version, reason] of [
      ['1.1.0', /path escapes the pack/],
      ['1.2.0', /not a readable zip/],
    ] as const) {
      const v = (await json(t, 'GET', `/nodes/host-pack/versions/${version}`)).body;
      assert.equal(v.comfy_node_extract_status, 'invalid_format', 'listings show why');
      assert.match(v.comfy_node_extract_reason, reason);
      assert.equal(v.downloadUrl, '', 'no download URL is handed out');
      const install = await json(t, 'GET', `/nodes/host-pack/install?version=${version}`);
      assert.equal(install.status, 403);
      assert.equal(install.body.error, 'VERSION_REFUSED');
      assert.match(install.body.message, reason);
    }
    assert.equal((await json(t, 'GET', '/nodes/host-pack')).body.latest_version.version, '1.2.0', 'the listing still shows the latest');
    assert.equal(
      (await json(t, 'GET', '/nodes/host-pack/install')).body.version,
      '1.0.0',
      'install picks the newest version it may hand out',
    );

    const row = await t.database.db
      .selectFrom('node_versions')
      .select('archive_key')
      .where('version', '=', '1.1.0')
      .executeTakeFirstOrThrow();
    const download = await fetch(`${t.url}/archives/${row.archive_key}`);
    assert.equal(download.status, 403);
    assert.equal((await download.json()).error, 'VERSION_REFUSED');
    const asAdmin = await fetch(`${t.url}/archives/${row.archive_key}`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    assert.equal(asAdmin.status, 200, 'an admin may fetch it to look at it');
    await asAdmin.arrayBuffer();

    assert.equal((await json(t, 'GET', '/admin/refused-versions')).status, 401);
    const refused = await json(t, 'GET', '/admin/refused-versions', undefined, t.adminToken);
    assert.deepEqual(refused.body.map((v: { version: string }) => v.version).sort(), ['1.1.0', '1.2.0']);
    assert.equal(refused.headers['x-total-count'], '2');

    const removed = await json(t, 'DELETE', '/admin/nodes/host-pack/versions/1.1.0', undefined, t.adminToken);
    assert.equal(removed.status, 200);
    assert.equal(removed.body.status, 'NodeVersionStatusDeleted');
    assert.equal(await t.reg.store.get(row.archive_key!), null, 'the archive left the store');
    assert.equal((await json(t, 'GET', '/nodes/host-pack/versions/1.1.0')).status, 404);
    const left = await json(t, 'GET', '/admin/refused-versions', undefined, t.adminToken);
    assert.deepEqual(
      left.body.map((v: { version: string }) => v.version),
      ['1.2.0'],
      'a removed version leaves the list (its row stays, Deleted)',
    );
    assert.equal((await json(t, 'DELETE', '/admin/nodes/host-pack/versions/1.1.0', undefined, w.userToken)).status, 403);
  });
});
