import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { extractPack } from '../../src/extract/index.js';

const root = mkdtempSync(join(tmpdir(), 'comfyreg-eval-'));
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

const NODE = `
class Node:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"v": ("INT", {"default": VALUE})}}
    RETURN_TYPES = ("INT",)
    FUNCTION = "f"
`;

test('a 10,000-deep nested expression gives a diagnostic, not a crash', async () => {
  const deep = '['.repeat(10_000) + '1' + ']'.repeat(10_000);
  const r = await run({ '__init__.py': `VALUE = ${deep}\n${NODE}\nNODE_CLASS_MAPPINGS = {"Deep": Node}\n` });
  assert.equal(r.body.success, true);
  assert.ok(
    r.diagnostics.some((d) => /nesting deeper than/.test(d.message)),
    JSON.stringify(r.diagnostics),
  );
  const parens = '('.repeat(10_000) + '1' + ')'.repeat(10_000);
  const plus = Array.from({ length: 10_000 }, () => '1').join(' + ');
  const r2 = await run({ '__init__.py': `A = ${parens}\nB = ${plus}\nVALUE = 2\n${NODE}\nNODE_CLASS_MAPPINGS = {"Deep": Node}\n` });
  assert.deepEqual(JSON.parse(r2.body.nodes.Deep!.input_types), { required: { v: ['INT', { default: 2 }] } });
});

test('a huge loop is cut off with a diagnostic and later code still runs', async () => {
  const r = await run({
    '__init__.py': `X = 0\nfor i in range(10**12):\n    X += 1\nwhile True:\n    X = X\nVALUE = 5\n${NODE}\nNODE_CLASS_MAPPINGS = {"Loop": Node}\n`,
  });
  assert.deepEqual(JSON.parse(r.body.nodes.Loop!.input_types), { required: { v: ['INT', { default: 5 }] } });
  assert.ok(r.diagnostics.some((d) => /loop/.test(d.message)));
});

test('unbounded recursion and huge values are bounded', async () => {
  const r = await run({
    '__init__.py': `def f(x):\n    return f(x + 1)\nA = f(0)\nB = "x" * (10**12)\nC = [0] * (10**12)\nD = 2 ** 100000\nVALUE = 7\n${NODE}\nNODE_CLASS_MAPPINGS = {"Rec": Node}\n`,
  });
  assert.deepEqual(JSON.parse(r.body.nodes.Rec!.input_types), { required: { v: ['INT', { default: 7 }] } });
});

test('collections of 150,000 items are spread, extended and repeated without overflowing the stack', async () => {
  const r = await run({
    '__init__.py': `A = list(range(150000))\nB = [*A]\nC = []\nC.extend(A)\nD = A * 2\ndef g(*args):\n    return len(args)\nE = g(*A)\nVALUE = len(B)\n${NODE}\nNODE_CLASS_MAPPINGS = {"Big": Node}\n`,
  });
  assert.equal(r.body.success, true, JSON.stringify(r.body.reason));
  assert.deepEqual(JSON.parse(r.body.nodes.Big!.input_types), { required: { v: ['INT', { default: 150000 }] } });
});

test('an import cycle terminates', async () => {
  const r = await run({
    '__init__.py': 'from .a import NODE_CLASS_MAPPINGS\n',
    'a.py': `from .b import VALUE\n${NODE}\nNODE_CLASS_MAPPINGS = {"Cyc": Node}\n`,
    'b.py': 'from . import a\nVALUE = 3\n',
  });
  assert.deepEqual(JSON.parse(r.body.nodes.Cyc!.input_types), { required: { v: ['INT', { default: 3 }] } });
});

