import { before, after, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { forEachBackend } from '../helpers/registry.js';
import { ADMIN, bareRegistry, owner, published, rejectsWith, type Bare } from '../helpers/bare-registry.js';
import { identify, assertPublisherOwner, ANONYMOUS } from '../../src/registry/principals.js';
import { createUser, listUserPublishers } from '../../src/registry/users.js';
import {
  createAccessToken,
  deleteAccessToken,
  getPublisherDetails,
  listAccessTokens,
  listPublishers,
  publisherDetails,
  setPublisherBanned,
  updatePublisher,
  verifyAccessToken,
} from '../../src/registry/publishers.js';
import {
  banNode,
  createNode,
  deleteNode,
  getNode,
  getVersion,
  listNodes,
  listVersions,
  nodeDetails,
  updateNode,
} from '../../src/registry/nodes.js';
import {
  deleteVersion,
  installVersion,
  listRefusedVersions,
  removeVersion,
  setVersionStatus,
  updateVersion,
} from '../../src/registry/versions.js';
import { createComfyNodes } from '../../src/registry/comfy-node-ingest.js';
import { publishVersion, signUploadUrl, storeUpload } from '../../src/registry/publish.js';
import { openArchive } from '../../src/registry/archives.js';
import { pageWindow } from '../../src/registry/paging.js';
import type { ArchiveStore } from '../../src/storage/archive-store.js';

const page = (limit = 100) => pageWindow(1, limit, limit, limit);

forEachBackend('registry: users, publishers, packs and versions', (backend) => {
  let b: Bare;
  before(async () => {
    b = await bareRegistry(backend);
  });
  after(async () => b?.close());

  it('identifies principals by token and checks ownership without roles', async () => {
    const { reg } = b;
    const o = await owner(reg, 'own');
    assert.equal((await identify(reg, o.userToken)).kind, 'user');
    assert.equal((await identify(reg, 'admin-token')).kind, 'admin');
    assert.equal((await identify(reg, 'service-token')).kind, 'service');
    assert.equal((await identify(reg, 'nobody')).kind, 'unknown');
    await assertPublisherOwner(reg, o.principal, 'own');
    await assertPublisherOwner(reg, ADMIN, 'own');
    const other = await createUser(reg, { name: 'other', email: 'other@example.com' });
    await rejectsWith(assertPublisherOwner(reg, { kind: 'user', user: other.user }, 'own'), 'NOT_PUBLISHER_MEMBER');
    await rejectsWith(assertPublisherOwner(reg, ANONYMOUS, 'own'), 'NOT_PUBLISHER_MEMBER');
    assert.deepEqual(
      (await listUserPublishers(reg, o.user.id)).map((p) => p.id),
      ['own'],
    );
    await rejectsWith(createUser(reg, { name: ' ', email: 'x@example.com' }), 'INVALID_NAME');
    await rejectsWith(createUser(reg, { name: 'x', email: 'nope' }), 'INVALID_EMAIL');
  });

  it('keeps publishers, their members and tokens', async () => {
    const { reg } = b;
    const o = await owner(reg, 'pubs');
    await updatePublisher(reg, o.principal, 'pubs', { description: 'about' });
    const details = await getPublisherDetails(reg, 'pubs');
    assert.equal(details.publisher.description, 'about');
    assert.deepEqual(
      details.members.map((m) => [m.user_id, m.role]),
      [[o.user.id, 'owner']],
    );
    assert.equal((await publisherDetails(reg, [])).length, 0);
    const { rows, total } = await listPublishers(reg, pageWindow(1, 1, 1, 1));
    assert.equal(rows.length, 1);
    assert.ok(total >= 2, 'the total counts every page');
    const { row } = await createAccessToken(reg, o.principal, 'pubs', { name: 'second' });
    assert.equal((await listAccessTokens(reg, o.principal, 'pubs')).length, 2);
    await verifyAccessToken(reg, 'pubs', o.pat);
    await rejectsWith(verifyAccessToken(reg, 'own', o.pat), 'INVALID_ACCESS_TOKEN');
    await deleteAccessToken(reg, o.principal, 'pubs', row.id);
    await rejectsWith(deleteAccessToken(reg, o.principal, 'pubs', row.id), 'TOKEN_NOT_FOUND');
    await rejectsWith(createAccessToken(reg, o.principal, 'pubs', { name: ' ' }), 'INVALID_NAME');
    await setPublisherBanned(reg, 'pubs');
    assert.equal((await getPublisherDetails(reg, 'pubs')).publisher.status, 'PublisherStatusBanned');
    await rejectsWith(
      publishVersion(reg, 'pubs', 'p', { personal_access_token: o.pat, node_version: { version: '1.0.0' } }),
      'PUBLISHER_BANNED',
    );
    await rejectsWith(getPublisherDetails(reg, 'missing'), 'PUBLISHER_NOT_FOUND');
  });

  it('creates, updates, lists, deletes and bans packs', async () => {
    const { reg } = b;
    const o = await owner(reg, 'packs');
    await createNode(reg, o.principal, 'packs', { id: 'Pack-One', name: 'One', repository: 'https://example.com/one' });
    await rejectsWith(createNode(reg, o.principal, 'packs', { id: 'pack-one' }), 'NODE_EXISTS');
    await rejectsWith(createNode(reg, o.principal, 'packs', { id: '-bad' }), 'INVALID_NODE_ID');
    await rejectsWith(createNode(reg, o.principal, 'packs', { id: 'x', icon: 'ftp://x' }), 'INVALID_URL');
    const updated = await updateNode(reg, o.principal, 'packs', 'pack-one', { description: 'first', tags: ['a'] });
    assert.equal(updated.description, 'first');
    assert.equal(updated.tags, '["a"]');
    assert.equal((await getNode(reg, 'PACK-ONE')).id, 'Pack-One', 'ids compare case-insensitively');
    const listed = await listNodes(reg, { publisherId: 'packs' }, page());
    assert.deepEqual([listed.rows.map((r) => r.id), listed.total], [['Pack-One'], 1]);
    const [d] = await nodeDetails(reg, listed.rows);
    assert.equal(d!.publisher?.id, 'packs');
    assert.equal(d!.latest, undefined);
    await deleteNode(reg, o.principal, 'packs', 'pack-one');
    await rejectsWith(getNode(reg, 'pack-one'), 'NODE_NOT_FOUND');
    assert.equal((await getNode(reg, 'pack-one', { includeHidden: true })).status, 'NodeStatusDeleted');
    await createNode(reg, o.principal, 'packs', { id: 'banned-pack' });
    await banNode(reg, ADMIN, 'packs', 'banned-pack');
    await rejectsWith(
      publishVersion(reg, 'packs', 'banned-pack', { personal_access_token: o.pat, node_version: { version: '1.0.0' } }),
      'NODE_BANNED',
    );
    const stranger = await owner(reg, 'stranger');
    await rejectsWith(updateNode(reg, stranger.principal, 'stranger', 'banned-pack', {}), 'NODE_OF_OTHER_PUBLISHER');
  });

  it('publishes, uploads once within the signed time, and serves the archive', async () => {
    const { reg, clock } = b;
    const o = await owner(reg, 'flow');
    const { version, signedUrl } = await publishVersion(reg, 'flow', 'flow-pack', {
      personal_access_token: o.pat,
      node_version: { version: 'v1.2' },
    });
    assert.equal(version.version, '1.2.0');
    await rejectsWith(
      publishVersion(reg, 'flow', 'flow-pack', { personal_access_token: o.pat, node_version: { version: '1.2.0' } }),
      'VERSION_EXISTS',
    );
    await rejectsWith(
      publishVersion(reg, 'flow', 'flow-pack', { personal_access_token: o.pat, node_version: { version: 'one' } }),
      'INVALID_VERSION',
    );
    const q = new URL(signedUrl).searchParams;
    const query = { expires: q.get('expires')!, signature: q.get('signature')! };
    await rejectsWith(
      storeUpload(reg, version.id, { ...query, signature: 'x' }, Readable.from(Buffer.from('zip')), 1024),
      'INVALID_SIGNATURE',
    );
    await rejectsWith(storeUpload(reg, version.id, query, Readable.from(Buffer.alloc(2048)), 1024), 'ARCHIVE_TOO_LARGE');
    let queued = 0;
    reg.events.on('jobQueued', () => queued++);
    const stored = await storeUpload(reg, version.id, query, Readable.from(Buffer.from('zip bytes')), 1024);
    assert.equal(stored.archive_size, 9);
    assert.equal(queued, 1, 'the upload queued an extraction and said so');
    await rejectsWith(storeUpload(reg, version.id, query, Readable.from(Buffer.from('again')), 1024), 'UPLOAD_URL_USED');
    const archive = await openArchive(reg, stored.archive_key!);
    const chunks: Buffer[] = [];
    for await (const c of archive.stream) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'zip bytes');
    await rejectsWith(openArchive(reg, '../etc/passwd'), 'ARCHIVE_NOT_FOUND');
    await rejectsWith(openArchive(reg, 'flow-pack/none.zip'), 'ARCHIVE_NOT_FOUND');
    const late = new URL(signUploadUrl(reg, version.id)).searchParams;
    clock.advance(16 * 60 * 1000);
    await rejectsWith(
      storeUpload(
        reg,
        version.id,
        { expires: late.get('expires')!, signature: late.get('signature')! },
        Readable.from(Buffer.from('z')),
        1024,
      ),
      'UPLOAD_URL_EXPIRED',
    );
  });

  it('answers a failing archive store with ARCHIVE_STORE_UNAVAILABLE, not a 404', async () => {
    const broken: ArchiveStore = {
      put: async () => ({ size: 0, sha256: '' }),
      get: async () => {
        throw new Error('disk on fire');
      },
      delete: async () => {},
      check: async () => {},
    };
    const other = await bareRegistry(backend, { store: broken });
    try {
      await assert.rejects(openArchive(other.reg, 'a/b.zip'), (err: Error & { code?: string; cause?: Error }) => {
        assert.equal(err.code, 'ARCHIVE_STORE_UNAVAILABLE');
        assert.equal(err.cause?.message, 'disk on fire', 'the cause is kept for the log');
        return true;
      });
    } finally {
      await other.close();
    }
  });

  it('updates, unpublishes, sets the status of and installs versions', async () => {
    const { reg } = b;
    const o = await owner(reg, 'vers');
    await published(reg, 'vers', o.pat, 'vers-pack', '1.0.0');
    await published(reg, 'vers', o.pat, 'vers-pack', '2.0.0');
    assert.deepEqual(
      (await listVersions(reg, 'vers-pack', ANONYMOUS)).map((v) => v.version),
      ['2.0.0', '1.0.0'],
    );
    const changed = await updateVersion(reg, o.principal, 'vers', 'vers-pack', '1.0.0', { changelog: 'fixes', deprecated: true });
    assert.deepEqual([changed.changelog, changed.deprecated], ['fixes', 1]);
    const installed = await installVersion(reg, ANONYMOUS, 'vers-pack');
    assert.equal(installed.version, '2.0.0');
    await reg.downloads.settle();
    assert.equal((await getNode(reg, 'vers-pack')).downloads, 1);
    assert.equal((await installVersion(reg, ANONYMOUS, 'vers-pack', '1.0.0')).version, '1.0.0');
    await rejectsWith(setVersionStatus(reg, 'vers-pack', '2.0.0', { status: 'Nope' }), 'INVALID_VERSION_STATUS');
    const banned = await setVersionStatus(reg, 'vers-pack', '2.0.0', { status: 'NodeVersionStatusBanned', status_reason: 'malware' });
    assert.deepEqual([banned.status, banned.status_reason], ['NodeVersionStatusBanned', 'malware']);
    await rejectsWith(getVersion(reg, 'vers-pack', '2.0.0', ANONYMOUS), 'VERSION_NOT_FOUND');
    assert.equal((await getVersion(reg, 'vers-pack', '2.0.0', ADMIN)).status, 'NodeVersionStatusBanned');
    assert.equal((await installVersion(reg, ANONYMOUS, 'vers-pack')).version, '1.0.0', 'latest moves back');
    await deleteVersion(reg, o.principal, 'vers', 'vers-pack', '1.0.0');
    await rejectsWith(installVersion(reg, ANONYMOUS, 'vers-pack'), 'NO_INSTALLABLE_VERSION');
    await rejectsWith(updateVersion(reg, o.principal, 'vers', 'vers-pack', '1.0.0', {}), 'VERSION_NOT_FOUND');
  });

  it('never hands out a refused archive, lists refused versions and removes them', async () => {
    const { reg } = b;
    const o = await owner(reg, 'refu');
    await published(reg, 'refu', o.pat, 'refu-pack', '1.0.0');
    const bad = await published(reg, 'refu', o.pat, 'refu-pack', '2.0.0');
    await createComfyNodes(reg, 'refu-pack', '2.0.0', { success: false, status: 'invalid_format', reason: 'entry ../x: path escapes' });
    await rejectsWith(installVersion(reg, ANONYMOUS, 'refu-pack', '2.0.0'), 'VERSION_REFUSED');
    assert.equal((await installVersion(reg, ANONYMOUS, 'refu-pack')).version, '1.0.0');
    await rejectsWith(openArchive(reg, bad.archive_key!), 'VERSION_REFUSED');
    (await openArchive(reg, bad.archive_key!, { admin: true })).stream.destroy();
    assert.deepEqual(
      (await listRefusedVersions(reg, page())).rows.map((v) => v.version),
      ['2.0.0'],
    );
    await removeVersion(reg, 'refu-pack', '2.0.0');
    assert.equal((await listRefusedVersions(reg, page())).total, 0);
    assert.equal(await reg.store.get(bad.archive_key!), null);
    await rejectsWith(removeVersion(reg, 'refu-pack', '9.9.9'), 'VERSION_NOT_FOUND');
  });
});
