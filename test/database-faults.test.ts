import { it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { sql } from 'kysely';
import { main } from '../src/cli.js';
import { isDatabaseUnavailable } from '../src/db/faults.js';
import { postgresOnly, startRegistry } from './helpers/registry.js';
import { extracted, publisher } from './helpers/comfy-packs.js';

it('classifies connection faults as unavailability, and nothing a request causes', () => {
  for (const err of [
    { code: '57P01', message: 'terminating connection due to administrator command' },
    { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' },
    { code: '08006', message: 'connection failure' },
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    { code: 'SQLITE_BUSY', message: 'database is locked' },
  ]) {
    assert.equal(isDatabaseUnavailable(err), true, JSON.stringify(err));
  }
  for (const err of [
    { code: '23505', message: 'duplicate key' },
    { code: '22P02', message: 'invalid input syntax' },
    new Error('boom'),
    null,
    'x',
  ]) {
    assert.equal(isDatabaseUnavailable(err), false, JSON.stringify(err));
  }
});

it('waits a bounded time for a database that does not answer at start, then exits 1 with one clear line', async () => {
  // A port that refuses connections: listen, note it, close.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-dbwait-'));
  const err = new PassThrough();
  let stderr = '';
  err.on('data', (c: Buffer) => (stderr += c));
  const free = net.createServer();
  await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
  const servePort = (free.address() as net.AddressInfo).port;
  await new Promise((r) => free.close(r));
  try {
    const running = main(
      [
        'serve',
        '--port',
        String(servePort),
        '--data-dir',
        dir,
        '--log-level',
        'silent',
        '--database-url',
        `postgres://nobody@127.0.0.1:${port}/none`,
        '--database-wait',
        '2',
      ],
      { out: new PassThrough(), err },
    );
    // While it waits for the database the port answers: alive, not ready.
    const ask = async (p: string): Promise<Response> => {
      for (;;) {
        try {
          return await fetch(`http://127.0.0.1:${servePort}${p}`);
        } catch {
          // not bound yet
        }
      }
    };
    assert.equal((await ask('/livez')).status, 200);
    const waiting = await ask('/nodes');
    assert.equal(waiting.status, 503);
    assert.equal((await waiting.json()).error, 'NOT_READY');
    const code = await running;
    assert.equal(code, 1);
    const lines = stderr.trim().split('\n');
    assert.match(lines[0], /^comfyreg: waiting for the database at 127\.0\.0\.1:\d+\/none \(.*ECONNREFUSED/);
    assert.match(lines.at(-1)!, /^comfyreg: the database at 127\.0\.0\.1:\d+\/none did not answer within 2 s \(.*ECONNREFUSED/);
    assert.ok(!/\n\s+at /.test(stderr), 'no stack trace');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

postgresOnly('database faults on PostgreSQL', () => {
  it('keeps serving when every connection of the instance is terminated under load', async () => {
    const t = await startRegistry('postgres', { readCache: 0 });
    try {
      const w = await publisher(t, 'faults');
      await extracted(t, w, 'faults-pack', '1.0.0', ['FaultNode']);
      const app = (t.database.describe.match(/schema (\w+)/) ?? [])[1];
      const statuses = new Map<number, number>();
      let retryAfter = true;
      let stop = false;
      let answered = 0;
      let waiting: { count: number; resolve: () => void } | null = null;
      // Paced by answers, not by timers: the next fault comes after so many more requests.
      const afterAnswers = (n: number) => new Promise<void>((resolve) => (waiting = { count: answered + n, resolve }));
      const loop = async () => {
        while (!stop) {
          const res = await fetch(`${t.url}/comfy-nodes/FaultNode/node`);
          const body = await res.json();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          answered++;
          if (waiting && answered >= waiting.count) waiting.resolve();
          if (res.status === 503) {
            assert.equal(body.error, 'DATABASE_UNAVAILABLE');
            retryAfter &&= res.headers.get('retry-after') === '2';
          }
        }
      };
      const loops = Array.from({ length: 8 }, loop);
      // A separate connection does the terminating, so that the instance's own pool loses all of its.
      const killer = await startRegistry('postgres');
      try {
        for (let round = 0; round < 3; round++) {
          await afterAnswers(30);
          const { rows } = await sql<{
            n: number;
          }>`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name LIKE ${`comfyreg-${app}%`}`.execute(
            killer.database.db,
          );
          assert.ok(rows[0].n > 0, 'connections were terminated');
        }
      } finally {
        await killer.close();
      }
      await afterAnswers(30);
      stop = true;
      await Promise.all(loops);
      assert.deepEqual(
        [...statuses.keys()].filter((s) => s !== 200 && s !== 503),
        [],
        `only 200 and 503: ${JSON.stringify([...statuses])}`,
      );
      assert.ok(retryAfter, '503s carry Retry-After');
      const after = await fetch(`${t.url}/comfy-nodes/FaultNode/node`);
      assert.equal(after.status, 200, 'the next request succeeds once PostgreSQL answers');
    } finally {
      await t.close();
    }
  });
});

postgresOnly('prepared statements on PostgreSQL', () => {
  it('prepares the resolver once per connection, and prepares it again after a migration changes its tables', async () => {
    const t = await startRegistry('postgres');
    try {
      const w = await publisher(t, 'prep-pub');
      await extracted(t, w, 'prep-pack', '1.0.0', ['PreparedNode']);
      const resolve = () =>
        t.app.inject({ method: 'GET', url: '/comfy-nodes/PreparedNode/node', headers: { authorization: `Bearer ${t.adminToken}` } });
      for (let i = 0; i < 3; i++) assert.equal((await resolve()).statusCode, 200);
      // Sequential queries reuse the pool's last idle connection: the one the resolver just used.
      const named = await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'comfyreg_prepared_%'`.execute(t.reg.db);
      assert.ok(named.rows[0]!.n >= 1, 'the resolver runs as a named statement');

      // Another instance's migration adds a column to a table the statement reads (`nodes.*`):
      // PostgreSQL refuses the old plan once ("cached plan must not change result type").
      await sql`ALTER TABLE nodes ADD COLUMN prep_extra text`.execute(t.reg.db);
      for (let i = 0; i < 3; i++) {
        const res = await resolve();
        assert.equal(res.statusCode, 200, res.body);
        assert.equal(res.json().id, 'prep-pack');
      }
    } finally {
      await t.close();
    }
  });
});