test('expressions: arithmetic, slicing, formatting, conditionals, local variables', async () => {
  const r = await run({
    '__init__.py': `
BASE = 64
class Node:
    @classmethod
    def INPUT_TYPES(cls):
        sizes = [BASE * i for i in range(1, 4)]
        names = "a,b,c".split(",")
        opts = {"default": sizes[-1] // 2, "max": 2 ** 64 - 1, "step": 0.5 if BASE > 10 else 1}
        return {"required": {"size": (sizes[:2] + [1000],), "name": (names,), "n": ("INT", opts), "label": ("STRING", {"default": "{}-{}".format("x", BASE)})}}
    RETURN_TYPES = ("INT",) * 2
    FUNCTION = "f"
NODE_CLASS_MAPPINGS = {"Expr": Node}
`,
  });
  const body = r.body.nodes.Expr!;
  assert.deepEqual(JSON.parse(body.input_types), {
    required: {
      size: [[64, 128, 1000]],
      name: [['a', 'b', 'c']],
      n: ['INT', { default: 96, max: 18446744073709551615, step: 0.5 }],
      label: ['STRING', { default: 'x-64' }],
    },
  });
  assert.match(body.input_types, /"max":18446744073709551615/);
  assert.deepEqual(JSON.parse(body.return_types), ['INT', 'INT']);
});

test('never executes pack code: os/subprocess calls are inert', async () => {
  const marker = join(root, 'pwned');
  const r = await run({
    '__init__.py': `import os, subprocess\nos.system("touch ${marker}")\nsubprocess.run(["touch", "${marker}"])\nopen("${marker}", "w").write("x")\nVALUE = 1\n${NODE}\nNODE_CLASS_MAPPINGS = {"Safe": Node}\n`,
  });
  assert.equal(r.body.success, true);
  assert.equal(existsSync(marker), false);
});

test('large module-level tables are evaluated only when read, once, and shared by importers', async () => {
  const table = Array.from({ length: 2000 }, (_, i) => String(i)).join(', ');
  const r = await run({
    '__init__.py': `from .tables import SIZES, UNUSED\nfrom . import tables\nSIZES.append(-1)\nVALUE = len(tables.SIZES)\n${NODE}\nNODE_CLASS_MAPPINGS = {"Lazy": Node}\n`,
    'tables.py': `SIZES = [${table}]\nUNUSED = [${table}, ${'['.repeat(150)}0${']'.repeat(150)}]\n`,
  });
  assert.deepEqual(JSON.parse(r.body.nodes.Lazy!.input_types), { required: { v: ['INT', { default: 2001 }] } });
  assert.deepEqual(r.diagnostics, [], 'UNUSED is never read, so its over-deep literal is never evaluated');
});

test('an import that only a run-time branch makes still runs the except fallback, and the branch after it', async () => {
  const r = await run({
    '__init__.py': `import sys\n${NODE}\nVALUE = 1\nNODE_CLASS_MAPPINGS = {}\ntry:\n    if sys.platform == "win32":\n        from .winonly import WinNode\n        NODE_CLASS_MAPPINGS["Win"] = WinNode\n    NODE_CLASS_MAPPINGS["Always"] = Node\nexcept ImportError:\n    NODE_CLASS_MAPPINGS["Fallback"] = Node\n`,
  });
  assert.deepEqual(Object.keys(r.body.nodes), ['Always', 'Fallback']);
  assert.ok(
    r.diagnostics.some((d) => d.line === 13 && /ModuleNotFoundError.*branch taken only at run time/.test(d.message)),
    JSON.stringify(r.diagnostics),
  );
});

test('a large literal that names a variable is evaluated where it stands, not later', async () => {
  const zeros = Array.from({ length: 2000 }, () => '0').join(', ');
  const r = await run({ '__init__.py': `X = 1\nT = [X, ${zeros}]\nX = 2\nVALUE = T[0]\n${NODE}\nNODE_CLASS_MAPPINGS = {"Early": Node}\n` });
  assert.deepEqual(JSON.parse(r.body.nodes.Early!.input_types), { required: { v: ['INT', { default: 1 }] } });
});
