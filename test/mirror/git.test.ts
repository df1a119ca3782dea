import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { forEachBackend } from '../helpers/registry.js';
import { json, world } from '../helpers/flow.js';
import { publishFiles } from '../helpers/git-packs.js';
import { filesOf, git, gitFails } from '../helpers/git-client.js';
import { download, mirrorPair, packSource, sha256, type MirrorPair } from './helpers.js';

const asBuffers = (files: Record<string, string | Buffer>) =>
  Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v)]));

const V1 = { '__init__.py': packSource(['MirGitA']), 'web/app.js': 'console.log(1);\n', 'data/blob.bin': randomBytes(32 * 1024) };
const V2 = { '__init__.py': packSource(['MirGitA', 'MirGitB']), 'README.md': '# upstream pack\n' };

forEachBackend('mirror: upstream packs as git repositories', (backend) => {
  let p: MirrorPair;
  let work: string;
  let n = 0;
  const dest = () => path.join(work, `clone-${++n}`);
  const upstream = () => ({ ...p.upWorld, pub: 'comfy-org' });

  before(async () => {
    p = await mirrorPair(backend, { reservedIds: ['dup-pack'] });
    work = fs.mkdtempSync(path.join(p.mirror.dataDir, 'clones-'));
  });
  after(() => p?.close());

  it("clones the versions whose archives the mirror stored, byte for byte, with upstream's metadata", async () => {
    const zip1 = await publishFiles(p.up, upstream(), 'mgit-pack', '1.0.0', V1, 'First upstream release');
    await publishFiles(p.up, upstream(), 'mgit-pack', '1.1.0', V2, 'Adds MirGitB');
    const install = await json(p.mirror, 'GET', '/nodes/mgit-pack/install?version=1.0.0');
    assert.equal(install.status, 200, JSON.stringify(install.body));
    assert.ok((await download(install.body.downloadUrl)).bytes.equals(zip1));

    const first = dest();
    await git(['clone', '--quiet', `${p.mirror.url}/git/mgit-pack`, first]);
    assert.deepEqual(filesOf(first), asBuffers(V1), 'only the stored version: 1.1.0 was never installed through the mirror');
    assert.deepEqual((await git(['tag', '--list'], first)).split('\n').filter(Boolean).sort(), ['1.0.0', 'v1.0.0']);
    const upVersions = await json(p.up, 'GET', '/nodes/mgit-pack/versions');
    const createdAt = (v: string) =>
      new Date(upVersions.body.find((x: { version: string }) => x.version === v).createdAt).toISOString().replace(/\.\d{3}Z$/, '+00:00');
    const upPublisher = (await json(p.up, 'GET', '/publishers/comfy-org')).body.name as string;
    assert.ok(upPublisher);
    assert.equal(
      (await git(['log', '-1', '--format=%an|%ae|%aI|%s'], first)).trim(),
      `${upPublisher}|comfy-org@uplink|${createdAt('1.0.0')}|First upstream release`,
    );

    // Installing another version stores its archive: the history is rebuilt with it, in semver order.
    const zip2 = await download(`${p.mirror.url}/mirror/archives/mgit-pack/1.1.0`);
    assert.equal(zip2.status, 200);
    const second = dest();
    await git(['clone', '--quiet', `${p.mirror.url}/git/mgit-pack.git`, second]);
    assert.deepEqual(filesOf(second), asBuffers(V2));
    assert.deepEqual((await git(['log', '--format=%s', 'main'], second)).trim().split('\n'), ['Adds MirGitB', 'First upstream release']);
    await git(['checkout', '--quiet', 'v1.0.0'], second);
    assert.deepEqual(filesOf(second), asBuffers(V1));
    await git(['fetch', '--quiet', '--tags', 'origin'], first);
    assert.equal((await git(['rev-parse', 'origin/main'], first)).trim(), (await git(['rev-parse', 'main'], second)).trim());

    // The uplink goes away: the stored archives and the kept metadata still make the same repository.
    const head = (await git(['rev-parse', 'main'], second)).trim();
    fs.rmSync(path.join(p.mirror.dataDir, 'git'), { recursive: true, force: true });
    await p.proxy.stop();
    p.clock.advance(10 * 60_000);
    try {
      const offline = dest();
      await git(['clone', '--quiet', `${p.mirror.url}/git/mgit-pack`, offline]);
      assert.equal((await git(['rev-parse', 'HEAD'], offline)).trim(), head, 'rebuilt with the same commit ids');
    } finally {
      await p.proxy.start();
      p.clock.advance(10 * 60_000);
    }
  });

  it("fetches the latest version's archive on the first clone of a pack with none stored, through the mirror's archive path", async () => {
    await publishFiles(p.up, upstream(), 'cold-pack', '1.0.0', { 'a.py': 'a = 1\n' });
    const zip = await publishFiles(p.up, upstream(), 'cold-pack', '2.0.0', V2);
    const dir = dest();
    await git(['clone', '--quiet', `${p.mirror.url}/git/cold-pack`, dir]);
    assert.deepEqual(filesOf(dir), asBuffers(V2));
    const rows = await p.mirror.database.db.selectFrom('mirror_archives').selectAll().where('node_key', '=', 'cold-pack').execute();
    assert.deepEqual(
      rows.map((r) => [r.version, r.sha256]),
      [['2.0.0', sha256(zip)]],
    );
  });

  it('clones the local pack when one has the id of an upstream pack: local ownership wins', async () => {
    await publishFiles(p.up, upstream(), 'dup-pack', '1.0.0', { 'up.py': 'upstream = True\n' });
    assert.equal((await download(`${p.mirror.url}/mirror/archives/dup-pack/1.0.0`)).status, 200, 'its archive is stored upstream-side');
    const local = await world(p.mirror, 'localpub', 'local-user');
    const files = { 'local.py': 'local = True\n' };
    await publishFiles(p.mirror, { ...local, pub: 'localpub' }, 'dup-pack', '1.0.0', files, 'Our fork');
    const dir = dest();
    await git(['clone', '--quiet', `${p.mirror.url}/git/dup-pack`, dir]);
    assert.deepEqual(filesOf(dir), asBuffers(files));
    assert.equal((await git(['log', '-1', '--format=%ae|%s'], dir)).trim(), 'localpub@comfyreg|Our fork');
  });

  it('answers 404 for an id neither local nor upstream, and for ids that cannot name a pack', async () => {
    const res = await fetch(`${p.mirror.url}/git/no-such-pack/info/refs`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: string }).error, 'NODE_NOT_FOUND');
    assert.match(await gitFails(['clone', '--quiet', `${p.mirror.url}/git/no-such-pack`, dest()]), /not found|404/);
    for (const id of ['..', '.uplink', '%2E%2E']) assert.equal((await fetch(`${p.mirror.url}/git/${id}/info/refs`)).status, 404, id);
  });

  it('lists upstream packs with a stored archive in the Manager channel files, after the local packs, local ids winning', async () => {
    await publishFiles(p.up, upstream(), 'late-pack', '1.0.0', { 'late.py': 'late = 1\n' });
    assert.equal((await json(p.mirror, 'GET', '/nodes/late-pack')).status, 200, 'its metadata is kept, its archive not stored');
    const list = async () =>
      (await json(p.mirror, 'GET', '/manager/custom-node-list.json')).body.custom_nodes as {
        id: string;
        author: string;
        files: string[];
      }[];
    const before = await list();
    assert.ok(!before.some((e) => e.id === 'late-pack'), 'no stored archive: not listed');
    assert.equal((await download(`${p.mirror.url}/mirror/archives/late-pack/1.0.0`)).status, 200);

    const entries = await list();
    const ids = entries.map((e) => e.id);
    assert.deepEqual(ids, ['dup-pack', 'cold-pack', 'late-pack', 'mgit-pack'], 'local first, then upstream by id');
    assert.equal(entries[0].author, (await json(p.mirror, 'GET', '/publishers/localpub')).body.name, 'the local dup-pack, not upstream');
    const upPublisher = (await json(p.up, 'GET', '/publishers/comfy-org')).body.name as string;
    assert.deepEqual(entries[3], {
      id: 'mgit-pack',
      author: upPublisher,
      title: 'Pack mgit-pack',
      reference: `${p.mirror.url}/git/mgit-pack`,
      files: [`${p.mirror.url}/git/mgit-pack`],
      install_type: 'git-clone',
      description: 'A pack for tests',
    });
    const map = (await json(p.mirror, 'GET', '/manager/extension-node-map.json')).body;
    assert.deepEqual(
      Object.keys(map),
      ['dup-pack', 'cold-pack', 'late-pack', 'mgit-pack'].map((id) => `${p.mirror.url}/git/${id}`),
    );
    assert.deepEqual(map[`${p.mirror.url}/git/mgit-pack`][1], { title_aux: 'Pack mgit-pack' });
  });
});
