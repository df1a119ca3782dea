import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { zipOf } from '../helpers/flow.js';
import { packSource } from './helpers.js';

/*
 * Issue 10 point 8 with real processes: two `comfyreg serve` on loopback, each on its own SQLite
 * data folder. `upstream` plays api.comfy.org and is seeded through the publish flow over HTTP;
 * `mirror` has it as `--uplink`. The upstream is SIGKILLed and restarted on the same port and folder.
 */

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const ADMIN = `cra_procs_${randomBytes(8).toString('hex')}`;
const POLL_MS = 100;
/** Bounded polls: a loaded 2-core machine starts a tsx process in seconds, not minutes. */
const POLL_LIMIT = 600;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

interface Served {
  proc: ChildProcess;
  base: string;
  stderr: string[];
}

/** `comfyreg serve` as its own OS process, resolved once `/readyz` answers 200. */
async function serve(dir: string, port: number, extra: string[]): Promise<Served> {
  const base = `http://127.0.0.1:${port}`;
  const args = ['--import', 'tsx', 'src/main.ts', 'serve', '--port', String(port), '--data-dir', dir, '--public-url', base];
  const proc = spawn(process.execPath, [...args, '--log-level', 'warn', ...extra], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, COMFYREG_ADMIN_TOKEN: ADMIN },
  });
  const stderr: string[] = [];
  proc.stderr!.on('data', (c: Buffer) => stderr.push(c.toString()));
  const served = { proc, base, stderr };
  const ready = await until(
    async () =>
      proc.exitCode === null &&
      (await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      )),
  );
  assert.ok(ready, `serve on ${port} did not get ready: ${stderr.join('')}`);
  return served;
}

/** Polls `check` until it holds; false when it never did within the bound. */
async function until(check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < POLL_LIMIT; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return false;
}

async function call(base: string, method: string, p: string, body?: unknown, token?: string) {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

async function download(url: string): Promise<{ status: number; bytes: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** Publishes `procs-pack@version` through the flow, uploads its archive, and returns the archive. */
async function publishVersion(base: string, pat: string, version: string, classes: string[]): Promise<Buffer> {
  const pub = await call(base, 'POST', '/publishers/procs-org/nodes/procs-pack/versions', {
    personal_access_token: pat,
    node: { id: 'procs-pack', name: 'Procs pack', description: 'published to a comfyreg process' },
    node_version: { version, dependencies: [] },
  });
  assert.equal(pub.status, 201, JSON.stringify(pub.body));
  const archive = await zipOf({ '__init__.py': packSource(classes), 'README.md': `procs-pack ${version}` });
  const put = await fetch(pub.body.signedUrl, {
    method: 'PUT',
    headers: { 'content-type': 'application/zip' },
    body: new Uint8Array(archive),
  });
  assert.equal(put.status, 200, await put.text());
  return archive;
}

describe('mirror of a comfyreg process, killed and restarted', () => {
  const dirs: string[] = [];
  const procs: ChildProcess[] = [];
  let upPort = 0;
  let upDir = '';
  let up: Served;
  let mirror: Served;
  let pat = '';
  let archive: Buffer;

  const track = (s: Served) => (procs.push(s.proc), s);

  before(async () => {
    upDir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-procs-up-'));
    const mirrorDir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-procs-mirror-'));
    dirs.push(upDir, mirrorDir);
    upPort = await freePort();
    up = track(await serve(upDir, upPort, []));
    const user = await call(up.base, 'POST', '/admin/users', { name: 'procs', email: 'procs@example.com' }, ADMIN);
    assert.equal(user.status, 201, JSON.stringify(user.body));
    assert.equal((await call(up.base, 'POST', '/publishers', { id: 'procs-org', name: 'Procs' }, user.body.token)).status, 201);
    const token = await call(up.base, 'POST', '/publishers/procs-org/tokens', { name: 'ci' }, user.body.token);
    assert.equal(token.status, 201, JSON.stringify(token.body));
    pat = token.body.token;
    archive = await publishVersion(up.base, pat, '1.0.0', ['ProcsBlur']);
    const extracted = await until(
      async () => (await call(up.base, 'GET', '/nodes/procs-pack/versions/1.0.0')).body?.comfy_node_extract_status === 'success',
    );
    assert.ok(extracted, 'the upstream process extracts the pack it was sent');

    // Short ages so that staleness and the breaker's reopening come within the test's polls.
    const uplink = ['--uplink', up.base, '--uplink-max-age', '1', '--uplink-timeout', '2'];
    const breaker = ['--uplink-max-fails', '1', '--uplink-fail-timeout', '1'];
    mirror = track(await serve(mirrorDir, await freePort(), [...uplink, ...breaker, '--worker', 'false']));
  });

  after(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : null)));
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('reads, installs byte-identically and resolves through the mirror', async () => {
    const node = await call(mirror.base, 'GET', '/nodes/procs-pack');
    assert.equal(node.status, 200, JSON.stringify(node.body));
    assert.equal(node.headers.get('x-comfyreg-uplink'), 'revalidated');
    assert.equal(node.body.publisher.id, 'procs-org');
    const install = await call(mirror.base, 'GET', '/nodes/procs-pack/install');
    assert.equal(install.body.downloadUrl, `${mirror.base}/mirror/archives/procs-pack/1.0.0`);
    const got = await download(install.body.downloadUrl);
    assert.equal(got.status, 200);
    assert.ok(got.bytes.equals(archive), 'the archive through the mirror is the one published upstream');
    const resolved = await call(mirror.base, 'GET', '/comfy-nodes/ProcsBlur/node');
    assert.equal(resolved.status, 200, JSON.stringify(resolved.body));
    assert.equal(resolved.body.id, 'procs-pack');
  });

  it('serves kept reads marked stale and the stored archive while the upstream process is killed', async () => {
    up.proc.kill('SIGKILL');
    await new Promise((r) => up.proc.once('exit', r));
    let last: Awaited<ReturnType<typeof call>> | undefined;
    const stale = await until(async () => {
      last = await call(mirror.base, 'GET', '/nodes/procs-pack');
      return last.headers.get('x-comfyreg-uplink') === 'stale';
    });
    assert.ok(stale, `kept answer never marked stale: ${last?.status} ${last?.headers.get('x-comfyreg-uplink')}`);
    assert.equal(last!.status, 200);
    assert.equal(last!.body.latest_version.version, '1.0.0');
    const got = await download(`${mirror.base}/mirror/archives/procs-pack/1.0.0`);
    assert.equal(got.status, 200);
    assert.ok(got.bytes.equals(archive), 'the stored archive, without the upstream');
    const metrics = await (await fetch(`${mirror.base}/metrics`)).text();
    assert.match(metrics, /^comfyreg_uplink_reads_total\{outcome="stale"\} [1-9]/m);
  });

  it('shows a version published after the upstream restarts, once max age has passed', async () => {
    up = track(await serve(upDir, upPort, []));
    await publishVersion(up.base, pat, '1.1.0', ['ProcsBlur', 'ProcsSharpen']);
    let last: Awaited<ReturnType<typeof call>> | undefined;
    const appeared = await until(async () => {
      last = await call(mirror.base, 'GET', '/nodes/procs-pack');
      return last.body?.latest_version?.version === '1.1.0';
    });
    assert.ok(appeared, `1.1.0 never appeared: ${JSON.stringify(last?.body)}`);
    assert.notEqual(last!.headers.get('x-comfyreg-uplink'), 'stale');
  });
});
