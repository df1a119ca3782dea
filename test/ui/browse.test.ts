import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { extracted, publisher, setDownloads } from '../helpers/comfy-packs.js';
import { json, postComfyNodes, publish, upload, zipOf } from '../helpers/flow.js';
import { forEachBackend, startRegistry, type Backend, type TestRegistry } from '../helpers/registry.js';
import { STRICT_CSP } from '../../src/http/security-headers.js';
import { HOSTILE } from '../helpers/ui-client.js';
import { assertValidPage } from '../helpers/html-check.js';

/** A GET of a UI page: its status, headers and text. */
async function get(t: TestRegistry, url: string, headers: Record<string, string> = {}) {
  const res = await t.app.inject({ url, headers });
  if (String(res.headers['content-type']).startsWith('text/html') && res.body.startsWith('<!doctype')) assertValidPage(res.body, url);
  return { status: res.statusCode, headers: res.headers, body: res.body };
}

forEachBackend('web UI: anonymous browsing', (backend: Backend) => {
  let t: TestRegistry;
  before(async () => {
    t = await startRegistry(backend);
    const acme = await publisher(t, 'acme');
    await extracted(t, acme, 'blur-pack', '1.0.0', {
      Blur: {
        display_name: 'Gaussian blur',
        input_types: JSON.stringify({
          required: { image: ['IMAGE'], radius: ['INT', { default: 2, min: 0, max: 64, step: 1 }], mode: [['fast', 'slow']] },
          optional: { mask: ['MASK'] },
          hidden: { prompt: 'PROMPT' },
        }),
        return_types: '["IMAGE","MASK"]',
        return_names: '["image","masks"]',
        output_is_list: [false, true],
        output_node: true,
        experimental: true,
      },
      SharpenImage: {},
    });
    // A second version whose extraction failed, with the extractor's reason.
    await publish(t, acme, 'blur-pack', '1.1.0', 'acme');
    const failed = await postComfyNodes(t, 'blur-pack', '1.1.0', {
      success: false,
      status: 'failed',
      reason: 'SyntaxError in nodes.py line 3',
    });
    assert.equal(failed.status, 204, JSON.stringify(failed.body));
    // One waiting for its archive, one queued for the extractor (no worker runs here).
    await publish(t, acme, 'blur-pack', '1.2.0', 'acme');
    const queued = await publish(t, acme, 'blur-pack', '1.3.0', 'acme');
    assert.equal((await upload(t, queued.signedUrl, await zipOf({ 'p/__init__.py': 'NODE_CLASS_MAPPINGS = {}\n' }))).status, 200);
    const other = await publisher(t, 'other');
    await extracted(t, other, 'other-pack', '2.0.0', ['Blur']);
    await setDownloads(t, 'other-pack', 50);
    const evil = await publisher(t, 'evil');
    await extracted(t, evil, 'evil-pack', '0.1.0', { [`Evil${'X'}`]: { category: HOSTILE, description: HOSTILE } });
    const res = await json(t, 'PUT', '/publishers/evil/nodes/evil-pack', { name: HOSTILE, description: HOSTILE }, evil.userToken);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });
  after(() => t.close());

  it('answers / with a search page: HTML under the strict CSP, packs sorted as the API sorts', async () => {
    const res = await get(t, '/');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.equal(res.headers['content-security-policy'], STRICT_CSP);
    const order = [...res.body.matchAll(/href="\/ui\/packs\/([^"/]+)"/g)].map((m) => m[1]);
    const api = await json(t, 'GET', '/nodes/search?limit=50');
    assert.deepEqual(
      order,
      api.body.nodes.map((n: { id: string }) => n.id),
    );
    assert.equal(order[0], 'other-pack', 'most downloads first');
  });

  it('searches by pack name, by description and by comfy-node name', async () => {
    const byName = await get(t, '/?q=Pack%20other');
    assert.match(byName.body, /href="\/ui\/packs\/other-pack"/);
    assert.doesNotMatch(byName.body, /href="\/ui\/packs\/blur-pack"/);
    const byNode = await get(t, '/?q=sharpen');
    assert.match(byNode.body, /href="\/ui\/packs\/blur-pack"/);
    assert.doesNotMatch(byNode.body, /href="\/ui\/packs\/other-pack"/);
    const none = await get(t, '/?q=zzzz-nothing');
    assert.match(none.body, /0 packs/);
    const fragment = await get(t, '/?q=sharpen&fragment=results');
    assert.doesNotMatch(fragment.body, /<html/);
    assert.match(fragment.body, /blur-pack/);
  });

  it('renders untrusted names, descriptions and categories as text', async () => {
    for (const url of ['/', '/?q=evil', '/ui/packs/evil-pack', '/ui/packs/evil-pack/0.1.0', '/ui/publishers/evil']) {
      const res = await get(t, url);
      assert.equal(res.status, 200, url);
      assert.doesNotMatch(res.body, /<script>alert|<img src=x/, url);
      assert.match(res.body, /&lt;script&gt;alert\(&quot;pwned&quot;\)&lt;\/script&gt;/, url);
    }
  });

  it('shows a pack: publisher, repository, license, downloads, install commands, versions with extraction status and reason', async () => {
    const res = await get(t, '/ui/packs/blur-pack');
    assert.equal(res.status, 200);
    for (const text of [
      'href="/ui/publishers/acme"',
      'https://github.com/example/pack',
      'MIT',
      'comfy node install blur-pack',
      'ComfyUI-Manager',
      'extraction: failed',
      'SyntaxError in nodes.py line 3',
      'extraction: success',
      'waiting for the archive upload',
      'queued for extraction (0 attempts so far)',
      'Comfy nodes (2)',
      'href="/ui/comfy-nodes/SharpenImage"',
    ])
      assert.ok(res.body.includes(text), text);
    const versions = res.body.slice(res.body.indexOf('<h2>Versions</h2>'));
    assert.ok(versions.indexOf('1.1.0') < versions.indexOf('1.0.0'), 'newest version first');
    const version = await get(t, '/ui/packs/blur-pack/1.3.0');
    assert.match(version.body, /queued for extraction/);
  });

  it("draws a version's comfy nodes as ComfyUI does: sockets, widgets with bounds and choices, optional and hidden, list outputs, badges", async () => {
    const res = await get(t, '/ui/packs/blur-pack/1.0.0');
    assert.equal(res.status, 200);
    const card = res.body.slice(res.body.indexOf('id="cn-Blur"'), res.body.indexOf('</article>', res.body.indexOf('id="cn-Blur"')));
    assert.match(card, /Gaussian blur/);
    assert.match(card, /image <span class="t">IMAGE<\/span>/);
    assert.match(card, /mask <span class="t">MASK · optional/);
    assert.match(card, /prompt <span class="t">PROMPT · hidden/);
    assert.match(card, /radius[\s\S]*?class="v">2<[\s\S]*?INT · min 0 · max 64 · step 1/);
    assert.match(card, /combo: fast, slow/);
    assert.match(card, /masks <span class="t">MASK · list/);
    assert.match(card, /output node/);
    assert.match(card, /experimental/);
    assert.match(res.body, /2 comfy nodes/);
  });

  it("lists every pack providing a comfy-node name in the resolver's order, the resolver's pick marked", async () => {
    const res = await get(t, '/ui/comfy-nodes/Blur');
    assert.equal(res.status, 200);
    const resolved = await json(t, 'GET', '/comfy-nodes/Blur/node');
    assert.equal(resolved.body.id, 'other-pack');
    const list = res.body.slice(res.body.indexOf('<ol class="results providers">'));
    assert.ok(list.indexOf('other-pack') < list.indexOf('blur-pack'), 'more downloads first');
    assert.match(list, /<li class="picked">\s*<a class="title" href="\/ui\/packs\/other-pack\/2.0.0">/);
    assert.equal((await get(t, '/ui/comfy-nodes/NoSuchNode')).status, 404);
    const index = await get(t, '/ui/comfy-nodes?name=blu');
    assert.match(index.body, /href="\/ui\/comfy-nodes\/Blur"/);
    assert.match(index.body, /2 packs/);
    const live = await get(t, '/ui/comfy-nodes?name=sharp&fragment=results');
    assert.doesNotMatch(live.body, /<html/);
    assert.match(live.body, /href="\/ui\/comfy-nodes\/SharpenImage"/);
    assert.doesNotMatch(live.body, /comfy-nodes\/Blur"/);
  });

  it('shows a publisher and its packs', async () => {
    const res = await get(t, '/ui/publishers/acme');
    assert.equal(res.status, 200);
    assert.match(res.body, /href="\/ui\/packs\/blur-pack"/);
    assert.doesNotMatch(res.body, /Manage this publisher/);
  });

  it('answers unknown pages with HTML error pages and leaves the API as it was', async () => {
    for (const url of ['/ui/packs/nope', '/ui/packs/blur-pack/9.9.9', '/ui/publishers/nope', '/ui/no/such/page']) {
      const res = await get(t, url);
      assert.equal(res.status, 404, url);
      assert.match(String(res.headers['content-type']), /^text\/html/, url);
      assert.match(res.body, /<h1>Not found<\/h1>/, url);
    }
    const bare = await get(t, '/ui');
    assert.deepEqual([bare.status, bare.headers.location], [308, '/']);
    const bad = await get(t, '/?page=abc');
    assert.equal(bad.status, 400);
    assert.match(String(bad.headers['content-type']), /^text\/html/);
    const api = await json(t, 'GET', '/no-such-route');
    assert.equal(api.status, 404);
    assert.equal(api.body.error, 'ROUTE_NOT_FOUND');
    assert.equal((await json(t, 'GET', '/nodes/blur-pack')).body.id, 'blur-pack');
    const spec = await json(t, 'GET', '/openapi.json');
    assert.ok(!Object.keys(spec.body.paths).some((p) => p === '/' || p.startsWith('/ui')), 'UI routes stay out of the API description');
  });

  it('serves its stylesheet and script from its own origin', async () => {
    const page = await get(t, '/');
    const refs = [...page.body.matchAll(/(?:href|src)="(\/ui\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    assert.equal(refs.length, 2);
    for (const ref of refs) {
      const res = await get(t, ref.replace(/&amp;/g, '&'));
      assert.equal(res.status, 200, ref);
      assert.match(String(res.headers['cache-control']), /immutable/);
    }
    assert.doesNotMatch(page.body, /https?:\/\/(?!github\.com)/, 'no other origin is referenced');
  });
});
