import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRegistry, type TestRegistry, forEachBackend } from './helpers/registry.js';
import { comfyNode, json, publish, world, type World } from './helpers/flow.js';

type Who = 'anonymous' | 'unknown' | 'malformed' | 'user' | 'owner' | 'service' | 'admin';
const CALLERS: Who[] = ['anonymous', 'unknown', 'malformed', 'user', 'owner', 'service', 'admin'];

interface Route {
  method: string;
  url: string;
  body?: unknown;
  /** who gets past authorisation; everyone else gets 401 (no or unknown credentials) or 403 */
  allowed: Who[];
}

/** Every protected route; the open ones (reads, publish with its body token, the signed upload) are not here. */
const ROUTES: Route[] = [
  { method: 'GET', url: '/users', allowed: ['user', 'owner', 'admin'] },
  { method: 'GET', url: '/users/publishers', allowed: ['user', 'owner', 'admin'] },
  { method: 'POST', url: '/publishers', body: { id: 'made-by-%WHO%' }, allowed: ['user', 'owner', 'admin'] },
  { method: 'PUT', url: '/publishers/acme', body: { description: 'x' }, allowed: ['owner', 'admin'] },
  { method: 'POST', url: '/publishers/acme/tokens', body: { name: 'x' }, allowed: ['owner', 'admin'] },
  { method: 'GET', url: '/publishers/acme/tokens', allowed: ['owner', 'admin'] },
  { method: 'DELETE', url: '/publishers/acme/tokens/none', allowed: ['owner', 'admin'] },
  { method: 'POST', url: '/publishers/acme/nodes', body: { id: 'node-by-%WHO%' }, allowed: ['owner', 'admin'] },
  { method: 'PUT', url: '/publishers/acme/nodes/pack', body: { description: 'y' }, allowed: ['owner', 'admin'] },
  { method: 'DELETE', url: '/publishers/acme/nodes/gone-%WHO%', allowed: ['owner', 'admin'] },
  { method: 'PUT', url: '/publishers/acme/nodes/pack/versions/1.0.0', body: { changelog: 'c' }, allowed: ['owner', 'admin'] },
  { method: 'DELETE', url: '/publishers/acme/nodes/pack/versions/0.%WHO%.0', allowed: ['owner', 'admin'] },
  { method: 'POST', url: '/publishers/victim/nodes/victim-pack/ban', allowed: ['admin'] },
  { method: 'POST', url: '/publishers/victim/ban', allowed: ['admin'] },
  { method: 'POST', url: '/admin/users', body: { name: 'n', email: 'n@example.com' }, allowed: ['admin'] },
  { method: 'PUT', url: '/admin/nodes/pack/versions/1.0.0', body: { status: 'NodeVersionStatusActive' }, allowed: ['admin'] },
  { method: 'POST', url: '/nodes/pack/versions/1.0.0/comfy-nodes', body: { success: false, reason: 'r' }, allowed: ['service', 'admin'] },
  { method: 'DELETE', url: '/nodes/pack/versions/1.0.0/comfy-nodes', allowed: ['service', 'admin'] },
  { method: 'PUT', url: '/nodes/pack/versions/1.0.0/comfy-nodes/Some', body: { category: 'x' }, allowed: ['admin'] },
  { method: 'POST', url: '/comfy-nodes/backfill', allowed: ['service', 'admin'] },
  { method: 'POST', url: '/extraction-jobs/lease', body: { worker: 'w', lease_seconds: 1 }, allowed: ['service', 'admin'] },
  { method: 'POST', url: '/extraction-jobs/none/fail', body: { worker: 'w', reason: 'r' }, allowed: ['service', 'admin'] },
  { method: 'POST', url: '/extraction-jobs/none/complete', body: { worker: 'w' }, allowed: ['service', 'admin'] },
  { method: 'GET', url: '/extraction-jobs', allowed: ['admin'] },
];

forEachBackend('401/403 matrix', (backend) => {
  let t: TestRegistry;
  let owner: World;
  let other: World;
  before(async () => {
    t = await startRegistry(backend);
    owner = await world(t, 'acme', 'owner');
    other = await world(t, 'victim', 'someone');
    await publish(t, owner, 'pack', '1.0.0');
    await publish(t, other, 'victim-pack', '1.0.0', 'victim');
    for (const who of CALLERS) await json(t, 'POST', '/publishers/acme/nodes', { id: `gone-${who}` }, owner.userToken);
  });
  after(async () => t?.close());

  const call = async (route: Route, who: Who) => {
    const token = { user: other.userToken, owner: owner.userToken, service: t.serviceToken, admin: t.adminToken, unknown: 'not-a-token' }[
      who as string
    ];
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (who === 'malformed') headers.authorization = 'Basic Zm9vOmJhcg==';
    const body = route.body === undefined ? undefined : JSON.stringify(route.body).replaceAll('%WHO%', who);
    if (body) headers['content-type'] = 'application/json';
    const res = await t.app.inject({ method: route.method as 'GET', url: route.url.replaceAll('%WHO%', who), headers, payload: body });
    return { status: res.statusCode, body: JSON.parse(res.body || '{}') };
  };

  for (const route of ROUTES) {
    it(`${route.method} ${route.url}`, async () => {
      for (const who of CALLERS.filter((c) => !route.allowed.includes(c))) {
        const res = await call(route, who);
        const expected = ['anonymous', 'unknown', 'malformed'].includes(who) ? 401 : 403;
        assert.equal(res.status, expected, `${who} → ${res.status} ${JSON.stringify(res.body)}`);
        assert.equal(typeof res.body.error, 'string');
        assert.equal(typeof res.body.message, 'string');
      }
      for (const who of route.allowed) {
        const res = await call(route, who);
        assert.ok(![401, 403].includes(res.status), `${who} was refused: ${res.status} ${JSON.stringify(res.body)}`);
        assert.ok(res.status < 500, `${who} → ${res.status}`);
      }
    });
  }

  it('refuses an invalid body from a caller without rights with 401, not 400', async () => {
    const res = await json(t, 'POST', '/nodes/pack/versions/1.0.0/comfy-nodes', { nodes: 'garbage' });
    assert.equal(res.status, 401);
    const res2 = await json(t, 'POST', '/nodes/pack/versions/1.0.0/comfy-nodes', { nodes: 'garbage' }, owner.userToken);
    assert.equal(res2.status, 403);
  });

  it('checks rights before the body on admin and service routes too', async () => {
    for (const [method, url] of [
      ['PUT', '/nodes/pack/versions/1.0.0/comfy-nodes/Some'],
      ['POST', '/extraction-jobs/lease'],
      ['POST', '/admin/users'],
    ]) {
      assert.equal((await json(t, method, url, { policy: 'nonsense', worker: 5, name: 7 })).status, 401, url);
      assert.equal((await json(t, method, url, { policy: 'nonsense', worker: 5, name: 7 }, owner.userToken)).status, 403, url);
    }
  });

  it('does not let a publisher token act as a bearer token', async () => {
    const res = await json(t, 'POST', '/nodes/pack/versions/1.0.0/comfy-nodes', { nodes: { A: comfyNode() } }, owner.pat);
    assert.equal(res.status, 401);
  });

  it('lets only an admin set preempted_comfy_node_names and search_ranking', async () => {
    const res = await json(t, 'PUT', '/publishers/acme/nodes/pack', { search_ranking: 1 }, owner.userToken);
    assert.equal(res.status, 403);
    const ok = await json(t, 'PUT', '/publishers/acme/nodes/pack', { search_ranking: 1, preempted_comfy_node_names: ['A'] }, t.adminToken);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.search_ranking, 1);
  });
});
