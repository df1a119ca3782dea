import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { snapshot, startRegistry, type TestRegistry, forEachBackend } from './helpers/registry.js';
import { comfyNode, json, postComfyNodes, publish, world } from './helpers/flow.js';

const valid = () => ({ success: true, nodes: { Good: comfyNode() } });

/** Each case of contract §2 that must answer 400 without writing. */
const BAD_BODIES: [string, unknown][] = [
  ['malformed JSON', '{"nodes": {"A": '],
  ['trailing garbage', '{"nodes": {}} xyz'],
  ['body is an array', '[]'],
  ['body is a string', '"nodes"'],
  ['body is null', 'null'],
  ['success as a string', { ...valid(), success: 'true' }],
  ['reason as a number', { ...valid(), reason: 5 }],
  ['nodes as an array', { nodes: [comfyNode()] }],
  ['a node that is not an object', { nodes: { A: 'IMAGE' } }],
  ['output_is_list not booleans', { nodes: { A: comfyNode({ output_is_list: ['false'] }) } }],
  ['output_is_list not an array', { nodes: { A: comfyNode({ output_is_list: false }) } }],
  ['input_types not a string', { nodes: { A: comfyNode({ input_types: { required: {} } }) } }],
  ['input_types not JSON', { nodes: { A: comfyNode({ input_types: '{required:' }) } }],
  ['input_types JSON of an array', { nodes: { A: comfyNode({ input_types: '[]' }) } }],
  ['input_types JSON null', { nodes: { A: comfyNode({ input_types: 'null' }) } }],
  ['return_types JSON of an object', { nodes: { A: comfyNode({ return_types: '{}' }) } }],
  ['return_names not JSON', { nodes: { A: comfyNode({ return_names: 'IMAGE' }) } }],
  ['deprecated as a number', { nodes: { A: comfyNode({ deprecated: 1 }) } }],
  ['unknown policy', { nodes: { A: comfyNode({ policy: 'ComfyNodePolicyMaybe' }) } }],
  ['empty name', { nodes: { '': comfyNode() } }],
  ['name over 256 characters', { nodes: { ['N'.repeat(257)]: comfyNode() } }],
  ['more than 10,000 nodes', { nodes: Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`N${i}`, {}])) }],
  ['status with capitals', { success: false, status: 'Failed' }],
  ['status too long', { success: false, status: 'a'.repeat(33) }],
  ['cloud_build_info not strings', { ...valid(), cloud_build_info: { build_id: 7 } }],
  ['a NUL character in a name', { nodes: { 'A\u0000B': comfyNode() } }],
  ['a NUL character in a field', { nodes: { A: comfyNode({ category: 'x\u0000y' }) } }],
  ['one bad node among good ones', { nodes: { Good: comfyNode(), Bad: comfyNode({ return_types: '"IMAGE"' }) } }],
];

/** Turns a valid body into an invalid one, in ways fast-check can vary. */
const faults = fc.oneof(
  fc
    .record({ field: fc.constantFrom('input_types', 'return_types', 'return_names'), text: fc.string() })
    .map(({ field, text }) => (b: any) => {
      const bad = field === 'input_types' ? `[${JSON.stringify(text)}]` : `{"x":${JSON.stringify(text)}}`;
      b.nodes.Good[field] = bad;
      return b;
    }),
  fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.object()).map((v) => (b: any) => {
    b.nodes.Good.output_is_list = [v];
    return b;
  }),
  fc
    .string()
    .filter((s) => !['ComfyNodePolicyActive', 'ComfyNodePolicyBanned', 'ComfyNodePolicyLocalOnly'].includes(s))
    .map((s) => (b: any) => {
      b.nodes.Good.policy = s;
      return b;
    }),
  fc
    .record({
      field: fc.constantFrom('category', 'function', 'input_types', 'description'),
      value: fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string()), fc.constant(null)),
    })
    .map(({ field, value }) => (b: any) => {
      b.nodes.Good[field] = value;
      return b;
    }),
  fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.anything())).map((v) => (b: any) => {
    b.success = v;
    return b;
  }),
  fc
    .string({ minLength: 257, maxLength: 400 })
    .filter((s) => [...s].length > 256)
    .map((name) => (b: any) => {
      b.nodes[name] = comfyNode();
      return b;
    }),
  fc
    .string()
    .filter((s) => !/^[a-z][a-z0-9_]{0,31}$/.test(s))
    .map((s) => (b: any) => {
      b.status = s;
      return b;
    }),
);

