import { before, after, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { forEachBackend } from '../helpers/registry.js';
import { bareRegistry, owner, published, rejectsWith, type Bare } from '../helpers/bare-registry.js';
import { buildZip } from '../extract/zipbytes.js';
import { comfyNode } from '../helpers/flow.js';
import { publishVersion, storeUpload } from '../../src/registry/publish.js';
import { createComfyNodes } from '../../src/registry/comfy-node-ingest.js';
import { deleteNode } from '../../src/registry/nodes.js';
import { setVersionStatus } from '../../src/registry/versions.js';
import { customNodeList, extensionNodeMap } from '../../src/registry/manager-channel.js';
import { GitRepositories } from '../../src/registry/git-repos.js';
import { extractedPath, isTaggable } from '../../src/git/build.js';
import { gitFile } from '../../src/git/dumb-http.js';
import type { ArchiveStore } from '../../src/storage/archive-store.js';

const run = promisify(execFile);

it('lays out archive entries where Python extracts them, leaving out what git cannot hold', () => {
  assert.equal(extractedPath('a/b.py'), 'a/b.py');
  assert.equal(extractedPath('./a//b.py'), 'a/b.py');
  assert.equal(extractedPath('../../etc/x.py'), 'etc/x.py');
  assert.equal(extractedPath('/abs/x.py'), 'abs/x.py');
  assert.equal(extractedPath('dir/'), null);
  assert.equal(extractedPath('.git/config'), null);
  assert.equal(extractedPath('sub/.GIT/hooks/post-checkout'), null);
  assert.equal(extractedPath('a\0b'), null);
  assert.ok(isTaggable('1.2.3-beta.1+build.5'));
  assert.ok(!isTaggable('1..2') && !isTaggable('x.lock') && !isTaggable('-1'));
  assert.deepEqual(gitFile('info/refs'), { kind: 'refs' });
  assert.equal(gitFile('config'), null);
  assert.equal(gitFile('objects/pack/../../config'), null);
  assert.equal(gitFile('hooks/pre-receive'), null);
});

forEachBackend('registry: Manager channel and git repositories', (backend) => {
  let b: Bare;
  let root: string;
  const warnings: string[] = [];
  const log = { warn: (_o: object, msg: string) => void warnings.push(msg) };
  before(async () => {
    b = await bareRegistry(backend);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-git-registry-'));
    const o = await owner(b.reg, 'hist');
    await published(b.reg, 'hist', o.pat, 'flagged-pack', '1.0.0', { 'a.py': 'a = 1\n' });
    await setVersionStatus(b.reg, 'flagged-pack', '1.0.0', { status: 'NodeVersionStatusFlagged' });
    await published(b.reg, 'hist', o.pat, 'refused-pack', '1.0.0', { 'a.py': 'a = 1\n' });
    await createComfyNodes(b.reg, 'refused-pack', '1.0.0', { success: false, status: 'invalid_format', reason: 'bad' });
    await published(b.reg, 'hist', o.pat, 'deleted-pack', '1.0.0', { 'a.py': 'a = 1\n' });
    await deleteNode(b.reg, o.principal, 'hist', 'deleted-pack');
    const { version, signedUrl } = await publishVersion(b.reg, 'hist', 'odd-pack', {
      personal_access_token: o.pat,
      node_version: { version: '1.0.0' },
    });
    const q = new URL(signedUrl).searchParams;
    const zip = buildZip([
      { name: 'ok.py', data: Buffer.from('ok = 1\n') },
      { name: '../escape.py', data: Buffer.from('escape = 1\n') },
      { name: '.git/hooks/post-checkout', data: Buffer.from('#!/bin/sh\necho pwned\n') },
      { name: 'dir/', data: Buffer.alloc(0) },
    ]);
    await storeUpload(b.reg, version.id, { expires: q.get('expires')!, signature: q.get('signature')! }, Readable.from(zip), 1 << 20);
  });
  after(async () => {
    await b?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('lists Active and Flagged versions, not refused ones nor deleted packs', async () => {
    const ids = (await customNodeList(b.reg)).custom_nodes.map((e) => e.id);
    assert.deepEqual(ids, ['flagged-pack', 'odd-pack']);
    assert.deepEqual(Object.keys(await extensionNodeMap(b.reg)), [
      'http://registry.test/git/flagged-pack',
      'http://registry.test/git/odd-pack',
    ]);
  });

  it('builds a repository from an odd archive as Python unpacks it, with no .git entries', async () => {
    const repos = new GitRepositories(b.reg, root, log);
    const { current } = await repos.open('ODD-PACK');
    const { stdout } = await run('git', ['--git-dir', current.dir, 'ls-tree', '-r', '--name-only', 'main']);
    assert.deepEqual(stdout.trim().split('\n'), ['escape.py', 'ok.py']);
    await rejectsWith(repos.read('odd-pack', 'config'), 'GIT_PATH_NOT_FOUND');
    await rejectsWith(repos.read('odd-pack', 'objects/info/alternates'), 'GIT_PATH_NOT_FOUND');
    await rejectsWith(repos.read('nope', 'info/refs'), 'NODE_NOT_FOUND');
    await rejectsWith(repos.read('deleted-pack', 'info/refs'), 'NODE_NOT_FOUND');
    await rejectsWith(repos.read('refused-pack', 'info/refs'), 'NO_INSTALLABLE_VERSION');
  });

  it('answers 503s, never a broken repository, when the archive store fails or lost an archive', async () => {
    const failing: ArchiveStore = {
      ...b.reg.store,
      get: async () => {
        throw new Error('store down');
      },
    };
    await rejectsWith(
      new GitRepositories({ ...b.reg, store: failing }, root, log).read('flagged-pack', 'info/refs'),
      'ARCHIVE_STORE_UNAVAILABLE',
    );
    const empty: ArchiveStore = { ...b.reg.store, get: async () => null };
    await rejectsWith(
      new GitRepositories({ ...b.reg, store: empty }, root, log).read('flagged-pack', 'info/refs'),
      'GIT_REPOSITORY_UNAVAILABLE',
    );
    assert.ok(
      warnings.some((w) => /missing from the store/.test(w)),
      'the log says why',
    );
    assert.deepEqual(fs.readdirSync(path.join(root, 'flagged-pack')), [], 'no repository and no scratch folder is left behind');
    const answer = await new GitRepositories(b.reg, root, log).read('flagged-pack', 'HEAD');
    assert.equal(answer.kind === 'bytes' && answer.body.toString(), 'ref: refs/heads/main\n');
  });

  it('maps the comfy nodes of the newest version a clone has, not of one waiting for review', async () => {
    const o = await owner(b.reg, 'review');
    await published(b.reg, 'review', o.pat, 'review-pack', '1.0.0');
    await createComfyNodes(b.reg, 'review-pack', '1.0.0', { nodes: { OldNode: comfyNode() } });
    await published(b.reg, 'review', o.pat, 'review-pack', '1.1.0');
    await createComfyNodes(b.reg, 'review-pack', '1.1.0', { nodes: { NewNode: comfyNode() } });
    const url = 'http://registry.test/git/review-pack';
    assert.deepEqual((await extensionNodeMap(b.reg))[url]![0], ['NewNode']);
    await setVersionStatus(b.reg, 'review-pack', '1.1.0', { status: 'NodeVersionStatusPending' });
    assert.deepEqual((await extensionNodeMap(b.reg))[url]![0], ['OldNode']);
  });
});
