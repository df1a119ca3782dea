import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { addUplinkSeries, type UplinkState } from '../src/http/metrics.js';
import { LocalArchiveStore } from '../src/storage/local-archive-store.js';
import { forEachBackend, startRegistry, type TestRegistry } from './helpers/registry.js';
import { publish, upload, world, zipOf } from './helpers/flow.js';
import { ManualClock } from './helpers/clock.js';

/** One sample of the exposition text: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text format 0.0.4 strictly enough that a malformed line fails the test. */
function parseMetrics(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      assert.ok(!types.has(type[1]!), `${type[1]} declared twice`);
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g)) labels[l[1]!] = l[2]!;
    // Prometheus reads NaN in any case (prom-client writes `Nan`).
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    assert.ok(!Number.isNaN(value) || /^nan$/i.test(m[3]!), line);
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(m[1]!) || types.has(family), `${m[1]} has no TYPE line`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, types };
}

const find = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

forEachBackend('metrics and health', (backend) => {
  let t: TestRegistry;
  const clock = new ManualClock();
  const scrape = async (target = t, headers: Record<string, string> = {}) => {
    const res = await fetch(`${target.url}/metrics`, { headers });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    return parseMetrics(await res.text()).samples;
  };
  before(async () => {
    t = await startRegistry(backend, { clock });
  });
  after(() => t.close());

  it('answers /livez while the process answers, never from a cache', async () => {
    const res = await fetch(`${t.url}/livez`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
    assert.match(res.headers.get('cache-control')!, /no-store/);
  });

  it('answers /readyz 200 with each check when the database, its migrations and the store answer', async () => {
    const res = await fetch(`${t.url}/readyz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok', checks: { database: 'ok', migrations: 'ok', archiveStore: 'ok' } });
  });

  it('serves parseable metrics: process figures, and requests counted by route pattern and status', async () => {
    const before = await scrape();
    assert.ok((find(before, 'process_resident_memory_bytes') ?? 0) > 0);
    assert.ok(find(before, 'nodejs_heap_size_used_bytes') !== undefined);
    const key = { method: 'GET', route: '/nodes/:nodeId', status: '404' };
    const was = find(before, 'comfyreg_http_requests_total', key) ?? 0;
    assert.equal((await fetch(`${t.url}/nodes/no-such-pack-xyz`)).status, 404);
    assert.equal((await fetch(`${t.url}/no/such/route-xyz`)).status, 404);
    const after = await scrape();
    assert.equal(find(after, 'comfyreg_http_requests_total', key), was + 1);
    assert.equal(find(after, 'comfyreg_http_request_duration_seconds_count', key), was + 1);
    assert.ok((find(after, 'comfyreg_http_requests_total', { route: 'unmatched', status: '404' }) ?? 0) >= 1);
    assert.ok(!after.some((s) => JSON.stringify(s.labels).includes('xyz')), 'no raw URL in a label');
    assert.ok((find(after, 'comfyreg_http_requests_total', { route: '/metrics', status: '200' }) ?? 0) >= 1);
    if (backend === 'postgres') {
      assert.equal(find(after, 'comfyreg_db_pool_max_connections'), 10);
      assert.ok((find(after, 'comfyreg_db_pool_connections') ?? 0) >= 1);
      assert.equal(typeof find(after, 'comfyreg_db_pool_waiting_queries'), 'number');
    } else {
      assert.equal(find(after, 'comfyreg_db_pool_connections'), undefined, 'SQLite has no pool');
    }
  });

  it('counts answer-cache hits and misses, and never caches or counts /metrics and the probes there', async () => {
    const cache = t.app.readCache!;
    const first = await scrape();
    await fetch(`${t.url}/livez`);
    await fetch(`${t.url}/readyz`);
    const second = await scrape();
    assert.equal(find(second, 'comfyreg_read_cache_misses_total'), find(first, 'comfyreg_read_cache_misses_total'));
    assert.equal(
      find(second, 'comfyreg_http_requests_total', { route: '/metrics' }),
      find(first, 'comfyreg_http_requests_total', { route: '/metrics' })! + 1,
      'a fresh answer each time',
    );
    await fetch(`${t.url}/nodes?page=1&limit=3`);
    await fetch(`${t.url}/nodes?page=1&limit=3`);
    const third = await scrape();
    assert.equal(find(third, 'comfyreg_read_cache_misses_total'), cache.misses);
    assert.equal(find(third, 'comfyreg_read_cache_misses_total'), find(second, 'comfyreg_read_cache_misses_total')! + 1);
    assert.equal(find(third, 'comfyreg_read_cache_hits_total'), find(second, 'comfyreg_read_cache_hits_total')! + 1);
  });

  it('reports extraction jobs by state, the queue depth and the age of the oldest waiting job on the registry clock', async () => {
    const w = await world(t);
    const { signedUrl } = await publish(t, w, 'metrics-pack', '1.0.0');
    assert.equal((await upload(t, signedUrl, await zipOf({ '__init__.py': '' }))).status, 200);
    clock.advance(90_000);
    const samples = await scrape();
    assert.equal(find(samples, 'comfyreg_extraction_jobs', { state: 'queued' }), 1);
    assert.equal(find(samples, 'comfyreg_extraction_jobs', { state: 'running' }), 0);
    assert.equal(find(samples, 'comfyreg_extraction_jobs', { state: 'failed' }), 0);
    assert.equal(find(samples, 'comfyreg_extraction_queue_depth'), 1);
    assert.equal(find(samples, 'comfyreg_extraction_queue_oldest_age_seconds'), 90);
  });

  it('takes series from other modules at scrape time (a mirror uplink)', async () => {
    const state: UplinkState = { breakerOpen: false, consecutiveFailures: 0, lastSuccessAt: null, reads: {} };
    addUplinkSeries(t.app.metrics, () => state);
    let samples = await scrape();
    assert.equal(find(samples, 'comfyreg_uplink_breaker_open'), 0);
    assert.equal(find(samples, 'comfyreg_uplink_last_success_timestamp_seconds'), undefined, 'absent before the first success');
    Object.assign(state, { breakerOpen: true, consecutiveFailures: 4, lastSuccessAt: '2026-01-02T03:04:05.000Z' });
    samples = await scrape();
    assert.equal(find(samples, 'comfyreg_uplink_breaker_open'), 1);
    assert.equal(find(samples, 'comfyreg_uplink_consecutive_failures'), 4);
    assert.equal(find(samples, 'comfyreg_uplink_last_success_timestamp_seconds'), Date.parse('2026-01-02T03:04:05.000Z') / 1000);
  });

  describe('when something it needs fails', () => {
    it('answers /readyz 503 NOT_READY naming the archive store when the store fails, the cause in the log only', async () => {
      const lines: string[] = [];
      const local = new LocalArchiveStore('/nonexistent');
      const broken = await startRegistry(backend, {
        store: {
          put: local.put.bind(local),
          get: local.get.bind(local),
          delete: local.delete.bind(local),
          check: () => Promise.reject(new Error('bucket on fire')),
        },
        log: (l) => lines.push(l),
      });
      try {
        const res = await fetch(`${broken.url}/readyz`);
        assert.equal(res.status, 503);
        const body = await res.json();
        assert.deepEqual(body, {
          error: 'NOT_READY',
          message: 'not ready: archiveStore',
          checks: { database: 'ok', migrations: 'ok', archiveStore: 'failed' },
        });
        assert.ok(
          lines.some((l) => l.includes('bucket on fire')),
          'the cause is logged',
        );
        assert.equal((await fetch(`${broken.url}/livez`)).status, 200, 'alive all the same');
      } finally {
        await broken.close();
      }
    });

    it('answers /readyz 503 when a migration this build knows has not run', async () => {
      const other = await startRegistry(backend);
      try {
        await sql`DELETE FROM kysely_migration WHERE name = (SELECT max(name) FROM kysely_migration)`.execute(other.database.db);
        const res = await fetch(`${other.url}/readyz`);
        assert.equal(res.status, 503);
        assert.deepEqual((await res.json()).checks, { database: 'ok', migrations: 'failed', archiveStore: 'ok' });
      } finally {
        await other.close();
      }
    });

    it('answers /readyz 503 once the database is closed, and /metrics still answers without the series it cannot read', async () => {
      const other = await startRegistry(backend);
      try {
        await other.database.close();
        other.database.close = async () => {};
        const res = await fetch(`${other.url}/readyz`);
        assert.equal(res.status, 503);
        assert.deepEqual((await res.json()).checks, { database: 'failed', migrations: 'failed', archiveStore: 'ok' });
        const samples = await scrape(other);
        assert.equal(find(samples, 'comfyreg_extraction_queue_depth'), undefined, 'no false zero');
        assert.equal(find(samples, 'comfyreg_metrics_read_errors_total', { metric: 'comfyreg_extraction_queue_depth' }), 1);
        assert.equal((await fetch(`${other.url}/livez`)).status, 200);
      } finally {
        await other.close();
      }
    });
  });

  describe('with COMFYREG_METRICS_TOKEN', () => {
    let guarded: TestRegistry;
    before(async () => {
      guarded = await startRegistry(backend, { metricsToken: 'metrics-secret' });
    });
    after(() => guarded.close());

    it('answers /metrics 401 without the token or with another, 200 with it; the probes stay open', async () => {
      const attempts: Record<string, string>[] = [
        {},
        { authorization: 'Bearer wrong' },
        { authorization: `Bearer ${guarded.adminToken}` },
        { authorization: 'metrics-secret' },
      ];
      for (const headers of attempts) {
        const res = await fetch(`${guarded.url}/metrics`, { headers });
        assert.equal(res.status, 401, JSON.stringify(headers));
        assert.equal((await res.json()).error, 'UNAUTHORIZED');
      }
      const samples = await scrape(guarded, { authorization: 'Bearer metrics-secret' });
      assert.ok(find(samples, 'comfyreg_http_requests_total', { route: '/metrics', status: '401' })! >= 4);
      assert.equal((await fetch(`${guarded.url}/livez`)).status, 200);
      assert.equal((await fetch(`${guarded.url}/readyz`)).status, 200);
    });

    it('never rate-limits the probes and /metrics', async () => {
      const limited = await startRegistry(backend, { rateLimits: { perAddress: 2, perToken: 2, windowSeconds: 60 }, readCache: 0 });
      try {
        for (let i = 0; i < 4; i++)
          for (const p of ['/livez', '/readyz', '/metrics']) assert.equal((await fetch(`${limited.url}${p}`)).status, 200, `${p} #${i}`);
        const statuses = [];
        for (let i = 0; i < 3; i++) statuses.push((await fetch(`${limited.url}/nodes`)).status);
        assert.ok(statuses.includes(429), 'other routes are limited');
      } finally {
        await limited.close();
      }
    });
  });
});

describe('a server still starting', () => {
  it('answers /livez 200 and everything else 503 NOT_READY until the app is ready, instead of failing', async () => {
    const { bareRegistry } = await import('./helpers/bare-registry.js');
    const { bindServer, buildApp } = await import('../src/http/app.js');
    const bare = await bareRegistry('sqlite');
    const { server, port } = await bindServer(0, '127.0.0.1');
    try {
      const app = await buildApp(bare.reg, { server, maxBody: 1 << 20, maxArchive: 1 << 20 });
      const live = await fetch(`http://127.0.0.1:${port}/livez`);
      assert.equal(live.status, 200);
      const other = await fetch(`http://127.0.0.1:${port}/nodes`);
      assert.equal(other.status, 503);
      assert.equal(other.headers.get('retry-after'), '1');
      assert.equal((await other.json()).error, 'NOT_READY');
      await app.ready();
      assert.equal((await fetch(`http://127.0.0.1:${port}/nodes`)).status, 200);
      await app.close();
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await bare.close();
    }
  });
});
