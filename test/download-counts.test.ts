import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import pg from 'pg';
import { PG_URL, forEachBackend, postgresOnly, startRegistry, type TestRegistry } from './helpers/registry.js';
import { extracted, publisher } from './helpers/comfy-packs.js';

/*
 * Download counts are gathered and written in batches: an install costs no statement of its own,
 * yet no count is lost on a failed write or a clean stop, and the next read shows every count.
 */
forEachBackend('download counts', (backend) => {
  /** What the database holds, read past the registry. */
  const stored = async (t: TestRegistry, id: string) =>
    Number((await t.reg.db.selectFrom('nodes').select('downloads').where('id', '=', id).executeTakeFirstOrThrow()).downloads);
  const install = async (t: TestRegistry, id: string) => {
    const res = await fetch(`${t.url}/nodes/${id}/install`);
    assert.equal(res.status, 200, await res.text());
  };
  const shown = async (t: TestRegistry, id: string) =>
    ((await (await fetch(`${t.url}/nodes/${id}`)).json()) as { downloads: number }).downloads;

  describe('batched', () => {
    let t: TestRegistry;
    before(async () => {
      // An interval no test waits for: only settle(), a read and a stop write the counts.
      t = await startRegistry(backend, { downloadFlushMs: 600_000 });
      const w = await publisher(t, 'dl');
      await extracted(t, w, 'dl-a', '1.0.0', ['DlNode']);
      await extracted(t, w, 'dl-b', '1.0.0', ['DlOther']);
    });
    after(async () => t?.close());

    it('gathers installs in memory, and a read that shows counts writes them first', async () => {
      for (let i = 0; i < 3; i++) await install(t, 'dl-a');
      await install(t, 'dl-b');
      assert.deepEqual([await stored(t, 'dl-a'), await stored(t, 'dl-b')], [0, 0], 'no statement per install');
      assert.equal(t.reg.downloads.waiting, 2);
      assert.equal(await shown(t, 'dl-a'), 3, 'the very next read shows them');
      assert.deepEqual([await stored(t, 'dl-a'), await stored(t, 'dl-b')], [3, 1], 'all packs in one write');
      assert.equal(t.reg.downloads.waiting, 0);
    });

    it('keeps the counts of a write that failed and writes them with the next', async () => {
      await install(t, 'dl-a');
      /*
       * A write that fails: on PostgreSQL the count overflows its integer column (no DDL, which
       * other tests' migrations in other schemas of the database would race with); SQLite's
       * integers do not overflow, so there the table is briefly renamed in the test's own file.
       */
      const [breakIt, mendIt] =
        backend === 'postgres'
          ? [sql`UPDATE nodes SET downloads = 2147483647 WHERE id = 'dl-a'`, sql`UPDATE nodes SET downloads = 3 WHERE id = 'dl-a'`]
          : [sql`ALTER TABLE nodes RENAME TO nodes_away`, sql`ALTER TABLE nodes_away RENAME TO nodes`];
      await breakIt.execute(t.reg.db);
      try {
        await assert.rejects(t.reg.downloads.flush());
        // Readers during the failing spell go on with what is written, without a write of their own.
        await t.reg.downloads.settle();
        assert.equal(t.reg.downloads.waiting, 1);
      } finally {
        await mendIt.execute(t.reg.db);
      }
      await install(t, 'dl-a');
      await t.reg.downloads.flush();
      assert.equal(await stored(t, 'dl-a'), 5);
    });

    it('the resolver does not wait for counts to be written', async () => {
      await install(t, 'dl-b');
      const res = await fetch(`${t.url}/comfy-nodes/DlOther/node`);
      assert.equal(res.status, 200);
      assert.equal(t.reg.downloads.waiting, 1, 'still gathering');
      await t.reg.downloads.settle();
    });
  });

  it('a clean stop writes the counts gathered so far', async () => {
    const t = await startRegistry(backend, { downloadFlushMs: 600_000 });
    try {
      const w = await publisher(t, 'dlstop');
      await extracted(t, w, 'dlstop-a', '1.0.0', ['DlStopNode']);
      for (let i = 0; i < 2; i++) await install(t, 'dlstop-a');
      assert.equal(await stored(t, 'dlstop-a'), 0);
      await t.app.close();
      assert.equal(await stored(t, 'dlstop-a'), 2);
    } finally {
      await t.close();
    }
  });

  it('with a flush interval of 0, each install is written before it is answered and no answer is kept', async () => {
    const t = await startRegistry(backend, { downloadFlushMs: 0 });
    try {
      const w = await publisher(t, 'dlnow');
      await extracted(t, w, 'dlnow-a', '1.0.0', ['DlNowNode']);
      const hits = t.app.readCache!.hits;
      for (let i = 1; i <= 3; i++) {
        await install(t, 'dlnow-a');
        assert.equal(await stored(t, 'dlnow-a'), i);
      }
      assert.equal(t.app.readCache!.hits, hits, 'installs go to the routes each time');
    } finally {
      await t.close();
    }
  });

  it('with anonymous rate limits, installs are not answered from the cache, so the limit holds for them', async () => {
    const t = await startRegistry(backend, { rateLimits: { perAddress: 4, perToken: 0, windowSeconds: 60 } });
    try {
      const w = await publisher(t, 'dllim');
      await extracted(t, w, 'dllim-a', '1.0.0', ['DlLimNode']);
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await fetch(`${t.url}/nodes/dllim-a/install`)).status);
      // Setting up used some of the address's allowance (the upload is anonymous): the rest went to installs.
      const allowed = statuses.filter((s) => s === 200).length;
      assert.ok(allowed >= 2 && allowed < 4, `installs were answered, up to the limit (${statuses})`);
      assert.deepEqual(statuses, [...Array(allowed).fill(200), ...Array(8 - allowed).fill(429)], 'the limit holds for repeated installs');
      await t.reg.downloads.flush();
      assert.equal(await stored(t, 'dllim-a'), allowed, 'only answered installs counted');
    } finally {
      await t.close();
    }
  });
});

postgresOnly('download counts: a slow write', () => {
  it('holds back the reads that show counts, never the probes', { timeout: 60_000 }, async () => {
    const t = await startRegistry('postgres', { downloadFlushMs: 600_000 });
    const locker = new pg.Client({ connectionString: PG_URL });
    try {
      const w = await publisher(t, 'dlslow');
      await extracted(t, w, 'dlslow-a', '1.0.0', ['DlSlowNode']);
      assert.equal((await fetch(`${t.url}/nodes/dlslow-a/install`)).status, 200);
      const { rows } = await sql<{ s: string }>`SELECT current_schema() AS s`.execute(t.reg.db);
      await locker.connect();
      // Reads go on; the counts' UPDATE waits for the lock.
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${rows[0]!.s}".nodes IN EXCLUSIVE MODE`);
      assert.equal(t.reg.downloads.waiting, 1);
      for (const probe of ['/livez', '/readyz', '/metrics']) assert.equal((await fetch(t.url + probe)).status, 200, probe);
      let shown: number | undefined;
      const read = fetch(`${t.url}/nodes/dlslow-a`)
        .then((r) => r.json() as Promise<{ downloads: number }>)
        .then((b) => (shown = b.downloads));
      assert.equal((await fetch(`${t.url}/livez`)).status, 200);
      assert.equal(shown, undefined, 'the pack read is still waiting for its counts');
      await locker.query('COMMIT');
      await read;
      assert.equal(shown, 1);
    } finally {
      await locker.end().catch(() => undefined);
      await t.close();
    }
  });
});
