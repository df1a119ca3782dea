import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ComfyNodeRow } from '../../src/db/schema.js';
import { html, raw } from '../../src/ui/html.js';
import { nodeCard, parseInputs } from '../../src/ui/node-card.js';
import { HOSTILE } from '../helpers/ui-client.js';

function row(overrides: Partial<ComfyNodeRow>): ComfyNodeRow {
  return {
    node_version_id: 'v',
    comfy_node_name: 'Node',
    category: '',
    description: '',
    function: 'run',
    input_types: '{}',
    return_types: '[]',
    return_names: '[]',
    output_is_list: '[]',
    deprecated: 0,
    experimental: 0,
    display_name: '',
    output_node: 0,
    policy: 'ComfyNodePolicyActive',
    created_at: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

it('escapes every interpolated value, and only those', () => {
  assert.equal(
    html`<p title="${'"x"'}">${HOSTILE}</p>`.text,
    `<p title="&quot;x&quot;">&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;</p>`,
  );
  assert.equal(html`<p>${[html`<b>${'<i>'}</b>`, raw('<br>'), null, false, 0]}</p>`.text, '<p><b>&lt;i&gt;</b><br>0</p>');
});

it('reads the input shapes extractors produce: v1 tuples, v3 COMBO options, bare hidden names, and junk', () => {
  const inputs = parseInputs(
    JSON.stringify({
      required: { image: ['IMAGE', {}], mode: ['COMBO', { options: ['soft', 'hard'] }], ckpt: [['a.safetensors', 'b.safetensors']] },
      optional: { seed: ['INT', { default: 0, forceInput: true }] },
      hidden: { unique_id: ['UNIQUE_ID'], prompt: 'PROMPT' },
    }),
  );
  assert.deepEqual(
    inputs.map((i) => [i.group, i.name, i.type, i.choices]),
    [
      ['required', 'image', 'IMAGE', undefined],
      ['required', 'mode', null, ['soft', 'hard']],
      ['required', 'ckpt', null, ['a.safetensors', 'b.safetensors']],
      ['optional', 'seed', 'INT', undefined],
      ['hidden', 'unique_id', 'UNIQUE_ID', undefined],
      ['hidden', 'prompt', 'PROMPT', undefined],
    ],
  );
  for (const junk of ['[]', '5', 'null', '{"required": 5}', '{"required": {"x": null}}', '{"optional": {"y": [{"a": 1}]}}']) {
    assert.doesNotThrow(() => nodeCard(row({ input_types: junk, return_types: junk, return_names: junk, output_is_list: junk })), junk);
  }
});

it('draws forced inputs as sockets, hostile names and choices as text, and the policy as a badge', () => {
  const card = nodeCard(
    row({
      comfy_node_name: HOSTILE,
      category: HOSTILE,
      input_types: JSON.stringify({ required: { seed: ['INT', { forceInput: true, tooltip: 'a "seed"' }], pick: [[HOSTILE]] } }),
      policy: 'ComfyNodePolicyLocalOnly',
    }),
  ).text;
  assert.doesNotMatch(card, /<script>|<img/);
  assert.match(card, /<li class="sock t-INT "\s+title="a &quot;seed&quot;">/);
  assert.match(card, /combo: &lt;script&gt;/);
  assert.match(card, /policy: LocalOnly/);
});
