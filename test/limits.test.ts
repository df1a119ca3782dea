import { before, after, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { forEachBackend, startRegistry, type TestRegistry } from './helpers/registry.js';
import { publish, world } from './helpers/flow.js';

/** Sends raw request bytes and returns everything the server wrote until it closed the connection. */
function rawExchange(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(request));
    let out = '';
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

forEachBackend('limits', (backend) => {
  let t: TestRegistry;
  before(async () => {
    t = await startRegistry(backend, { readCache: 0, rateLimits: { perAddress: 5, perToken: 8, windowSeconds: 60 } });
  });
  after(async () => t?.close());

  it('limits requests per client address and per token, apart, and never an admin', async () => {
    const anon = async () => fetch(`${t.url}/nodes`);
    for (let i = 0; i < 5; i++) {
      const res = await anon();
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-ratelimit-limit'), '5');
      assert.equal(res.headers.get('x-ratelimit-remaining'), String(4 - i));
    }
    const limited = await anon();
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After');
    assert.ok(limited.headers.get('x-ratelimit-reset'));
    const body = await limited.json();
    assert.equal(body.error, 'RATE_LIMITED');

    // The extraction service has an allowance of its own: anonymous traffic did not use it up.
    const service = async () =>
      fetch(`${t.url}/comfy-nodes/backfill`, { method: 'POST', headers: { authorization: `Bearer ${t.serviceToken}` } });
    for (let i = 0; i < 8; i++) assert.equal((await service()).status, 204);
    assert.equal((await service()).status, 429, 'and it is limited by its own limit');

    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${t.url}/nodes`, { headers: { authorization: `Bearer ${t.adminToken}` } });
      assert.equal(res.status, 200, 'an admin is never limited');
    }
  });

  it('refuses an upload over the limit on its Content-Length before reading a byte, and closes the connection', async () => {
    const t = await startRegistry(backend, { maxArchive: 4096 });
    try {
      await uploadOverLimit(t);
    } finally {
      await t.close();
    }
  });
});

/** A Content-Length over the limit is answered on the headers alone; the URL stays usable. */
async function uploadOverLimit(t: TestRegistry): Promise<void> {
  const w = await world(t, 'lim', 'lim-user');
  const { signedUrl } = await publish(t, w, 'lim-pack', '1.0.0', 'lim');
  const target = new URL(signedUrl);
  const head = (extra: string) =>
    `PUT ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/zip\r\nContent-Length: 1000000000\r\n${extra}\r\n`;
  // No body is ever sent: the answer comes on the headers alone.
  const plain = await rawExchange(t.url, head(''));
  assert.match(plain, /^HTTP\/1\.1 413 /);
  assert.match(plain, /\r\nconnection: close\r\n/i);
  assert.match(plain, /"error":"ARCHIVE_TOO_LARGE"/);
  const expecting = await rawExchange(t.url, head('Expect: 100-continue\r\n'));
  assert.match(expecting, /^HTTP\/1\.1 413 /, 'no 100 Continue: the client never sends the body');
  assert.match(expecting, /\r\nconnection: close\r\n/i);
  // The URL is still good for an archive within the limit.
  const ok = await fetch(signedUrl, { method: 'PUT', headers: { 'content-type': 'application/zip' }, body: new Uint8Array(100) });
  assert.equal(ok.status, 200);
}
