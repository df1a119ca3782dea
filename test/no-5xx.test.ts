import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startRegistry, type TestRegistry, forEachBackend } from './helpers/registry.js';
import { comfyNode, postComfyNodes, publish, world } from './helpers/flow.js';

/** Every route of the served contract, with path parameters filled in by `fill`. */
async function routes(t: TestRegistry): Promise<{ method: string; path: string }[]> {
  const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  return Object.entries<Record<string, unknown>>(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })),
  );
}

const segment = fc.oneof(
  fc.constantFrom('acme', 'pack', '1.0.0', 'v1', 'Node', 'none', '..', '%2e%2e', '%00', 'ShowText|pysssss', 'a b', '%E2%82%AC'),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
);
const query = fc.oneof(
  fc.constant(''),
  fc
    .dictionary(
      fc.constantFrom('page', 'limit', 'pageSize', 'node_id', 'version', 'max_node', 'search', 'comfy_node_search', 'expires', 'signature'),
      fc.oneof(fc.string({ maxLength: 20 }), fc.integer().map(String), fc.constant('-1'), fc.constant('1e400')),
      { maxKeys: 3 },
    )
    .map((q) => `?${new URLSearchParams(q)}`),
);
const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 60 }),
);

forEachBackend('no 5xx on any route', (backend) => {
  let t: TestRegistry;
  before(async () => {
    t = await startRegistry(backend);
    const w = await world(t);
    await publish(t, w, 'pack', '1.0.0');
    await postComfyNodes(t, 'pack', '1.0.0', { nodes: { Node: comfyNode() } });
  });
  after(async () => t?.close());

  it('answers random paths, queries and bodies on every documented route below 500, as anyone', async () => {
    const all = await routes(t);
    assert.ok(all.length > 30, `only ${all.length} routes documented`);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...all),
        fc.array(segment, { minLength: 4, maxLength: 4 }),
        query,
        body,
        fc.constantFrom('none', 'admin', 'service', 'junk'),
        async (route, segs, q, payload, who) => {
          let i = 0;
          const url = route.path.replace(/\{[^}]+\}/g, () => segs[i++ % segs.length]).replace('/*', `/${segs[0]}`) + q;
          const token = { none: undefined, admin: t.adminToken, service: t.serviceToken, junk: 'junk' }[who];
          const res = await t.app.inject({
            method: route.method as 'GET',
            url,
            payload,
            headers: {
              ...(token ? { authorization: `Bearer ${token}` } : {}),
              ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
            },
          });
          assert.ok(res.statusCode < 500, `${route.method} ${url} as ${who} → ${res.statusCode} ${res.body.slice(0, 200)}`);
          // Dot segments (`/nodes/%2e%2e`) resolve to `/`, the web UI, whose errors are pages.
          if (String(res.headers['content-type']).startsWith('text/html')) assert.match(res.body, /^<!doctype html>/);
          else if (res.statusCode >= 400) {
            const err = JSON.parse(res.body);
            assert.equal(typeof err.error, 'string');
            assert.equal(typeof err.message, 'string');
          }
        },
      ),
      { numRuns: 600 },
    );
  });
});
