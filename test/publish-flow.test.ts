import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRegistry, tableCounts, type TestRegistry, forEachBackend } from './helpers/registry.js';
import { bearer, json, publish, publishBody, upload, world, zipOf } from './helpers/flow.js';

forEachBackend('publish flow', (backend) => {
  let t: TestRegistry;
  before(async () => {
    t = await startRegistry(backend);
  });
  after(async () => t?.close());

  it('runs the whole comfy-cli flow over real HTTP: publisher, token, publish, PUT zip, download the same bytes', async () => {
    const base = await t.listen();
    const post = (path: string, body: unknown, token?: string) =>
      fetch(base + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? bearer(token) : {}) },
        body: JSON.stringify(body),
      });

    const userRes = await post('/admin/users', { name: 'cli', email: 'cli@example.com' }, t.adminToken);
    assert.equal(userRes.status, 201);
    const { token: userToken } = await userRes.json();
    const me = await (await fetch(`${base}/users`, { headers: bearer(userToken) })).json();
    assert.deepEqual({ email: me.email, isAdmin: me.isAdmin }, { email: 'cli@example.com', isAdmin: false });

    assert.equal((await post('/publishers', { id: 'flow-pub', name: 'Flow' }, userToken)).status, 201);
    const mine = await (await fetch(`${base}/users/publishers`, { headers: bearer(userToken) })).json();
    assert.deepEqual(
      mine.map((x: { id: string }) => x.id),
      ['flow-pub'],
    );
    const admin = await (await fetch(`${base}/users`, { headers: bearer(t.adminToken) })).json();
    assert.deepEqual([admin.id, admin.isAdmin], ['admin', true]);
    const tokRes = await post('/publishers/flow-pub/tokens', { name: 'cli', description: 'for comfy-cli' }, userToken);
    assert.equal(tokRes.status, 201);
    const { token: pat } = await tokRes.json();

    const pubRes = await post('/publishers/flow-pub/nodes/flow-pack/versions', publishBody(pat, 'flow-pack', '1.0'));
    assert.equal(pubRes.status, 201);
    const published = await pubRes.json();
    assert.equal(published.node_version.version, '1.0.0');
    assert.equal(published.node_version.comfy_node_extract_status, 'pending');
    assert.ok(published.signedUrl.startsWith(`${base}/archives/upload/`));

    const bytes = await zipOf({ 'flow-pack/__init__.py': 'NODE_CLASS_MAPPINGS = {}\n', 'flow-pack/data.bin': Buffer.alloc(5000, 7) });
    const put = await fetch(published.signedUrl, {
      method: 'PUT',
      headers: { 'content-type': 'application/zip' },
      body: new Uint8Array(bytes),
    });
    assert.equal(put.status, 200);

    const install = await (await fetch(`${base}/nodes/flow-pack/install`)).json();
    assert.equal(install.version, '1.0.0');
    assert.ok(install.downloadUrl.startsWith(`${base}/archives/`));
    const download = await fetch(install.downloadUrl);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('content-type'), 'application/zip');
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), bytes);

    const node = await (await fetch(`${base}/nodes/flow-pack`)).json();
    assert.equal(node.name, 'Pack flow-pack');
    assert.equal(node.description, 'A pack for tests');
    assert.equal(node.latest_version.version, '1.0.0');
    assert.equal(node.latest_version.downloadUrl, install.downloadUrl);
    assert.equal(node.downloads, 1);
    assert.deepEqual(node.tags, []);
    assert.equal(node.publisher.id, 'flow-pub');

    const second = await fetch(published.signedUrl, {
      method: 'PUT',
      headers: { 'content-type': 'application/zip' },
      body: new Uint8Array(bytes),
    });
    assert.equal(second.status, 409, 'a signed URL is single use');
  });

  it('lists tokens masked and deletes them', async () => {
    const w = await world(t, 'tok-pub', 'tok-user');
    const list = await json(t, 'GET', '/publishers/tok-pub/tokens', undefined, w.userToken);
    assert.equal(list.status, 200);
    assert.equal(list.body.length, 1);
    assert.notEqual(list.body[0].token, w.pat);
    assert.match(list.body[0].token, /^crp_\*\*\*\*.{4}$/);
    assert.ok(w.pat.endsWith(list.body[0].token.slice(-4)));
    const del = await json(t, 'DELETE', `/publishers/tok-pub/tokens/${list.body[0].id}`, undefined, w.userToken);
    assert.equal(del.status, 204);
    const refused = await json(t, 'POST', '/publishers/tok-pub/nodes/tok-pack/versions', publishBody(w.pat, 'tok-pack', '1.0.0'));
    assert.equal(refused.status, 400, 'a deleted token no longer publishes');
    assert.equal((await json(t, 'DELETE', `/publishers/tok-pub/tokens/${list.body[0].id}`, undefined, w.userToken)).status, 404);
  });

  it('normalises versions, refuses duplicates and invalid ones, and picks latest_version by semver', async () => {
    const w = await world(t, 'sem-pub', 'sem-user');
    for (const v of ['1.2.0', 'v1.10', '1.9.9', '2.0.0-beta.1']) await publish(t, w, 'sem-pack', v, 'sem-pub');
    const node = await json(t, 'GET', '/nodes/sem-pack');
    assert.equal(node.body.latest_version.version, '2.0.0-beta.1');
    const versions = await json(t, 'GET', '/nodes/sem-pack/versions');
    assert.deepEqual(
      versions.body.map((v: { version: string }) => v.version),
      ['2.0.0-beta.1', '1.10.0', '1.9.9', '1.2.0'],
    );
    assert.equal((await json(t, 'GET', '/nodes/sem-pack/versions/v1.10')).body.version, '1.10.0');
    assert.equal((await json(t, 'GET', '/nodes/SEM-PACK/versions/1.10.0')).status, 200, 'node ids compare case-insensitively');

    const before = await tableCounts(t);
    const dup = await json(t, 'POST', '/publishers/sem-pub/nodes/sem-pack/versions', publishBody(w.pat, 'sem-pack', '1.2'));
    assert.equal(dup.status, 400);
    assert.equal(dup.body.message, 'The node version already exists');
    const bad = await json(t, 'POST', '/publishers/sem-pub/nodes/sem-pack/versions', publishBody(w.pat, 'sem-pack', 'latest'));
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'INVALID_VERSION');
    assert.deepEqual(await tableCounts(t), before);

    // Deleting (admin status change) the top version moves latest_version down.
    const res = await json(t, 'PUT', '/admin/nodes/sem-pack/versions/2.0.0-beta.1', { status: 'NodeVersionStatusDeleted' }, t.adminToken);
    assert.equal(res.status, 200);
    assert.equal((await json(t, 'GET', '/nodes/sem-pack')).body.latest_version.version, '1.10.0');
  });

  it('publishes concurrent first versions of a new node: every distinct version lands, duplicates get 400', async () => {
    const base = await t.listen();
    const w = await world(t, 'race-pub', 'race-user');
    const versions = ['1.0.0', '1.1.0', '1.2.0', '1.0.0', '2.0.0', '1.1.0'];
    const results = await Promise.all(
      versions.map((v) =>
        fetch(`${base}/publishers/race-pub/nodes/race-pack/versions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(publishBody(w.pat, 'race-pack', v)),
        }).then(async (r) => ({ status: r.status, body: await r.json() })),
      ),
    );
    assert.equal(results.filter((r) => r.status === 201).length, 4, JSON.stringify(results.map((r) => r.status)));
    for (const r of results.filter((x) => x.status !== 201)) assert.equal(r.body.error, 'VERSION_EXISTS');
    const listed = await json(t, 'GET', '/nodes/race-pack/versions');
    assert.deepEqual(
      listed.body.map((v: { version: string }) => v.version),
      ['2.0.0', '1.2.0', '1.1.0', '1.0.0'],
    );
    assert.equal((await json(t, 'GET', '/nodes/race-pack')).body.latest_version.version, '2.0.0');
  });

  it('applies the publish checks in order: banned publisher, banned node, other publisher, bad token', async () => {
    const a = await world(t, 'order-a', 'order-ua');
    const b = await world(t, 'order-b', 'order-ub');
    await publish(t, a, 'order-pack', '1.0.0', 'order-a');
    const other = await json(t, 'POST', '/publishers/order-b/nodes/order-pack/versions', publishBody(b.pat, 'order-pack', '1.1.0'));
    assert.equal(other.status, 403);
    assert.equal(other.body.error, 'NODE_OF_OTHER_PUBLISHER');
    const wrongToken = await json(t, 'POST', '/publishers/order-a/nodes/order-pack/versions', publishBody(b.pat, 'order-pack', '1.1.0'));
    assert.equal(wrongToken.status, 400);
    assert.equal(wrongToken.body.error, 'INVALID_ACCESS_TOKEN');

    assert.equal((await json(t, 'POST', '/publishers/order-a/nodes/order-pack/ban', undefined, t.adminToken)).status, 204);
    const nodeBanned = await json(
      t,
      'POST',
      '/publishers/order-a/nodes/order-pack/versions',
      publishBody('nonsense', 'order-pack', '1.1.0'),
    );
    assert.equal(nodeBanned.status, 403);
    assert.equal(nodeBanned.body.error, 'NODE_BANNED');
    assert.equal((await json(t, 'GET', '/nodes/order-pack')).status, 404, 'a banned node is not served');

    assert.equal((await json(t, 'POST', '/publishers/order-a/ban', undefined, t.adminToken)).status, 204);
    const pubBanned = await json(
      t,
      'POST',
      '/publishers/order-a/nodes/order-pack/versions',
      publishBody('nonsense', 'order-pack', '1.1.0'),
    );
    assert.equal(pubBanned.status, 403);
    assert.equal(pubBanned.body.error, 'PUBLISHER_BANNED');
  });

  it('refuses tampered, expired and wrongly typed uploads without storing anything', async () => {
    const w = await world(t, 'up-pub', 'up-user');
    const { signedUrl, node_version } = await publish(t, w, 'up-pack', '1.0.0', 'up-pub');
    const bytes = await zipOf({ '__init__.py': '' });
    const tampered = signedUrl.replace(/signature=./, (m) => (m.endsWith('A') ? m.slice(0, -1) + 'B' : m.slice(0, -1) + 'A'));
    assert.equal((await upload(t, tampered, bytes)).status, 403);
    const u = new URL(signedUrl);
    u.searchParams.set('expires', String(Number(u.searchParams.get('expires')) + 10));
    assert.equal((await upload(t, u.toString(), bytes)).status, 403, 'changing the expiry breaks the signature');
    const { signUploadUrl } = await import('../src/registry/publish.js');
    const expired = signUploadUrl(t.reg, node_version.id, -1);
    const res = await upload(t, expired, bytes);
    assert.equal(res.status, 403);
    assert.equal(res.body.error, 'UPLOAD_URL_EXPIRED');
    assert.equal((await upload(t, signedUrl, Buffer.from('{}'), 'application/json')).status, 415);
    const v = await json(t, 'GET', '/nodes/up-pack/versions/1.0.0');
    assert.equal(v.body.downloadUrl, '');
    assert.equal((await upload(t, signedUrl, bytes)).status, 200);
  });

  it('answers a failing archive store with 503 and a log line, not a 404', async () => {
    const lines: string[] = [];
    const broken = await startRegistry(backend, {
      store: {
        put: async () => ({ size: 0, sha256: '' }),
        get: async () => Promise.reject(new Error('bucket gone')),
        delete: async () => {},
        check: async () => {},
      },
      log: (line) => lines.push(line),
    });
    try {
      const res = await json(broken, 'GET', '/archives/some-pack/1.0.0-abcd.zip');
      assert.equal(res.status, 503);
      assert.equal(res.body.error, 'ARCHIVE_STORE_UNAVAILABLE');
      assert.ok(!JSON.stringify(res.body).includes('bucket gone'), 'the cause stays in the log');
      assert.ok(
        lines.some((l) => l.includes('bucket gone') && l.includes('"level":50')),
        'logged as an error with its cause',
      );
      assert.equal((await json(broken, 'GET', '/archives/..%2Fsecret')).status, 404);
    } finally {
      await broken.close();
    }
  });

  it('refuses an archive over the size limit and keeps the URL usable', async () => {
    const small = await startRegistry(backend, { maxArchive: 2048 });
    try {
      const w = await world(small, 'big-pub', 'big-user');
      const { signedUrl } = await publish(small, w, 'big-pack', '1.0.0', 'big-pub');
      const res = await upload(small, signedUrl, Buffer.alloc(10_000, 1));
      assert.equal(res.status, 413);
      assert.equal((await tableCounts(small)).extraction_jobs, 0);
      assert.equal((await upload(small, signedUrl, Buffer.alloc(1000, 1))).status, 200);
      assert.equal((await tableCounts(small)).extraction_jobs, 1, 'the upload queued an extraction job');
    } finally {
      await small.close();
    }
  });

  it('keeps new versions Pending in review mode until an admin approves them', async () => {
    const rt = await startRegistry(backend, { review: true });
    try {
      const w = await world(rt, 'rev-pub', 'rev-user');
      const { node_version } = await publish(rt, w, 'rev-pack', '1.0.0', 'rev-pub');
      assert.equal((await json(rt, 'GET', '/nodes/rev-pack/versions/1.0.0')).body.status, 'NodeVersionStatusPending');
      assert.equal(node_version.id.length > 0, true);
      const approve = await json(rt, 'PUT', '/admin/nodes/rev-pack/versions/1.0.0', { status: 'NodeVersionStatusActive' }, rt.adminToken);
      assert.equal(approve.status, 200);
      assert.equal((await json(rt, 'GET', '/nodes/rev-pack')).body.latest_version.status, 'NodeVersionStatusActive');
    } finally {
      await rt.close();
    }
  });

  it('lets the owner update a version by id or number and unpublish it; latest_version and install follow', async () => {
    const w = await world(t, 'ver-pub', 'ver-user');
    const first = await publish(t, w, 'ver-pack', '1.0.0', 'ver-pub');
    await publish(t, w, 'ver-pack', '1.1.0', 'ver-pub');
    const byId = await json(
      t,
      'PUT',
      `/publishers/ver-pub/nodes/ver-pack/versions/${first.node_version.id}`,
      { changelog: 'first', deprecated: true },
      w.userToken,
    );
    assert.equal(byId.status, 200);
    assert.deepEqual([byId.body.changelog, byId.body.deprecated], ['first', true]);
    const byNumber = await json(t, 'PUT', '/publishers/ver-pub/nodes/ver-pack/versions/v1.1', { changelog: 'second' }, w.userToken);
    assert.equal(byNumber.body.changelog, 'second');
    assert.equal(byNumber.body.deprecated, false, 'absent fields stay as they are');
    const other = await world(t, 'ver-other', 'ver-other-user');
    assert.equal(
      (await json(t, 'PUT', '/publishers/ver-other/nodes/ver-pack/versions/1.1.0', { changelog: 'x' }, other.userToken)).status,
      403,
    );
    assert.equal((await json(t, 'PUT', '/publishers/ver-pub/nodes/ver-pack/versions/9.9.9', { changelog: 'x' }, w.userToken)).status, 404);

    assert.equal((await json(t, 'DELETE', '/publishers/ver-pub/nodes/ver-pack/versions/1.1.0', undefined, w.userToken)).status, 204);
    assert.equal((await json(t, 'GET', '/nodes/ver-pack/versions/1.1.0')).status, 404);
    assert.equal((await json(t, 'GET', '/nodes/ver-pack')).body.latest_version.version, '1.0.0');
    assert.equal((await json(t, 'GET', '/nodes/ver-pack/install')).body.version, '1.0.0');
    assert.equal((await json(t, 'DELETE', '/publishers/ver-pub/nodes/ver-pack/versions/1.1.0', undefined, w.userToken)).status, 404);
    const dup = await json(t, 'POST', '/publishers/ver-pub/nodes/ver-pack/versions', publishBody(w.pat, 'ver-pack', '1.1.0'));
    assert.equal(dup.status, 400, 'an unpublished number is not reused');
  });

  it('creates, reads, updates and pages nodes and publishers', async () => {
    const w = await world(t, 'crud-pub', 'crud-user');
    const created = await json(
      t,
      'POST',
      '/publishers/crud-pub/nodes',
      { id: 'crud-pack', name: 'Crud', license: { text: 'MIT' } },
      w.userToken,
    );
    assert.equal(created.status, 201);
    assert.equal(created.body.license, '{"text":"MIT"}');
    const upd = await json(t, 'PUT', '/publishers/crud-pub/nodes/crud-pack', { description: 'new words' }, w.userToken);
    assert.equal(upd.status, 200);
    assert.equal(upd.body.description, 'new words');
    assert.equal(upd.body.name, 'Crud', 'a partial update keeps absent fields');
    const pub = await json(t, 'PUT', '/publishers/crud-pub', { website: 'https://acme.example' }, w.userToken);
    assert.equal(pub.body.website, 'https://acme.example');
    assert.equal(pub.body.members[0].role, 'owner');
    assert.equal((await json(t, 'GET', '/publishers/crud-pub/nodes')).body[0].id, 'crud-pack');
    const all = await json(t, 'GET', '/publishers');
    assert.ok(all.body.some((x: { id: string; members: unknown[] }) => x.id === 'crud-pub' && x.members.length === 1));
    assert.ok(!all.body.some((x: { id: string }) => x.id === 'order-a'), 'banned publishers are not listed');
    // Lists upstream answers as bare arrays page, and say how many there are in all.
    const total = Number(all.headers['x-total-count']);
    assert.equal(total, all.body.length);
    const second = await json(t, 'GET', '/publishers?limit=1&page=2');
    assert.equal(second.body.length, 1);
    assert.equal(second.body[0].id, all.body[1].id);
    assert.equal(Number(second.headers['x-total-count']), total);
    const packs = await json(t, 'GET', '/publishers/crud-pub/nodes?limit=1');
    assert.equal(packs.headers['x-total-count'], '1');
    const jobs = await json(t, 'GET', '/extraction-jobs?limit=1', undefined, t.adminToken);
    assert.equal(jobs.status, 200);
    assert.ok(jobs.body.length <= 1 && Number(jobs.headers['x-total-count']) >= jobs.body.length);
    const page = await json(t, 'GET', '/nodes?node_id=crud-pack&node_id=sem-pack&limit=1&page=2');
    assert.equal(page.status, 200);
    assert.equal(page.body.total, 2);
    assert.equal(page.body.totalPages, 2);
    assert.equal(page.body.nodes.length, 1);
    assert.equal((await json(t, 'GET', '/nodes?limit=abc')).status, 400);
    assert.equal((await json(t, 'DELETE', '/publishers/crud-pub/nodes/crud-pack', undefined, w.userToken)).status, 204);
    assert.equal((await json(t, 'GET', '/nodes/crud-pack')).status, 404);
  });
});
