import { it } from 'node:test';
import assert from 'node:assert/strict';
import { checkReadiness } from '../../src/registry/health.js';
import { queueFigures } from '../../src/registry/queue-figures.js';
import { leaseJob } from '../../src/registry/extraction-queue.js';
import { presignArchive } from '../../src/registry/archives.js';
import type { ArchiveStore } from '../../src/storage/archive-store.js';
import { forEachBackend } from '../helpers/registry.js';
import { bareRegistry, owner, published, rejectsWith } from '../helpers/bare-registry.js';

forEachBackend('registry: readiness, queue figures, presigned downloads', (backend) => {
  it('is ready when the database, its migrations and the store answer; names the store when it does not', async () => {
    const ok = await bareRegistry(backend);
    try {
      assert.deepEqual(await checkReadiness(ok.reg), {
        ready: true,
        checks: { database: 'ok', migrations: 'ok', archiveStore: 'ok' },
        causes: {},
      });
    } finally {
      await ok.close();
    }
    const store: ArchiveStore = {
      put: async () => ({ size: 0, sha256: '' }),
      get: async () => null,
      delete: async () => {},
      check: async () => Promise.reject(new Error('no such bucket')),
    };
    const broken = await bareRegistry(backend, { store });
    try {
      const r = await checkReadiness(broken.reg);
      assert.equal(r.ready, false);
      assert.deepEqual(r.checks, { database: 'ok', migrations: 'ok', archiveStore: 'failed' });
      assert.deepEqual(r.causes, { archiveStore: 'no such bucket' });
    } finally {
      await broken.close();
    }
  });

  it('counts jobs by state and times the oldest waiting one on the registry clock, leases that ran out included', async () => {
    const b = await bareRegistry(backend);
    try {
      assert.deepEqual(await queueFigures(b.reg), { byState: { queued: 0, running: 0, failed: 0 }, pending: 0, oldestPendingSeconds: 0 });
      const { pat } = await owner(b.reg, 'qf');
      await published(b.reg, 'qf', pat, 'qf-one', '1.0.0');
      b.clock.advance(10_000);
      await published(b.reg, 'qf', pat, 'qf-two', '1.0.0');
      b.clock.advance(5_000);
      assert.deepEqual(await queueFigures(b.reg), { byState: { queued: 2, running: 0, failed: 0 }, pending: 2, oldestPendingSeconds: 15 });
      // The older job is leased for 60 s: it waits no more, until its lease runs out.
      assert.ok(await leaseJob(b.reg, 'w1', 60));
      assert.deepEqual(await queueFigures(b.reg), { byState: { queued: 1, running: 1, failed: 0 }, pending: 1, oldestPendingSeconds: 5 });
      b.clock.advance(90_000);
      const later = await queueFigures(b.reg);
      assert.equal(later.pending, 2, 'a running job whose lease ran out is waiting again');
      assert.equal(later.oldestPendingSeconds, 95, 'the queued one has waited longest');
    } finally {
      await b.close();
    }
  });

  it('signs only archives of known versions, and only with a store that signs', async () => {
    const signed: string[] = [];
    const store: ArchiveStore & { fail?: boolean } = {
      put: async (_k, body) => {
        for await (const _ of body);
        return { size: 0, sha256: '' };
      },
      get: async () => null,
      delete: async () => {},
      check: async () => {},
      async presignedGetUrl(key, ttl) {
        if (store.fail) throw new Error('signer down');
        signed.push(key);
        return `https://bucket.example/${key}?ttl=${ttl}`;
      },
    };
    const b = await bareRegistry(backend, { store });
    try {
      const { pat } = await owner(b.reg, 'ps');
      const row = await published(b.reg, 'ps', pat, 'ps-pack', '1.0.0');
      assert.equal(await presignArchive(b.reg, row.archive_key!, 300), `https://bucket.example/${row.archive_key}?ttl=300`);
      await rejectsWith(presignArchive(b.reg, 'ps-pack/9.9.9-0000.zip', 300), 'ARCHIVE_NOT_FOUND');
      await rejectsWith(presignArchive(b.reg, '../escape.zip', 300), 'ARCHIVE_NOT_FOUND');
      store.fail = true;
      await rejectsWith(presignArchive(b.reg, row.archive_key!, 300), 'ARCHIVE_STORE_UNAVAILABLE');
      assert.deepEqual(signed, [row.archive_key]);
    } finally {
      await b.close();
    }
    const local = await bareRegistry(backend);
    try {
      assert.equal(await presignArchive(local.reg, 'any/1.0.0-0000.zip', 300), null, 'a local folder streams');
    } finally {
      await local.close();
    }
  });
});