forEachBackend('bad input', (backend) => {
  let t: TestRegistry;
  before(async () => {
    t = await startRegistry(backend);
    const w = await world(t);
    await publish(t, w, 'target', '1.0.0');
  });
  after(async () => t?.close());

  for (const [name, body] of BAD_BODIES) {
    it(`answers 400 and writes nothing for: ${name}`, async () => {
      const before = await snapshot(t);
      const res = await postComfyNodes(t, 'target', '1.0.0', body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(typeof res.body.error, 'string');
      assert.equal(typeof res.body.message, 'string');
      assert.equal(await snapshot(t), before);
    });
  }

  it('finds no 5xx and no change in the database across a few hundred generated malformed bodies', async () => {
    const before = await snapshot(t);
    await fc.assert(
      fc.asyncProperty(faults, async (fault) => {
        const res = await postComfyNodes(t, 'target', '1.0.0', fault(valid()));
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.ok(res.body.error && typeof res.body.message === 'string');
      }),
      { numRuns: 250 },
    );
    assert.equal(await snapshot(t), before);
  });

  it('never answers 5xx to arbitrary JSON, and leaves the database alone whenever it refuses', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.jsonValue(), fc.record({ nodes: fc.dictionary(fc.string(), fc.jsonValue()) }), fc.string()),
        async (body) => {
          const before = await snapshot(t);
          const res = await postComfyNodes(t, 'target', '1.0.0', typeof body === 'string' ? body : JSON.stringify(body));
          assert.ok(res.status < 500, `${res.status} for ${JSON.stringify(body)}`);
          if (res.status >= 400) assert.equal(await snapshot(t), before);
          else await json(t, 'DELETE', '/nodes/target/versions/1.0.0/comfy-nodes', undefined, t.serviceToken);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('answers unknown routes and methods with an ErrorResponse', async () => {
    for (const [method, url] of [
      ['GET', '/no/such/route'],
      ['PATCH', '/nodes'],
      ['DELETE', '/nodes'],
      ['POST', '/comfy-nodes/x/y/z'],
    ]) {
      const res = await json(t, method, url);
      assert.equal(res.status, 404, `${method} ${url}`);
      assert.equal(res.body.error, 'ROUTE_NOT_FOUND');
      assert.equal(typeof res.body.message, 'string');
    }
  });

  it('answers malformed URLs and absurd paging in the contract shape, never 5xx', async () => {
    for (const url of [
      '/nodes/%E0%A4%A',
      '/nodes/%',
      '/nodes/target/versions/%ZZ',
      '/nodes/%00',
      '/comfy-nodes/a%00b/node',
      '/nodes?node_id=%00',
    ]) {
      const res = await json(t, 'GET', url);
      assert.equal(res.status, 400, url);
      assert.deepEqual(Object.keys(res.body).sort(), ['error', 'message']);
    }
    const huge = await json(t, 'GET', '/nodes?page=99999999999999999999&limit=99999999999');
    assert.equal(huge.status, 200);
    assert.deepEqual(huge.body.nodes, []);
    assert.equal(huge.body.limit, 100);
  });

  it('refuses bad bodies on the other write routes with 400', async () => {
    const { token } = (await json(t, 'POST', '/admin/users', { name: 'bad', email: 'bad@example.com' }, t.adminToken)).body;
    assert.equal((await json(t, 'POST', '/publishers', { id: 'Bad Id!' }, token)).status, 400);
    assert.equal((await json(t, 'POST', '/publishers', '{"id":', token)).status, 400);
    assert.equal((await json(t, 'POST', '/admin/users', { name: 'x', email: 'not-an-email' }, t.adminToken)).status, 400);
    assert.equal((await json(t, 'POST', '/admin/users', { name: 'x' }, t.adminToken)).status, 400);
    assert.equal((await json(t, 'POST', '/publishers/acme/nodes/target/versions', { personal_access_token: 5 })).status, 400);
    const tooLong = await json(t, 'GET', `/nodes/${'x'.repeat(300)}`);
    assert.equal(tooLong.status, 400);
  });
});
