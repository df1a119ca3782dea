import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { extracted, publisher, setPolicy } from '../helpers/comfy-packs.js';
import { NEW_PACK, OLD_PACK, publishPack } from '../helpers/change-fixtures.js';
import { publish } from '../helpers/flow.js';
import { assertValidPage } from '../helpers/html-check.js';
import { forEachBackend, startRegistry, type Backend, type TestRegistry } from '../helpers/registry.js';
import { HOSTILE } from '../helpers/ui-client.js';

async function get(t: TestRegistry, url: string) {
  const res = await t.app.inject({ url });
  assert.match(String(res.headers['content-type']), /^text\/html/, url);
  if (res.body.startsWith('<!doctype')) assertValidPage(res.body, url);
  return { status: res.statusCode, body: res.body };
}

const node = (inputs: Record<string, unknown>, returns: string[], more: Record<string, unknown> = {}) => ({
  input_types: JSON.stringify({ required: inputs, hidden: { unique_id: ['UNIQUE_ID'] } }),
  return_types: JSON.stringify(returns),
  return_names: JSON.stringify(returns.map((_, i) => `out${i}`)),
  output_is_list: returns.map(() => false),
  ...more,
});

/** The type filter's matches on a page, as `Name pack@version`, sorted (the packs of one name come in no set order). */
const matches = (body: string): string[] => pageOrder(body).sort();
const pageOrder = (body: string): string[] =>
  [...body.matchAll(/<a class="title" href="\/ui\/comfy-nodes\/([^"]+)">[\s\S]*?href="\/ui\/packs\/([^"/]+)\/([^"#]+)#cn-\1"/g)].map(
    (m) => `${decodeURIComponent(m[1]!)} ${m[2]}@${m[3]}`,
  );

forEachBackend('web UI: the comfy-node index filtered by type', (backend: Backend) => {
  let t: TestRegistry;
  before(async () => {
    t = await startRegistry(backend, { readCache: 0 });
    const a = await publisher(t, 'tfa');
    const b = await publisher(t, 'tfb');
    const imageToMask = node({ image: ['IMAGE'] }, ['MASK']);
    await extracted(t, a, 'tf-a', '1.0.0', { MaskFromImage: imageToMask, OldOnly: imageToMask });
    await extracted(t, a, 'tf-a', '1.1.0', {
      MaskFromImage: imageToMask,
      ImageToImage: node({ image: ['IMAGE'] }, ['IMAGE']),
      UnionToMask: node({ pixels: ['IMAGE,MASK', { forceInput: true }] }, ['MASK'], { display_name: 'Either to mask' }),
      AnyToMask: node({ value: ['*'] }, ['MASK']),
    });
    await extracted(t, b, 'tf-b', '1.0.0', {
      MaskFromImage: imageToMask,
      MaskToImage: node({ mask: ['MASK'] }, ['IMAGE']),
      BothWays: node({ image: ['IMAGE'], mask: ['MASK'] }, ['MASK', 'IMAGE']),
      BannedMask: imageToMask,
      [`Evil${'X'}`]: node({ x: [HOSTILE] }, [HOSTILE]),
    });
    await setPolicy(t, 'tf-b', '1.0.0', 'BannedMask', 'ComfyNodePolicyBanned');
    const bulk = await publisher(t, 'tfbulk');
    const many = Object.fromEntries(
      Array.from({ length: 55 }, (_, i) => [`Latent${String(i).padStart(2, '0')}`, node({ l: ['LATENT'] }, ['LATENT'])]),
    );
    await extracted(t, bulk, 'tf-bulk', '1.0.0', many);
  });
  after(async () => t?.close());

  it("finds the comfy nodes that take IMAGE and give MASK in each pack's newest extracted version, linked to node and version", async () => {
    const res = await get(t, '/ui/comfy-nodes?input_type=IMAGE&output_type=MASK');
    assert.equal(res.status, 200);
    assert.deepEqual(matches(res.body), [
      'AnyToMask tf-a@1.1.0',
      'BothWays tf-b@1.0.0',
      'MaskFromImage tf-a@1.1.0',
      'MaskFromImage tf-b@1.0.0',
      'UnionToMask tf-a@1.1.0',
    ]);
    assert.match(res.body, /5 comfy nodes taking IMAGE and giving MASK/);
    assert.match(res.body, /Either to mask/);
    assert.doesNotMatch(res.body, /does not have yet/);
    // Only AnyToMask takes IMAGE through a `*` input, and the page says so there alone.
    const items = res.body.split('<li>').slice(1);
    const wild = items.filter((li) => /wildcard/.test(li));
    assert.equal(wild.length, 1);
    assert.match(wild[0]!, /comfy-nodes\/AnyToMask"/);
    assert.match(wild[0]!, /takes IMAGE only through an input typed <code>\*<\/code>/);
  });

  it('filters by output alone, by a union, and by name within the types', async () => {
    assert.deepEqual(matches((await get(t, '/ui/comfy-nodes?output_type=IMAGE')).body), [
      'BothWays tf-b@1.0.0',
      'ImageToImage tf-a@1.1.0',
      'MaskToImage tf-b@1.0.0',
    ]);
    assert.deepEqual(matches((await get(t, '/ui/comfy-nodes?input_type=MASK&output_type=IMAGE')).body), [
      'BothWays tf-b@1.0.0',
      'MaskToImage tf-b@1.0.0',
    ]);
    assert.deepEqual(matches((await get(t, '/ui/comfy-nodes?input_type=%20MASK%20&output_type=IMAGE,MASK&name=both')).body), [
      'BothWays tf-b@1.0.0',
    ]);
    const live = await get(t, '/ui/comfy-nodes?input_type=IMAGE&output_type=MASK&name=from&fragment=results');
    assert.doesNotMatch(live.body, /<html/);
    assert.deepEqual(matches(live.body), ['MaskFromImage tf-a@1.1.0', 'MaskFromImage tf-b@1.0.0']);
    // Raw: the page checker would take the escaped `onerror=` inside the form's value for a handler.
    const hostile = (await t.app.inject({ url: `/ui/comfy-nodes?output_type=${encodeURIComponent(HOSTILE)}` })).body;
    assert.deepEqual(matches(hostile), ['EvilX tf-b@1.0.0']);
    assert.doesNotMatch(hostile, /<script>alert|<img src=x/);
    assert.match(hostile, /giving &lt;script&gt;alert\(&quot;pwned&quot;\)&lt;\/script&gt;/);
  });

  it('pages the matches, keeping the types in the page links', async () => {
    // The 55 LATENT nodes, and AnyToMask through its `*` input.
    const first = await get(t, '/ui/comfy-nodes?input_type=LATENT');
    assert.equal(pageOrder(first.body)[0], 'AnyToMask tf-a@1.1.0');
    assert.equal(matches(first.body).length, 50);
    assert.match(first.body, /56 comfy nodes taking LATENT/);
    assert.match(first.body, /href="\/ui\/comfy-nodes\?input_type=LATENT&amp;page=2"/);
    const second = await get(t, '/ui/comfy-nodes?input_type=LATENT&page=2');
    assert.deepEqual(
      matches(second.body),
      ['Latent49', 'Latent50', 'Latent51', 'Latent52', 'Latent53', 'Latent54'].map((n) => `${n} tf-bulk@1.0.0`),
    );
  });

  it('answers a type list that names no type with a 400 page keeping the form, and blank types as no filter', async () => {
    for (const url of ['/ui/comfy-nodes?input_type=,', '/ui/comfy-nodes?output_type=%20,%20,']) {
      const res = await get(t, url);
      assert.equal(res.status, 400, url);
      assert.match(res.body, /class="notice bad"[^>]*>[^<]*names no type/, url);
      assert.match(res.body, /<form class="search"/, url);
    }
    const blank = await get(t, '/ui/comfy-nodes?input_type=%20%20&name=mask');
    assert.equal(blank.status, 200);
    assert.match(blank.body, /href="\/ui\/comfy-nodes\/MaskToImage"/);
    assert.match(blank.body, /\d+ names/);
  });
});

forEachBackend('web UI: what a version changed since the previous one', (backend: Backend) => {
  let t: TestRegistry;
  before(async () => {
    t = await startRegistry(backend, { readCache: 0 });
    const w = await publisher(t, 'uichg');
    await publishPack(t, w, 'ui-chg', '1.0.0', OLD_PACK);
    await publishPack(t, w, 'ui-chg', '1.1.0', NEW_PACK);
    await publish(t, w, 'ui-chg', '1.2.0', w.pub); // never uploaded: its comfy nodes are not extracted
  });
  after(async () => t?.close());

  /** The version page's "Changes since" section. */
  async function changes(version: string): Promise<string> {
    const res = await get(t, `/ui/packs/ui-chg/${version}`);
    assert.equal(res.status, 200, version);
    const start = res.body.indexOf('<section class="changes"');
    return start < 0 ? '' : res.body.slice(start, res.body.indexOf('</section>', start));
  }

  it('shows added, removed and changed comfy nodes, breaking ones marked in words', async () => {
    const section = await changes('1.1.0');
    assert.match(section, /Changes since <a href="\/ui\/packs\/ui-chg\/1.0.0">1.0.0<\/a>/);
    assert.match(section, /breaking<\/span> Workflows saved with 1.0.0 may fail/);
    const part = (title: string) => section.slice(section.indexOf(`<h3>${title}`)).split('<h3>')[1]!;
    assert.match(part('Added'), /^Added \(1\)[\s\S]*href="\/ui\/packs\/ui-chg\/1.1.0#cn-NodeAdded"/);
    assert.doesNotMatch(part('Added'), /breaking/);
    assert.match(
      part('Removed'),
      /^Removed \(1\)[\s\S]*href="\/ui\/packs\/ui-chg\/1.0.0#cn-NodeRemoved"><code>NodeRemoved<\/code><\/a> <span class="badge bad"[^>]*>breaking</,
    );
    const changed = part('Changed');
    assert.match(changed, /^Changed \(26\)/);
    const entry = (name: string) => changed.slice(changed.indexOf(`#cn-${name}"`)).split('</ul>')[0]!;
    assert.match(entry('InputRemoved'), />breaking<\/span>[\s\S]*>breaking<\/span> <code>input_removed<\/code>: input &quot;mask&quot;/);
    assert.match(entry('InputTypeWidened'), /<code>input_type_widened<\/code>: /);
    assert.doesNotMatch(entry('InputTypeWidened'), /breaking/);
  });

  it('says when there is nothing to compare, or a side is not extracted, and still shows the page', async () => {
    const first = await get(t, '/ui/packs/ui-chg/1.0.0');
    assert.match(first.body, /No earlier version of this pack has extracted comfy nodes: nothing to compare with/);
    const pending = await get(t, '/ui/packs/ui-chg/1.2.0');
    assert.equal(pending.status, 200);
    assert.match(pending.body, /shows once comfy nodes are extracted \(version 1.2.0 of node ui-chg has no extracted comfy nodes/);
    assert.equal(await changes('1.2.0'), '');
  });
});
