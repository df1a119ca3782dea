import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type Diagnostic, extractPack, summarizeDiagnostics, unresolvedFields } from '../../src/extract/index.js';

const root = mkdtempSync(join(tmpdir(), 'comfyreg-diag-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

async function run(files: Record<string, string>) {
  const dir = join(root, `p${n++}`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return extractPack({ dir });
}

const diags: Diagnostic[] = [
  { file: 'a.py', line: 3, severity: 'info', message: 'followed the shipped config' },
  { file: '__init__.py', line: 12, field: 'NODE_CLASS_MAPPINGS', message: 'not known statically' },
  {
    file: 'nodes.py',
    line: 40,
    node: 'Blur',
    field: 'input_types.required.model',
    message: 'folder_paths.get_filename_list(...) only known at run time',
  },
  { file: 'nodes.py', line: 41, node: 'Blur', field: 'category', message: 'x'.repeat(300) },
  { file: 'nodes.py', line: 7, node: 'Blur', field: 'category', message: 'again' },
];

test('summarizeDiagnostics: the first problems as file:line: message, informational ones last, the rest counted', () => {
  assert.equal(
    summarizeDiagnostics(diags, 2),
    '__init__.py:12: NODE_CLASS_MAPPINGS: not known statically; nodes.py:40: Blur input_types.required.model: folder_paths.get_filename_list(...) only known at run time; and 3 more',
  );
  const all = summarizeDiagnostics(diags);
  assert.match(all, /^__init__\.py:12: .*; nodes\.py:40: .*; nodes\.py:41: Blur category: x{199}…; and 2 more$/);
  assert.equal(summarizeDiagnostics([diags[0]!]), 'a.py:3: followed the shipped config');
  assert.equal(summarizeDiagnostics([]), '');
});

test('unresolvedFields: each node with the fields it could not resolve, once each', () => {
  assert.deepEqual(unresolvedFields(diags), { Blur: ['input_types.required.model', 'category'] });
});

test('never silent: zero nodes from a pack that registers some names the file, line and construct', async () => {
  const cases: [Record<string, string>, RegExp][] = [
    [
      { '__init__.py': 'from .impl import NODE_CLASS_MAPPINGS\n', 'impl.py': 'NODE_CLASS_MAPPINGS = discover()\n' },
      /^registers nodes \(`from \.impl import NODE_CLASS_MAPPINGS`\)/,
    ],
    [
      { '__init__.py': 'import x\n\nNODE_CLASS_MAPPINGS = {}\nNODE_CLASS_MAPPINGS.update(x.load())\n' },
      /`NODE_CLASS_MAPPINGS\.update\(x\.load\(\)\)`/,
    ],
    [{ '__init__.py': 'import ext\n\nasync def comfy_entrypoint():\n    return ext.make()\n' }, /`async def comfy_entrypoint\(\):`/],
  ];
  for (const [files, construct] of cases) {
    const r = await run(files);
    assert.equal(r.body.success, false);
    const first = r.diagnostics[0]!;
    assert.equal(first.file, '__init__.py');
    assert.ok(first.line > 0, JSON.stringify(first));
    assert.match(first.message, construct);
    assert.match(r.body.reason!, /^no comfy nodes found: __init__\.py:\d+: /);
  }
  const quiet = await run({ '__init__.py': 'WEB_DIRECTORY = "./js"\n' });
  assert.deepEqual(quiet.diagnostics, []);
  assert.equal(quiet.body.reason, 'no comfy nodes found');
});

test('a loop over a value known only at run time is reported, not skipped silently', async () => {
  const r = await run({ '__init__.py': 'import folder_paths\nfor f in folder_paths.get_filename_list("x"):\n    pass\n' });
  assert.ok(r.diagnostics.some((d) => d.line === 2 && /loop not run/.test(d.message) && /folder_paths\.get_filename_list/.test(d.message)));
});
