import { before, after, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { forEachBackend, startRegistry, type TestRegistry } from './helpers/registry.js';
import { json } from './helpers/flow.js';
import { publisher } from './helpers/comfy-packs.js';
import { packSource, publishFiles } from './helpers/git-packs.js';
import { filesOf, git, gitFails } from './helpers/git-client.js';

const asBuffers = (files: Record<string, string | Buffer>) =>
  Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v)]));

const V1 = {
  '__init__.py': packSource(['GitA']),
  'web/app.js': 'console.log("a");\n',
  'data/blob.bin': randomBytes(64 * 1024),
};
const V11 = {
  '__init__.py': packSource(['GitA', 'GitB']),
  'data/blob.bin': randomBytes(64 * 1024),
  'README.md': '# git pack\n',
};

forEachBackend('packs as git repositories', (backend) => {
  let t: TestRegistry;
  let base: string;
  let work: string;
  let w: Awaited<ReturnType<typeof publisher>>;
  let n = 0;
  const dest = () => path.join(work, `clone-${++n}`);

  before(async () => {
    t = await startRegistry(backend);
    base = await t.listen();
    work = fs.mkdtempSync(path.join(t.dataDir, 'clones-'));
    w = await publisher(t, 'gitpub');
    await publishFiles(t, w, 'git-pack', '1.0.0', V1, 'First release');
    await publishFiles(t, w, 'git-pack', '1.1.0', V11, 'Adds GitB');
  });
  after(async () => t?.close());

  it("clones with stock git: the latest version's files, and each older one at its tag, byte for byte", async () => {
    const dir = dest();
    await git(['clone', '--quiet', `${base}/git/git-pack`, dir]);
    assert.deepEqual(filesOf(dir), asBuffers(V11));
    assert.equal((await git(['rev-parse', '--abbrev-ref', 'HEAD'], dir)).trim(), 'main');
    assert.deepEqual((await git(['tag', '--list'], dir)).split('\n').filter(Boolean).sort(), ['1.0.0', '1.1.0', 'v1.0.0', 'v1.1.0']);
    await git(['checkout', '--quiet', 'v1.0.0'], dir);
    assert.deepEqual(filesOf(dir), asBuffers(V1));
    assert.equal((await git(['rev-parse', 'v1.0.0'], dir)).trim(), (await git(['rev-parse', '1.0.0'], dir)).trim());
  });

  it('makes one commit per version in semver order: author the publisher, date the publish time, message the changelog', async () => {
    const dir = dest();
    await git(['clone', '--quiet', `${base}/git/git-pack.git`, dir]);
    const log = (await git(['log', '--format=%an|%ae|%aI|%cI|%s', 'main'], dir)).trim().split('\n');
    const versions = await t.database.db
      .selectFrom('node_versions')
      .select(['version', 'created_at'])
      .where('node_id', '=', 'git-pack')
      .execute();
    const at = (v: string) => new Date(versions.find((r) => r.version === v)!.created_at).toISOString().replace(/\.\d{3}Z$/, '+00:00');
    assert.deepEqual(log, [
      `Publisher gitpub|gitpub@comfyreg|${at('1.1.0')}|${at('1.1.0')}|Adds GitB`,
      `Publisher gitpub|gitpub@comfyreg|${at('1.0.0')}|${at('1.0.0')}|First release`,
    ]);
  });

  it('rebuilds the same commit ids from the archives', async () => {
    const first = dest();
    await git(['clone', '--quiet', '--bare', `${base}/git/git-pack`, first]);
    fs.rmSync(path.join(t.dataDir, 'git'), { recursive: true, force: true });
    const second = dest();
    await git(['clone', '--quiet', '--bare', `${base}/git/git-pack`, second]);
    assert.equal(await git(['show-ref'], second), await git(['show-ref'], first));
  });

  it('shows a new publish in a fresh clone and to git fetch', async () => {
    const old = dest();
    await git(['clone', '--quiet', `${base}/git/git-pack`, old]);
    const v12 = { '__init__.py': packSource(['GitA', 'GitB', 'GitC']) };
    await publishFiles(t, w, 'git-pack', '1.2.0', v12, 'Adds GitC');
    const fresh = dest();
    await git(['clone', '--quiet', `${base}/git/git-pack`, fresh]);
    assert.deepEqual(filesOf(fresh), asBuffers(v12));
    await git(['fetch', '--quiet', '--tags', 'origin'], old);
    assert.equal((await git(['rev-parse', 'origin/main'], old)).trim(), (await git(['rev-parse', 'HEAD'], fresh)).trim());
    await git(['merge', '--quiet', '--ff-only', 'origin/main'], old);
    assert.deepEqual(filesOf(old), asBuffers(v12));
    assert.equal((await git(['log', '-1', '--format=%s', 'v1.2.0'], old)).trim(), 'Adds GitC');
  });

  it('leaves out Pending, banned and unpublished versions, and answers 404 once the pack is banned', async () => {
    await publishFiles(t, w, 'gone-pack', '1.0.0', { 'a.py': 'a = 1\n' });
    await publishFiles(t, w, 'gone-pack', '1.1.0', { 'a.py': 'a = 2\n' });
    await publishFiles(t, w, 'gone-pack', '1.2.0', { 'a.py': 'a = 3\n' });
    await publishFiles(t, w, 'gone-pack', '1.3.0', { 'a.py': 'a = 4\n' });
    const tags = async () => {
      const dir = dest();
      await git(['clone', '--quiet', `${base}/git/gone-pack`, dir]);
      return {
        tags: (await git(['tag', '--list', 'v*'], dir)).split('\n').filter(Boolean),
        head: fs.readFileSync(path.join(dir, 'a.py'), 'utf8'),
      };
    };
    assert.deepEqual(await tags(), { tags: ['v1.0.0', 'v1.1.0', 'v1.2.0', 'v1.3.0'], head: 'a = 4\n' });

    const admin = (version: string, status: string) =>
      json(t, 'PUT', `/admin/nodes/gone-pack/versions/${version}`, { status }, t.adminToken);
    assert.equal((await admin('1.3.0', 'NodeVersionStatusPending')).status, 200);
    assert.equal((await admin('1.1.0', 'NodeVersionStatusBanned')).status, 200);
    assert.equal((await json(t, 'DELETE', `/publishers/${w.pub}/nodes/gone-pack/versions/1.2.0`, undefined, w.userToken)).status, 204);
    assert.deepEqual(await tags(), { tags: ['v1.0.0'], head: 'a = 1\n' });
    const kept = fs.readdirSync(path.join(t.dataDir, 'git', 'gone-pack')).filter((d) => d.endsWith('.git'));
    assert.equal(kept.length, 1, 'repositories holding a removed version are deleted');

    assert.equal((await json(t, 'POST', `/publishers/${w.pub}/nodes/gone-pack/ban`, undefined, t.adminToken)).status, 204);
    assert.match(await gitFails(['clone', '--quiet', `${base}/git/gone-pack`, dest()]), /not found|404/);
    assert.equal((await fetch(`${base}/git/gone-pack/info/refs`)).status, 404);
    assert.equal(fs.existsSync(path.join(t.dataDir, 'git', 'gone-pack')), false, 'its repositories are deleted');
  });

  it('keeps serving the objects of the refs a clone read before a publish rewrote the history', async () => {
    await publishFiles(t, w, 'mid-pack', '1.0.0', { 'm.py': 'm = 1\n' });
    await publishFiles(t, w, 'mid-pack', '2.0.0', { 'm.py': 'm = 2\n' });
    const refs = async () =>
      (await (await fetch(`${base}/git/mid-pack/info/refs`)).text()).match(/^([0-9a-f]{40})\trefs\/heads\/main$/m)![1];
    const oldMain = await refs();
    // 1.5.0 goes between the two: 2.0.0's commit gets a new parent, so a new id.
    await publishFiles(t, w, 'mid-pack', '1.5.0', { 'm.py': 'm = 1.5\n' });
    const newMain = await refs();
    assert.notEqual(newMain, oldMain);
    const listing = await (await fetch(`${base}/git/mid-pack/objects/info/packs`)).text();
    const packs = [...listing.matchAll(/^P (pack-[0-9a-f]+)\.pack$/gm)].map((m) => m[1]);
    assert.equal(packs.length, 2, 'the new pack first, then the one the old refs need');
    const objectsOf = async (pack: string) => {
      const idx = Buffer.from(await (await fetch(`${base}/git/mid-pack/objects/pack/${pack}.idx`)).arrayBuffer());
      return spawnSync('git', ['show-index'], { input: idx, encoding: 'utf8' }).stdout;
    };
    assert.match(await objectsOf(packs[0]!), new RegExp(newMain));
    assert.match(await objectsOf(packs[1]!), new RegExp(oldMain));

    // Clones racing a publish all succeed, each with the old or the new history.
    const clones = [dest(), dest(), dest()];
    const [, ...heads] = await Promise.all([
      publishFiles(t, w, 'mid-pack', '3.0.0', { 'm.py': 'm = 3\n' }),
      ...clones.map(async (d) => {
        await git(['clone', '--quiet', `${base}/git/mid-pack`, d]);
        await git(['fsck', '--no-progress'], d);
        return fs.readFileSync(path.join(d, 'm.py'), 'utf8');
      }),
    ]);
    for (const h of heads) assert.ok(['m = 2\n', 'm = 3\n'].includes(h), h);
  });

  it('refuses what is not a clone: unknown packs, paths outside the protocol, pushes', async () => {
    const status = async (url: string, method = 'GET') => {
      const res = await fetch(base + url, { method });
      return { status: res.status, error: res.status >= 400 ? ((await res.json()) as { error: string }).error : undefined };
    };
    assert.deepEqual(await status('/git/no-such-pack/info/refs'), { status: 404, error: 'NODE_NOT_FOUND' });
    assert.match(await gitFails(['clone', '--quiet', `${base}/git/no-such-pack`, dest()]), /not found|404/);
    for (const p of ['config', 'refs/heads/main', 'comfyreg-history.json', 'objects/pack/x.pack', 'objects/zz/00', 'info/../config'])
      assert.equal((await status(`/git/git-pack/${p}`)).status, 404, p);
    assert.deepEqual(await status('/git/git-pack/info/refs?service=git-receive-pack'), { status: 403, error: 'GIT_PUSH_REFUSED' });
    assert.deepEqual(await status('/git/git-pack/git-receive-pack', 'POST'), { status: 403, error: 'GIT_PUSH_REFUSED' });
    assert.deepEqual(await status('/git/git-pack/objects/ab/cd', 'PUT'), { status: 403, error: 'GIT_PUSH_REFUSED' });
    assert.equal((await status('/git/%zz/info/refs')).status, 400);

    const dir = dest();
    await git(['clone', '--quiet', `${base}/git/git-pack`, dir]);
    const before = (await git(['ls-remote', 'origin'], dir)).trim();
    fs.writeFileSync(path.join(dir, 'evil.py'), 'import os\n');
    await git(['-c', 'user.name=x', '-c', 'user.email=x@x', 'commit', '--quiet', '-am', 'x', '--allow-empty'], dir);
    await git(['add', 'evil.py'], dir);
    await git(['-c', 'user.name=x', '-c', 'user.email=x@x', 'commit', '--quiet', '-m', 'evil'], dir);
    assert.match(await gitFails(['push', 'origin', 'HEAD:main'], dir), /403|read-only|error/i);
    assert.equal((await git(['ls-remote', 'origin'], dir)).trim(), before, 'nothing changed');
  });
});
