import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UplinkClient, UplinkFailure } from '../../src/uplink/client.js';
import { upstreamComfyNodeList, upstreamNode, upstreamNodePage, upstreamVersions } from '../../src/uplink/shapes.js';
import { ManualClock } from '../helpers/clock.js';

/** Answers the shapes upstream's OpenAPI allows (nulls and absent fields), and every way an answer goes wrong. */
function fixtureServer() {
  const hits: string[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    hits.push(req.url!);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(typeof body === 'string' ? body : JSON.stringify(body));
    switch (req.url) {
      case '/nodes/nulls':
        return send(200, {
          id: 'nulls',
          name: null,
          category: null,
          description: null,
          license: null,
          tags: null,
          rating: null,
          downloads: null,
          status: 'NodeStatusActive',
          publisher: null,
          latest_version: {
            id: null,
            version: '1.0.0',
            downloadUrl: null,
            dependencies: null,
            deprecated: null,
            status: null,
            createdAt: null,
          },
        });
      case '/nodes/absent':
        return send(200, { id: 'absent' });
      case '/nodes/extra':
        return send(200, {
          id: 'extra',
          status: 'NodeStatusSomethingNew',
          license: { file: 'LICENSE' },
          unknown_field: [1, 2],
          category: 'x',
        });
      case '/nodes/absent/versions':
        return send(200, [{ version: '1.0.0' }, { version: '0.9.0', downloadUrl: 'https://cdn.example/x.zip', node_id: null }]);
      case '/nodes':
        return send(200, { nodes: null, total: null, page: 1, limit: 10, totalPages: null });
      case '/comfy-nodes/null':
        return send(200, null);
      case '/comfy-nodes/old':
        return send(200, { comfy_nodes: [{ comfy_node_id: 'Old', input_types: null, output_is_list: null }], totalNumberOfPages: null });
      case '/wrong-shape':
        return send(200, { id: 5 });
      case '/not-json':
        return send(200, '<html>down for maintenance</html>', { 'content-type': 'text/html' });
      case '/big':
        return send(200, JSON.stringify({ id: 'big', description: 'x'.repeat(64 * 1024) }));
      case '/loop':
        return send(302, '', { location: '/loop' });
      case '/elsewhere':
        return send(302, '', { location: 'http://example.invalid/nodes/absent' });
      case '/hang':
        return; // never answers
      case '/stall':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.write('{"id": "sta');
      case '/broken':
        return send(500, { error: 'INTERNAL' });
      case '/missing':
        return send(404, { message: 'node not found' });
      case '/archive.zip':
        return res.writeHead(200, { 'content-type': 'application/zip', 'content-length': '15' }).end(Buffer.from('PK fake archive'));
      case '/archive-cut.zip':
        res.writeHead(200, { 'content-type': 'application/zip', 'content-length': '1000' }).write('PK half an archive');
        return setImmediate(() => res.socket?.destroy());
      default:
        return send(404, { message: 'no route' });
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    hits,
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('the uplink client', () => {
  const fixture = fixtureServer();
  let base = '';
  const client = (opts: Partial<ConstructorParameters<typeof UplinkClient>[0]> = {}) =>
    new UplinkClient({ baseUrl: base, timeoutMs: 5000, maxFails: 100, failTimeoutMs: 1000, maxJsonBytes: 16 * 1024, ...opts });

  before(async () => {
    base = await fixture.listen();
  });
  after(() => fixture.close());

  it('tolerates nulls, absent fields and fields it does not know', async () => {
    const c = client();
    const nulls = await c.getJson('/nodes/nulls');
    assert.ok(nulls.found);
    const node = upstreamNode(nulls.body);
    assert.deepEqual(node, { id: 'nulls', status: 'NodeStatusActive', latest_version: { version: '1.0.0' } });
    const absent = await c.getJson('/nodes/absent');
    assert.deepEqual(upstreamNode(absent.found && absent.body), { id: 'absent' });
    const extra = await c.getJson('/nodes/extra');
    assert.deepEqual(upstreamNode(extra.found && extra.body), { id: 'extra', license: '{"file":"LICENSE"}' });
    const versions = await c.getJson('/nodes/absent/versions');
    assert.deepEqual(upstreamVersions(versions.found && versions.body), [
      { version: '1.0.0' },
      { version: '0.9.0', downloadUrl: 'https://cdn.example/x.zip' },
    ]);
    const page = await c.getJson('/nodes');
    assert.deepEqual(upstreamNodePage(page.found && page.body), { nodes: [], total: 0 });
    const none = await c.getJson('/comfy-nodes/null');
    assert.deepEqual(upstreamComfyNodeList(none.found && none.body), { comfyNodes: [], pages: 0 });
    const old = await c.getJson('/comfy-nodes/old');
    assert.deepEqual(upstreamComfyNodeList(old.found && old.body), { comfyNodes: [{ comfy_node_name: 'Old' }], pages: 1 });
  });

  it('refuses a wrongly shaped answer', async () => {
    const res = await client().getJson('/wrong-shape');
    assert.throws(() => upstreamNode(res.found && res.body), UplinkFailure);
    assert.throws(() => upstreamVersions({ not: 'a list' }), UplinkFailure);
    assert.throws(() => upstreamNodePage({ nodes: 'x' }), UplinkFailure);
  });

  it('says "not found" for a 404 and fails on a 500', async () => {
    assert.deepEqual(await client().getJson('/missing'), { found: false, status: 404 });
    await assert.rejects(client().getJson('/broken'), UplinkFailure);
  });

  it('fails on a hanging, stalling, looping, oversized or non-JSON answer, within the timeout', async () => {
    // The short timeout only where the timer is what is tested: a loaded CI machine can take longer
    // than 300 ms to follow six redirects, and then the timer, not the redirect cap, would answer.
    const short = client({ timeoutMs: 300 });
    await assert.rejects(short.getJson('/hang'), /no answer within 300 ms/);
    await assert.rejects(short.getJson('/stall'), UplinkFailure);
    const c = client();
    await assert.rejects(c.getJson('/loop'), /more than 5 redirects/);
    await assert.rejects(c.getJson('/elsewhere'), /not allowed/);
    await assert.rejects(c.getJson('/big'), /more than 16384 bytes/);
    await assert.rejects(c.getJson('/not-json'), /not JSON/);
  });

  it('stops asking after max-fails failures, and asks once more after fail-timeout', async () => {
    const clock = new ManualClock();
    const c = client({ maxFails: 2, failTimeoutMs: 60_000, now: () => clock.now() });
    await assert.rejects(c.getJson('/broken'));
    await assert.rejects(c.getJson('/broken'));
    const before = fixture.hits.length;
    await assert.rejects(c.getJson('/nodes/absent'), /breaker/);
    assert.equal(fixture.hits.length, before, 'the open breaker sends nothing');
    clock.advance(60_001);
    assert.ok((await c.getJson('/nodes/absent')).found, 'the half-open probe goes out and closes the breaker');
    assert.ok((await c.getJson('/nodes/absent')).found);
  });

  it('fetches archives only from allowed hosts', async () => {
    const c = client();
    const { stream } = await c.openArchive(`${base}/archive.zip`, 1024);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'PK fake archive');
    await assert.rejects(c.openArchive('http://files.example.invalid/a.zip', 1024), /not allowed/);
    c.noteArchiveUrl('http://files.example.invalid/b.zip');
    assert.ok(c.archiveHostAllowed('http://files.example.invalid/a.zip'), 'a host the uplink named is allowed');
    const strict = client({ archiveHosts: ['files.example.invalid'] });
    assert.equal(strict.archiveHostAllowed(`${base}/archive.zip`), false, 'a configured list is the only list');
    await assert.rejects(c.openArchive(`${base}/archive.zip`, 4), /over 4/);
  });

  it('keeps the bytes of an archive that is read later, and fails a body that breaks off', async () => {
    const c = client();
    const read = async (stream: NodeJS.ReadableStream) => {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString();
    };
    const late = await c.openArchive(`${base}/archive.zip`, 1024);
    // The body arrives while the caller is busy elsewhere (as when sync's --verify awaited an import).
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await read(late.stream), 'PK fake archive', 'no byte is dropped before the caller reads');
    const cut = await c.openArchive(`${base}/archive-cut.zip`, 1024);
    await assert.rejects(read(cut.stream), (err: Error) => err instanceof UplinkFailure && /broke off/.test(err.message));
  });
});
