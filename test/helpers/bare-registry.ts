import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import assert from 'node:assert/strict';
import { RegistryError, type ErrorCode } from '../../src/contract/index.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { createRegistry, type Registry } from '../../src/registry/registry.js';
import type { Principal } from '../../src/registry/principals.js';
import { createUser } from '../../src/registry/users.js';
import { createAccessToken, createPublisher } from '../../src/registry/publishers.js';
import { publishVersion, storeUpload } from '../../src/registry/publish.js';
import { LocalArchiveStore } from '../../src/storage/local-archive-store.js';
import type { ArchiveStore } from '../../src/storage/archive-store.js';
import { PG_URL, type Backend } from './registry.js';
import { ManualClock } from './clock.js';
import { zipOf } from './flow.js';

/** A registry context with no HTTP in front: for the registry's own tests. */
export interface Bare {
  reg: Registry;
  database: DatabaseHandle;
  clock: ManualClock;
  close(): Promise<void>;
}

export async function bareRegistry(backend: Backend, opts: { store?: ArchiveStore; review?: boolean } = {}): Promise<Bare> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-bare-'));
  const database = await openDatabase(
    backend === 'postgres' ? { url: PG_URL, dataDir, schema: `b_${randomBytes(6).toString('hex')}`, dropSchemaOnClose: true } : { dataDir },
  );
  const clock = new ManualClock();
  const reg = await createRegistry({
    database,
    store: opts.store ?? new LocalArchiveStore(path.join(dataDir, 'archives')),
    publicUrl: 'http://registry.test',
    review: opts.review,
    adminToken: 'admin-token',
    serviceTokens: ['service-token'],
    clock,
  });
  return {
    reg,
    database,
    clock,
    async close() {
      await database.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const ADMIN: Principal = { kind: 'admin' };

/** Asserts that `promise` fails with catalogue code `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof RegistryError, `expected ${code}, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

/** A user who owns publisher `pub`, with an access token. */
export async function owner(reg: Registry, pub: string) {
  const { user, token } = await createUser(reg, { name: `${pub} owner`, email: `${pub}@example.com` });
  const p: Principal = { kind: 'user', user };
  await createPublisher(reg, p, { id: pub });
  const pat = (await createAccessToken(reg, p, pub, { name: 'ci' })).token;
  return { user, userToken: token, principal: p, pat };
}

/** Publishes `nodeId@version` for `pub` and uploads a zip of `files` to it. */
export async function published(
  reg: Registry,
  pub: string,
  pat: string,
  nodeId: string,
  version: string,
  files: Record<string, string> = { '__init__.py': '' },
) {
  const { version: row, signedUrl } = await publishVersion(reg, pub, nodeId, { personal_access_token: pat, node_version: { version } });
  const q = new URL(signedUrl).searchParams;
  return storeUpload(
    reg,
    row.id,
    { expires: q.get('expires')!, signature: q.get('signature')! },
    Readable.from(await zipOf(files)),
    1 << 20,
  );
}
