import { it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { parseCommandLine } from '../src/settings/index.js';
import { startServer } from '../src/server.js';
import { Worker } from '../src/jobs/worker.js';
import { LocalJobSource } from '../src/jobs/local-job-source.js';
import type { Extractor } from '../src/jobs/protocol.js';
import { leaseJob, reclaimOrphanedLeases } from '../src/registry/extraction-queue.js';
import { bareRegistry, owner, published } from './helpers/bare-registry.js';
import { publishBody, zipOf } from './helpers/flow.js';

const jobOf = (db: Awaited<ReturnType<typeof bareRegistry>>['database']['db'], id: string) =>
  db.selectFrom('extraction_jobs').selectAll().where('node_version_id', '=', id).executeTakeFirst();

it('drains in-flight requests on close: a started upload finishes, new connections are refused', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-drain-'));
  const config = parseCommandLine(
    'serve',
    ['--port', '0', '--data-dir', dir, '--admin-token', 'adm', '--log-level', 'silent', '--worker', 'false'],
    {},
  ).config;
  const server = await startServer(config);
  try {
    const call = async (method: string, p: string, body?: unknown, token?: string) => {
      const res = await fetch(server.url + p, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return (await res.json()) as Record<string, string>;
    };
    const { token } = await call('POST', '/admin/users', { name: 'u', email: 'u@example.com' }, 'adm');
    await call('POST', '/publishers', { id: 'drain' }, token);
    const pat = (await call('POST', '/publishers/drain/tokens', { name: 't' }, token)).token;
    const { signedUrl } = await call('POST', '/publishers/drain/nodes/drain-pack/versions', publishBody(pat, 'drain-pack', '1.0.0'));
    const zip = await zipOf({ 'drain-pack/__init__.py': 'x = 1\n' });
    const target = new URL(signedUrl);
    // An upload that has sent half its body when the server is asked to stop.
    const received = new Promise((resolve) => server.app.server.once('request', resolve));
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: new URL(server.url).port,
          path: target.pathname + target.search,
          method: 'PUT',
          headers: { 'content-type': 'application/zip', 'content-length': zip.length },
        },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write(zip.subarray(0, 10));
      void received.then(() => {
        const closing = server.close(10_000);
        // Listening has stopped: a new connection is refused while the upload goes on.
        http
          .get(`${server.url}/nodes`)
          .on('error', (err: NodeJS.ErrnoException) => {
            // Refused, or reset if it reached the backlog as the listening socket closed.
            if (err.code !== 'ECONNREFUSED' && err.code !== 'ECONNRESET') return reject(err);
            req.end(zip.subarray(10));
          })
          .on('response', () => reject(new Error('a new connection was accepted while closing')));
        void closing;
      });
    });
    const res = await answer;
    assert.equal(res.status, 200, res.body);
    await server.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it('gives a job back unfinished when the worker stops, without counting the attempt', async () => {
  const b = await bareRegistry('sqlite');
  try {
    const o = await owner(b.reg, 'stop');
    const v = await published(b.reg, 'stop', o.pat, 'stop-pack', '1.0.0');
    let started: () => void = () => {};
    const extracting = new Promise<void>((resolve) => (started = resolve));
    // An extraction that does not end by itself, as a large pack's would not within the grace.
    const never: Extractor = { extract: () => (started(), new Promise(() => {})), close: async () => {} };
    const worker = new Worker({ source: new LocalJobSource(b.reg, 'stopping', 60), extractor: never, pollMs: 60_000 });
    void worker.start();
    await extracting;
    assert.equal((await jobOf(b.database.db, v.id))?.attempts, 1);
    await worker.stop(0);
    const job = await jobOf(b.database.db, v.id);
    assert.deepEqual([job?.state, job?.attempts, job?.lease_owner], ['queued', 0, null]);
  } finally {
    await b.close();
  }
});

it("reclaims at start the leases an earlier run of the instance left, and no one else's", async () => {
  const b = await bareRegistry('sqlite');
  try {
    const o = await owner(b.reg, 'recl');
    const a = await published(b.reg, 'recl', o.pat, 'recl-a', '1.0.0');
    const c = await published(b.reg, 'recl', o.pat, 'recl-c', '1.0.0');
    const d = await published(b.reg, 'recl', o.pat, 'recl-d', '1.0.0');
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!; // a process that has exited
    await leaseJob(b.reg, `host-1/${gone}/aa`, 300);
    await leaseJob(b.reg, `host-1/${process.pid}/bb`, 300);
    await leaseJob(b.reg, `host-2/${gone}/cc`, 300);
    const owners = new Map(
      (await b.database.db.selectFrom('extraction_jobs').selectAll().execute()).map((j) => [j.lease_owner, j.node_version_id]),
    );
    assert.equal(await reclaimOrphanedLeases(b.reg, 'host-1', (pid) => pid === process.pid), 1);
    assert.equal((await jobOf(b.database.db, owners.get(`host-1/${gone}/aa`)!))?.state, 'queued', 'the dead run of this instance');
    assert.equal((await jobOf(b.database.db, owners.get(`host-1/${process.pid}/bb`)!))?.state, 'running', 'a live process on this host');
    assert.equal((await jobOf(b.database.db, owners.get(`host-2/${gone}/cc`)!))?.state, 'running', 'another instance');
    assert.deepEqual(new Set(owners.values()), new Set([a.id, c.id, d.id]));
  } finally {
    await b.close();
  }
});

const compiled = fs.existsSync(new URL('../dist/main.js', import.meta.url));
it('stops on SIGTERM through `npm start` and exits 0', { skip: compiled ? false : 'dist/ is not built (npm ci builds it)' }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-npmstart-'));
  try {
    const proc = spawn('npm', ['start'], {
      env: { ...process.env, PORT: '0', COMFYREG_DATA_DIR: dir, COMFYREG_ADMIN_TOKEN: 'adm', COMFYREG_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on('data', (d: Buffer) => {
        out += d;
        if (out.includes('comfyreg listening')) resolve();
      });
      proc.on('exit', (code) => reject(new Error(`npm start exited early (${code}): ${out}`)));
    });
    const exited = new Promise<number | string | null>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal)));
    proc.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(out, /comfyreg stopped/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
