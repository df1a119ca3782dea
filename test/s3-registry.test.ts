import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCommandLine } from '../src/settings/index.js';
import { openArchiveStore } from '../src/setup.js';
import { startServer } from '../src/server.js';
import { forEachBackend, startRegistry, whenChanged, type TestRegistry } from './helpers/registry.js';
import { publishBody, world, zipOf } from './helpers/flow.js';
import { startLocalS3, type LocalS3 } from './helpers/s3.js';

/*
 * A registry whose archives live in a bucket (s3rver here), built from the settings by the same
 * setup the server uses: publish, upload, install and download give back the uploaded bytes, in
 * both download modes, with nothing in the data folder.
 */

let s3: LocalS3;
before(async () => {
  s3 = await startLocalS3();
});
after(() => s3.close());

async function publishAndUpload(
  base: string,
  call: (m: string, p: string, body?: unknown, token?: string) => Promise<any>,
  pat: string,
  nodeId: string,
) {
  const { signedUrl } = await call('POST', `/publishers/acme/nodes/${nodeId}/versions`, publishBody(pat, nodeId, '1.0.0'));
  const bytes = await zipOf({
    [`${nodeId}/__init__.py`]: 'class A:\n    RETURN_TYPES = ("INT",)\n    FUNCTION = "f"\nNODE_CLASS_MAPPINGS = {"S3Node": A}\n',
    [`${nodeId}/weights.bin`]: Buffer.alloc(200_000, 9),
  });
  const put = await fetch(signedUrl, { method: 'PUT', headers: { 'content-type': 'application/zip' }, body: new Uint8Array(bytes) });
  assert.equal(put.status, 200, await put.clone().text());
  const install = await call('GET', `/nodes/${nodeId}/install`);
  assert.ok(install.downloadUrl.startsWith(`${base}/archives/${nodeId}/`), install.downloadUrl);
  return { bytes, downloadUrl: install.downloadUrl as string };
}

