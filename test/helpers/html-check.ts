import assert from 'node:assert/strict';

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);

/**
 * What the UI's pages must be, checked on every page a test fetches: one doctype, tags that nest and
 * close, unique ids, every visible form control labelled, no inline script or style (the CSP would
 * block them), and no `&` that is not an entity.
 */
export function assertValidPage(page: string, where: string): void {
  assert.ok(page.startsWith('<!doctype html>'), `${where}: doctype`);
  const stack: string[] = [];
  const ids = new Set<string>();
  const labelled = new Set([...page.matchAll(/<label[^>]*\sfor="([^"]+)"/g)].map((m) => m[1]!));
  for (const m of page.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)) {
    const [, closing, rawName, attrs] = m;
    const name = rawName!.toLowerCase();
    if (closing) {
      assert.equal(stack.pop(), name, `${where}: </${name}> closes something else (at ${m.index})`);
      continue;
    }
    const id = /\sid="([^"]*)"/.exec(attrs!)?.[1];
    if (id !== undefined) {
      assert.ok(!ids.has(id), `${where}: duplicate id ${id}`);
      ids.add(id);
    }
    assert.doesNotMatch(attrs!, /\sstyle=|\son[a-z]+=/i, `${where}: inline style or handler on <${name}>`);
    if (name === 'script') assert.match(attrs!, /\ssrc="/, `${where}: inline script`);
    if (['input', 'select', 'textarea'].includes(name) && !/type="(hidden|submit|checkbox)"/.test(attrs!)) {
      assert.ok(id && labelled.has(id), `${where}: <${name}${attrs}> has no label`);
    }
    if (!VOID.has(name) && !attrs!.endsWith('/')) stack.push(name);
  }
  assert.deepEqual(stack, [], `${where}: unclosed elements`);
  assert.doesNotMatch(page, /&(?!(amp|lt|gt|quot|#39);)/, `${where}: a bare &`);
}
