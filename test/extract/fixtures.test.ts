import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { extractPack } from '../../src/extract/index.js';

const base = join(import.meta.dirname, '..', 'fixtures', 'packs');

interface Expected {
  body: { success: boolean; status?: string; reason?: string; nodes: Record<string, Record<string, unknown>> };
  diagnostics: { file: string; node?: string; field?: string }[];
}

describe('fixture packs', () => {
  for (const name of readdirSync(base).sort()) {
    test(name, async () => {
      const expected = JSON.parse(readFileSync(join(base, name, 'expected.json'), 'utf8')) as Expected;
      const { body, diagnostics } = await extractPack({ dir: join(base, name) });
      assert.equal(body.success, expected.body.success);
      assert.equal(body.status, expected.body.status);
      assert.deepEqual(Object.keys(body.nodes), Object.keys(expected.body.nodes), 'node names and order');
      for (const [node, want] of Object.entries(expected.body.nodes)) {
        const got = body.nodes[node]!;
        for (const field of ['input_types', 'return_types', 'return_names'] as const) {
          assert.equal(typeof got[field], 'string', `${node}.${field} is JSON text`);
          assert.deepEqual(JSON.parse(got[field]), want[field], `${node}.${field}`);
        }
        for (const field of [
          'category',
          'description',
          'function',
          'output_is_list',
          'deprecated',
          'experimental',
          'display_name',
          'output_node',
        ] as const) {
          assert.deepEqual(got[field], want[field], `${node}.${field}`);
        }
      }
      const brief = diagnostics.map((d) => ({ file: d.file, ...(d.node ? { node: d.node } : {}), ...(d.field ? { field: d.field } : {}) }));
      assert.deepEqual(brief, expected.diagnostics);
    });
  }
});

test('big integers stay exact in the JSON text', async () => {
  const { body } = await extractPack({ dir: join(base, 'v1-literal') });
  assert.match(body.nodes.ImageBlendExample!.input_types, /"max":18446744073709551615/);
  assert.match(body.nodes.ImageBlendExample!.input_types, /"max":16384/);
});

test('runtime-only combos keep the node, with an empty combo and a diagnostic naming the input', async () => {
  const { body, diagnostics } = await extractPack({ dir: join(base, 'runtime-combos') });
  const input = JSON.parse(body.nodes.CheckpointPicker!.input_types) as { required: Record<string, unknown> };
  assert.deepEqual(input.required.ckpt_name, [[]]);
  assert.deepEqual(input.required.lora, [[], { default: 'None' }]);
  const d = diagnostics.find((x) => x.field === 'input_types.required.ckpt_name');
  assert.ok(d && d.file === '__init__.py' && d.line === 19 && /folder_paths\.get_filename_list/.test(d.message));
});

test('broken and non-UTF-8 files are diagnostics, the rest of the pack is extracted', async () => {
  const { body, diagnostics } = await extractPack({ dir: join(base, 'broken-syntax') });
  assert.ok(body.success);
  assert.ok(diagnostics.some((d) => d.file === 'latin.py' && /UTF-8/.test(d.message)));
  assert.ok(diagnostics.some((d) => d.file === 'broken.py' && d.line === 11 && /syntax error/.test(d.message)));
});