const caller = (base: string) => async (method: string, p: string, body?: unknown, token?: string) => {
  const res = await fetch(base + p, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  assert.ok(res.status < 300, `${method} ${p}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
};

forEachBackend('a registry on S3 storage', (backend) => {
  for (const downloads of ['stream', 'redirect'] as const) {
    describe(`downloads: ${downloads}`, () => {
      let t: TestRegistry;
      let closeStore: () => void;
      before(async () => {
        const opened = await openArchiveStore(s3.config({ COMFYREG_S3_PREFIX: `${backend}-${downloads}`, COMFYREG_DOWNLOADS: downloads }));
        closeStore = opened.close;
        t = await startRegistry(backend, { store: opened.store, downloads });
      });
      after(async () => {
        await t.close();
        closeStore();
      });

      it('publishes, uploads, installs and downloads byte for byte, keeping the archive in the bucket only', async () => {
        const w = await world(t);
        const nodeId = `s3-${downloads}`;
        const { bytes, downloadUrl } = await publishAndUpload(t.url, caller(t.url), w.pat, nodeId);
        const key = downloadUrl.slice(`${t.url}/archives/`.length);
        assert.ok((await s3.keys()).includes(`${backend}-${downloads}/${key}`), 'the object is in the bucket under the prefix');
        assert.ok(!fs.existsSync(path.join(t.dataDir, 'archives')), 'nothing in the data folder');

        const first = await fetch(downloadUrl, { redirect: 'manual' });
        if (downloads === 'redirect') {
          assert.equal(first.status, 302);
          assert.equal(first.headers.get('cache-control'), 'no-store');
          const location = first.headers.get('location')!;
          assert.ok(location.startsWith(`${s3.endpoint}/${s3.bucket}/${backend}-${downloads}/${key}?`), location);
          assert.match(location, /X-Amz-Signature=/);
          const fetched = await fetch(location);
          assert.equal(fetched.status, 200);
          assert.ok(Buffer.from(await fetched.arrayBuffer()).equals(bytes));
        } else {
          assert.equal(first.status, 200);
          assert.equal(first.headers.get('content-type'), 'application/zip');
          assert.ok(Buffer.from(await first.arrayBuffer()).equals(bytes));
        }
        // What a client does: follow the download URL wherever it leads.
        assert.ok(Buffer.from(await (await fetch(downloadUrl)).arrayBuffer()).equals(bytes));
      });

      it('answers 404 for an archive it does not know, in either mode', async () => {
        const res = await fetch(`${t.url}/archives/nobody/1.0.0-0000.zip`, { redirect: 'manual' });
        assert.equal(res.status, 404);
        assert.equal((await res.json()).error, 'ARCHIVE_NOT_FOUND');
      });
    });
  }
});

describe('comfyreg serve with COMFYREG_ARCHIVE_STORE=s3', () => {
  it('indexes uploads through the bucket and redirects downloads, with no archive on local disk', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-s3-serve-'));
    const env = s3.env({ COMFYREG_S3_PREFIX: 'serve', COMFYREG_DOWNLOADS: 'redirect' });
    const config = parseCommandLine('serve', ['--data-dir', dir, '--port', '0', '--admin-token', 'adm'], env).config;
    const server = await startServer({ ...config, logLevel: 'silent' });
    try {
      const base = server.url;
      const call = caller(base);
      const { token } = await call('POST', '/admin/users', { name: 'u', email: 'u@example.com' }, 'adm');
      await call('POST', '/publishers', { id: 'acme' }, token);
      const { token: pat } = await call('POST', '/publishers/acme/tokens', { name: 't' }, token);
      const { bytes, downloadUrl } = await publishAndUpload(server.reg.publicUrl, async (m, p, b, tk) => call(m, p, b, tk), pat, 'served');
      // The in-process worker reads the archive back from the bucket.
      const listed = await whenChanged(server.reg, 'extraction from the bucket', async () => {
        const body = await call('GET', '/nodes/served/versions/1.0.0/comfy-nodes');
        return body.comfy_nodes.length > 0 && body;
      });
      assert.deepEqual(
        listed.comfy_nodes.map((n: { comfy_node_name: string }) => n.comfy_node_name),
        ['S3Node'],
      );
      const local = downloadUrl.replace(server.reg.publicUrl, base);
      const res = await fetch(local, { redirect: 'manual' });
      assert.equal(res.status, 302);
      assert.ok(Buffer.from(await (await fetch(res.headers.get('location')!)).arrayBuffer()).equals(bytes));
      assert.ok(!fs.existsSync(path.join(dir, 'archives')), 'no archive folder: instances need no shared volume');
      assert.equal((await (await fetch(`${base}/readyz`)).json()).checks.archiveStore, 'ok');
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses contradictory storage settings with one line', () => {
    assert.throws(() => parseCommandLine('serve', [], { COMFYREG_ARCHIVE_STORE: 's3' }), /COMFYREG_S3_BUCKET is required/);
    assert.throws(() => parseCommandLine('serve', [], { COMFYREG_DOWNLOADS: 'redirect' }), /needs COMFYREG_ARCHIVE_STORE=s3/);
    assert.throws(() => parseCommandLine('serve', [], s3.env({ COMFYREG_S3_SECRET_ACCESS_KEY: '' })), /go together/);
    assert.throws(() => parseCommandLine('serve', [], { COMFYREG_ARCHIVE_STORE: 'ftp' }), /must be one of local, s3/);
    assert.throws(() => parseCommandLine('serve', [], s3.env({ COMFYREG_S3_PREFIX: '../up' })), /COMFYREG_S3_PREFIX/);
    assert.equal(parseCommandLine('serve', [], s3.env({ COMFYREG_S3_PREFIX: '/a/b/' })).config.s3Prefix, 'a/b');
  });
});
