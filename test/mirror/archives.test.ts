import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { forEachBackend } from '../helpers/registry.js';
import { json } from '../helpers/flow.js';
import { verifyArchive } from '../../src/registry/mirror/archives.js';
import { download, mirrorPair, publishUpstream, sha256, type MirrorPair } from './helpers.js';

forEachBackend('mirror archives', (backend) => {
  let p: MirrorPair;
  let archive: Buffer;
  before(async () => {
    p = await mirrorPair(backend);
    archive = await publishUpstream(p.up, p.upWorld, 'arch-pack', '1.0.0', { padding: randomBytes(256 * 1024) });
  });
  after(() => p?.close());

  it('fetches an archive on its first download, stores it with its SHA-256, and serves it from the store afterwards', async () => {
    const install = await json(p.mirror, 'GET', '/nodes/arch-pack/install');
    assert.equal(install.body.downloadUrl, `${p.mirror.url}/mirror/archives/arch-pack/1.0.0`);
    const [first, concurrent] = await Promise.all([download(install.body.downloadUrl), download(install.body.downloadUrl)]);
    assert.equal(first.status, 200);
    assert.ok(first.bytes.equals(archive), 'the first download streams the upstream bytes');
    assert.ok(concurrent.bytes.equals(archive));
    const rows = await p.mirror.database.db.selectFrom('mirror_archives').selectAll().execute();
    assert.equal(rows.length, 1, 'one stored copy, however many first downloads');
    assert.equal(rows[0].sha256, sha256(archive));
    assert.equal(rows[0].size, archive.length);

    // The upstream loses the archive and goes away: the mirror still serves it.
    const upstreamKey = (await p.up.database.db.selectFrom('node_versions').select('archive_key').executeTakeFirstOrThrow()).archive_key!;
    await p.up.reg.store.delete(upstreamKey);
    await p.proxy.stop();
    p.clock.advance(10 * 60_000);
    const later = await download(install.body.downloadUrl);
    assert.equal(later.status, 200);
    assert.ok(later.bytes.equals(archive));
    assert.equal(later.headers.get('content-length'), String(archive.length));
    const installDown = await json(p.mirror, 'GET', '/nodes/arch-pack/install');
    assert.equal(installDown.status, 200, 'install answers from what is kept');
    assert.equal(installDown.headers['x-comfyreg-uplink'], 'stale');
    await p.proxy.start();
    p.clock.advance(10 * 60_000);

    // Upstream later serves other bytes for the version: refused, logged, the stored ones stay.
    await p.up.reg.store.put(upstreamKey, Readable.from([Buffer.from('PK tampered')]), 1024);
    assert.equal(await verifyArchive(p.mirror.reg, 'arch-pack', '1.0.0'), false);
    assert.ok(p.logs.some((l) => l.includes('upstream served different bytes for a stored version')));
    assert.ok((await download(install.body.downloadUrl)).bytes.equals(archive));
  });

  it('answers 404 for a version upstream does not have, and never serves an upstream archive for a local id', async () => {
    assert.equal((await download(`${p.mirror.url}/mirror/archives/arch-pack/9.9.9`)).status, 404);
    assert.equal((await download(`${p.mirror.url}/mirror/archives/not-anywhere/1.0.0`)).status, 404);
  });
});

describe('mirror archives: limits', () => {
  let p: MirrorPair;
  before(async () => {
    p = await mirrorPair('sqlite', {}, { maxArchive: 64 * 1024 });
    await publishUpstream(p.up, p.upWorld, 'big-pack', '1.0.0', { padding: randomBytes(128 * 1024) });
    await publishUpstream(p.up, p.upWorld, 'small-pack', '1.0.0');
  });
  after(() => p?.close());

  it('refuses an archive over the limit with 502 and stores nothing; a small one passes', async () => {
    const big = await json(p.mirror, 'GET', '/mirror/archives/big-pack/1.0.0');
    assert.equal(big.status, 502);
    assert.equal(big.body.error, 'UPLINK_UNAVAILABLE');
    assert.equal((await download(`${p.mirror.url}/mirror/archives/small-pack/1.0.0`)).status, 200);
    const rows = await p.mirror.database.db.selectFrom('mirror_archives').select('node_key').execute();
    assert.deepEqual(
      rows.map((r) => r.node_key),
      ['small-pack'],
    );
  });
});
