import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { main } from '../src/cli.js';
import { ERROR_CODES } from '../src/contract/index.js';
import { SETTINGS, parseCommandLine } from '../src/settings/index.js';
import { startServer } from '../src/server.js';
import { forEachBackend, startRegistry, whenChanged } from './helpers/registry.js';
import { publishBody, zipOf } from './helpers/flow.js';

const CLI = ['--import', 'tsx', 'src/main.ts'];
const loadConfig = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseCommandLine('serve', argv, env).config;
const spawnCli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

/** The command line in this process: its exit code and what it wrote. */
async function run(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c));
  err.on('data', (c: Buffer) => (stderr += c));
  const status = await main(args, { out, err });
  return { status, stdout, stderr };
}

describe('configuration and the command line', () => {
  it('lists every setting of the contract in `comfyreg serve --help`', async () => {
    const res = await run(['serve', '--help']);
    assert.equal(res.status, 0, res.stderr);
    for (const name of [
      'PORT',
      'HOST',
      'COMFYREG_DATA_DIR',
      'COMFYREG_DATABASE_URL',
      'COMFYREG_PUBLIC_URL',
      'COMFYREG_ADMIN_TOKEN',
      'COMFYREG_SERVICE_TOKEN',
      'COMFYREG_MAX_BODY',
    ]) {
      assert.ok(res.stdout.includes(name), `${name} missing from --help`);
    }
    for (const s of SETTINGS.filter((x) => x.commands.includes('serve'))) assert.ok(res.stdout.includes(s.flag), `${s.flag} missing`);
  });

  it('defaults to port 8080 on 127.0.0.1 with ./data, and lets flags win over the environment', () => {
    const d = loadConfig([], {});
    assert.equal(d.port, 8080);
    assert.equal(d.host, '127.0.0.1');
    assert.equal(d.dataDir, path.resolve('./data'));
    assert.equal(d.publicUrl, undefined, 'derived from the port it listens on');
    assert.equal(d.maxBody, 16 * 1024 * 1024);
    const c = loadConfig(['--port', '9000', '--service-token=a, b'], { PORT: '1234', COMFYREG_SERVICE_TOKEN: 'x' });
    assert.equal(c.port, 9000);
    assert.deepEqual(c.serviceTokens, ['a', 'b']);
    assert.throws(() => loadConfig(['--port', 'eighty']), /PORT/);
    assert.throws(() => loadConfig(['--nope', '1']), /Unknown option '--nope'/);
  });

  it('refuses a bad setting with exit code 2 and a message, from the entry script too', async () => {
    const res = await run(['serve', '--port', 'x']);
    assert.equal(res.status, 2);
    assert.match(res.stderr, /PORT must be a whole number/);
    const proc = spawnCli(['serve', '--port', 'x']);
    assert.equal(proc.status, 2);
    assert.equal(proc.stderr, res.stderr);
    assert.equal((await run(['nonsense'])).status, 2);
    assert.equal((await run(['--help'])).status, 0);
  });

  it('says so and exits 1 when the port is taken', async () => {
    const http = await import('node:http');
    const blocker = http.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-port-'));
    try {
      const port = (blocker.address() as { port: number }).port;
      const res = await run(['serve', '--port', String(port), '--data-dir', dir, '--log-level', 'silent']);
      assert.equal(res.status, 1);
      assert.match(res.stderr, /cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);
    } finally {
      blocker.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates a user from the command line whose token works', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-cli-'));
    try {
      const res = await run(['user', 'create', '--name', 'Cli User', '--email', 'cli@example.com', '--data-dir', dir]);
      assert.equal(res.status, 0, res.stderr);
      const { user, token } = JSON.parse(res.stdout);
      assert.equal(user.email, 'cli@example.com');
      const server = await startServer({ ...loadConfig(['--data-dir', dir, '--port', '0', '--admin-token', 'adm']), logLevel: 'silent' });
      try {
        const me = await fetch(`${server.url}/users`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(me.status, 200);
        assert.equal((await me.json()).name, 'Cli User');
      } finally {
        await server.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('indexes an upload with the worker that `serve` starts (npm start as a user runs it)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-serve-'));
    const server = await startServer({ ...loadConfig(['--data-dir', dir, '--port', '0', '--admin-token', 'adm']), logLevel: 'silent' });
    try {
      assert.equal(server.reg.publicUrl, server.url.replace('127.0.0.1', 'localhost'), 'the URL of the port it bound');
      const call = async (method: string, p: string, body?: unknown, token?: string) => {
        const res = await fetch(server.url + p, {
          method,
          headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });
        return { status: res.status, body: await res.json().catch(() => undefined) };
      };
      const { token } = (await call('POST', '/admin/users', { name: 'u', email: 'u@example.com' }, 'adm')).body;
      await call('POST', '/publishers', { id: 'srv' }, token);
      const pat = (await call('POST', '/publishers/srv/tokens', { name: 't' }, token)).body.token;
      const { signedUrl } = (await call('POST', '/publishers/srv/nodes/srv-pack/versions', publishBody(pat, 'srv-pack', '1.0.0'))).body;
      const zip = await zipOf({
        'srv-pack/__init__.py': 'class A:\n    RETURN_TYPES = ("INT",)\n    FUNCTION = "f"\nNODE_CLASS_MAPPINGS = {"SrvNode": A}\n',
      });
      assert.equal(
        (await fetch(signedUrl, { method: 'PUT', headers: { 'content-type': 'application/zip' }, body: new Uint8Array(zip) })).status,
        200,
      );
      const listed = await whenChanged(server.reg, 'the in-process worker', async () => {
        const body = (await call('GET', '/nodes/srv-pack/versions/1.0.0/comfy-nodes')).body;
        return body.comfy_nodes.length > 0 && body;
      });
      assert.deepEqual(
        listed.comfy_nodes.map((n: { comfy_node_name: string }) => n.comfy_node_name),
        ['SrvNode'],
      );
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('generates an admin token on first start, keeps it 0600, stores only its hash, and reuses it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-admin-'));
    const config = { ...loadConfig(['--data-dir', dir, '--port', '0']), logLevel: 'silent' };
    try {
      const first = await startServer(config);
      const file = path.join(dir, 'admin-token');
      const token = fs.readFileSync(file, 'utf8').trim();
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      const stored = await first.database.db.selectFrom('meta').selectAll().execute();
      assert.ok(
        stored.every((r) => !r.value.includes(token)),
        'the token itself is never stored',
      );
      await first.close();
      fs.rmSync(file);
      const second = await startServer(config);
      try {
        assert.equal(fs.existsSync(file), false, 'a second start does not make a new token');
        const res = await fetch(`${second.url}/admin/users`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'x', email: 'x@example.com' }),
        });
        assert.equal(res.status, 201);
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

forEachBackend('served contract', (backend) => {
  it('serves /openapi.json from the route schemas, every route with its responses, and /docs', async () => {
    const t = await startRegistry(backend);
    try {
      const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
      assert.equal(res.statusCode, 200);
      const doc = res.json();
      assert.equal(doc.openapi, '3.0.3');
      const documented = new Set<string>();
      for (const [p, ops] of Object.entries<Record<string, { responses: Record<string, unknown> }>>(doc.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          documented.add(`${method.toUpperCase()} ${p}`);
          assert.ok(Object.keys(op.responses ?? {}).length > 0, `${method} ${p} lists no responses`);
        }
      }
      for (const route of [
        'POST /nodes/{nodeId}/versions/{version}/comfy-nodes',
        'DELETE /nodes/{nodeId}/versions/{version}/comfy-nodes',
        'POST /publishers/{publisherId}/nodes/{nodeId}/versions',
        'GET /nodes',
        'GET /nodes/{nodeId}/install',
        'POST /admin/users',
        'PUT /archives/upload/{versionId}',
      ]) {
        assert.ok(documented.has(route), `${route} missing from /openapi.json`);
      }
      const create = doc.paths['/nodes/{nodeId}/versions/{version}/comfy-nodes'].post;
      assert.deepEqual(Object.keys(create.responses).sort(), ['204', '400', '401', '403', '404', '409', '413']);
      assert.ok(doc.components.schemas.ErrorResponse);
      assert.ok(doc.components.schemas.ComfyNode);
      const ui = await t.app.inject({ method: 'GET', url: '/docs/' });
      assert.equal(ui.statusCode, 200);
      assert.match(ui.body, /swagger/i);
      // An HTML page: a policy that keeps it to this origin, no framing, no sniffing, no referrer abroad.
      const csp = String(ui.headers['content-security-policy']);
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /https:|unsafe-inline|unsafe-eval|upgrade-insecure-requests|swagger\.io/);
      assert.equal(ui.headers['x-frame-options'], 'DENY');
      assert.equal(ui.headers['x-content-type-options'], 'nosniff');
      assert.equal(ui.headers['referrer-policy'], 'same-origin');
      const asset = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
      assert.equal(asset.statusCode, 200);
      assert.doesNotMatch(asset.body, /validator\.swagger\.io/);
      const cors = await t.app.inject({ method: 'GET', url: '/nodes', headers: { origin: 'https://app.example' } });
      assert.equal(cors.headers['access-control-allow-origin'], '*');
    } finally {
      await t.close();
    }
  });
});
