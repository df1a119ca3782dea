/**
 * How fast the command line starts, against `node -e 0` measured in the same run (interleaved
 * rounds, medians): `comfyreg --help` and `comfyreg extract` of a one-file pack, both running the
 * compiled JavaScript that `npm ci` builds (dist/), as `npx comfyreg` does.
 *
 * Run: npm run build && npx tsx bench/startup.ts [--rounds 15]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const bin = path.join(root, 'bin', 'comfyreg.js');
if (!fs.existsSync(path.join(root, 'dist', 'main.js'))) throw new Error('dist/ is missing: run npm run build first');
const i = process.argv.indexOf('--rounds');
const ROUNDS = i > 0 ? Number(process.argv[i + 1]) : 15;

const pack = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-startup-'));
fs.writeFileSync(
  path.join(pack, '__init__.py'),
  'class Blur:\n    @classmethod\n    def INPUT_TYPES(cls):\n        return {"required": {"image": ("IMAGE",)}}\n    RETURN_TYPES = ("IMAGE",)\n    FUNCTION = "run"\n\nNODE_CLASS_MAPPINGS = {"Blur": Blur}\n',
);

const commands: Record<string, string[]> = {
  'node -e 0': ['-e', '0'],
  'comfyreg --help': [bin, '--help'],
  'comfyreg extract <tiny pack>': [bin, 'extract', pack],
};

function time(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const res = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (res.status !== 0) throw new Error(`${args.join(' ')} exited with ${res.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const samples: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
for (const args of Object.values(commands)) time(args); // warm the file cache
for (let r = 0; r < ROUNDS; r++) for (const [name, args] of Object.entries(commands)) samples[name].push(time(args));
fs.rmSync(pack, { recursive: true, force: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(samples['node -e 0']);
console.log(`${ROUNDS} interleaved rounds, median wall time of each command as a process:`);
for (const [name, xs] of Object.entries(samples)) {
  const m = median(xs);
  console.log(
    `  ${name.padEnd(30)} ${m.toFixed(0).padStart(5)} ms  ${(m / base).toFixed(2)}× node -e 0${name === 'node -e 0' ? '' : ' (target ≤ 3×)'}`,
  );
}
