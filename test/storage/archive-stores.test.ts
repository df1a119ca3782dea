import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it, after, before } from 'node:test';
import { LocalArchiveStore } from '../../src/storage/local-archive-store.js';
import { archiveStoreContract } from './archive-store-contract.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';

const walk = (dir: string): string[] =>
  fs.existsSync(dir)
    ? fs
        .readdirSync(dir, { withFileTypes: true, recursive: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
        .sort()
    : [];

archiveStoreContract({
  name: 'local folder',
  presigns: false,
  async open() {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-store-'));
    return {
      store: new LocalArchiveStore(path.join(root, 'archives')),
      contents: async () => walk(root),
      close: async () => fs.rmSync(root, { recursive: true, force: true }),
    };
  },
});

// One s3rver for the file; each suite works under its own prefix of one bucket.
let s3: LocalS3 | undefined;
const localS3 = async () => (s3 ??= await startLocalS3());
after(() => s3?.close());

archiveStoreContract({
  name: 'S3 (s3rver)',
  presigns: true,
  async open() {
    const server = await localS3();
    const prefix = `run-${randomBytes(4).toString('hex')}`;
    return {
      store: server.store({ prefix }),
      contents: async () => (await server.keys()).filter((k) => k.startsWith(`${prefix}/`)),
      close: async () => {},
    };
  },
});

describe('S3 archive store specifics', () => {
  let server: LocalS3;
  before(async () => {
    server = await localS3();
  });

  it('keeps every key under its prefix, so registries can share a bucket', async () => {
    const store = server.store({ prefix: '/shared/one/' });
    await store.put('pack/1.0.0-abcd.zip', (await import('node:stream')).Readable.from([Buffer.from('zip')]), 1024);
    assert.ok((await server.keys()).includes('shared/one/pack/1.0.0-abcd.zip'));
    assert.equal(await server.store({ prefix: 'shared/two' }).get('pack/1.0.0-abcd.zip'), null);
  });

  it('fails its readiness check, and reads, when the bucket does not exist (a fault, not a missing archive)', async () => {
    const store = server.store({ bucket: 'no-such-bucket' });
    await assert.rejects(store.check());
    await assert.rejects(store.get('pack/1.0.0-abcd.zip'), /bucket/i);
  });
});
