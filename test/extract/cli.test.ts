import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import { runExtractCommand } from '../../src/extract/cli.js';

const packs = join(import.meta.dirname, '..', 'fixtures', 'packs');
const tmp = mkdtempSync(join(tmpdir(), 'comfyreg-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (c: Buffer) => (o += c));
  err.on('data', (c: Buffer) => (e += c));
  const code = await runExtractCommand(args, out, err);
  return { code, out: o, err: e };
}

test('a pack with nodes: table and exit 0', async () => {
  const r = await cli([join(packs, 'runtime-combos')]);
  assert.equal(r.code, 0);
  assert.match(r.out, /^NAME\s+CATEGORY\s+INPUTS\s+OUTPUTS\s+UNRESOLVED/);
  assert.match(r.out, /CheckpointPicker\s+sd\s+ckpt_name, sampler, lora, anything\s+MODEL, \*\s+input_types\.required\.ckpt_name/);
});

test('--json prints the CreateComfyNodes body with the diagnostics and the unresolved fields', async () => {
  const r = await cli(['--json', join(packs, 'v1-literal')]);
  assert.equal(r.code, 0);
  const out = JSON.parse(r.out) as {
    body: { success: boolean; nodes: Record<string, { input_types: string }> };
    diagnostics: unknown[];
    unresolved: object;
  };
  assert.deepEqual(Object.keys(out), ['body', 'diagnostics', 'unresolved']);
  assert.equal(out.body.success, true);
  assert.deepEqual(Object.keys(out.body.nodes), ['ImageBlendExample', 'SaveThingExample']);
  assert.equal(typeof out.body.nodes.ImageBlendExample!.input_types, 'string');
  assert.deepEqual(out.unresolved, {});

  const combos = JSON.parse((await cli(['--json', join(packs, 'runtime-combos')])).out) as {
    diagnostics: { file: string; line: number; field?: string }[];
    unresolved: Record<string, string[]>;
  };
  assert.deepEqual(combos.unresolved, { CheckpointPicker: ['input_types.required.ckpt_name', 'input_types.required.lora', 'category'] });
  assert.ok(combos.diagnostics.some((d) => d.file === '__init__.py' && d.line === 19 && d.field === 'input_types.required.ckpt_name'));
});

test('no nodes: exit 1', async () => {
  writeFileSync(join(tmp, '__init__.py'), 'x = 1\n');
  const r = await cli([tmp]);
  assert.equal(r.code, 1);
  assert.match(r.err, /no comfy nodes found/);
  const j = await cli([tmp, '--json']);
  assert.equal(j.code, 1);
  assert.deepEqual(JSON.parse(j.out), {
    body: { success: false, status: 'failed', reason: 'no comfy nodes found', nodes: {} },
    diagnostics: [],
    unresolved: {},
  });
});

test('a pack that registers nodes but yields none says where, on stderr and in --json', async () => {
  const r = await cli([join(packs, 'never-silent')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^__init__\.py:5: NODE_CLASS_MAPPINGS: registers nodes \(`NODE_CLASS_MAPPINGS = \{\}`\)/m);
  const j = JSON.parse((await cli([join(packs, 'never-silent'), '--json'])).out) as {
    body: { reason: string };
    diagnostics: { line: number }[];
  };
  assert.match(j.body.reason, /^no comfy nodes found: __init__\.py:5: NODE_CLASS_MAPPINGS: registers nodes/);
  assert.ok(j.diagnostics.every((d) => d.line > 0));
});

test('missing path, unreadable zip and usage errors: exit 2', async () => {
  assert.equal((await cli([join(tmp, 'nope')])).code, 2);
  assert.equal((await cli([])).code, 2);
  assert.equal((await cli(['a', 'b'])).code, 2);
  const notZip = join(tmp, 'bad.zip');
  writeFileSync(notZip, 'not a zip');
  const r = await cli([notZip]);
  assert.equal(r.code, 2);
  assert.match(r.err, /refused: not a readable zip/);
});

test('the entry script runs as a process', () => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, '..', '..', 'src', 'extract', 'cli-main.ts'), join(packs, 'v3'), '--json'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(Object.keys((JSON.parse(r.stdout) as { body: { nodes: object } }).body.nodes), ['ImageGlowV3', 'SaveGlowV3']);
});
