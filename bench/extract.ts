/**
 * Extraction benchmark: generates two deterministic corpora of node packs — many small packs
 * mixing the registration patterns src/extract understands, and real-sized packs (bench/
 * extract-corpus.ts: MBs of implementation code, deep package trees, star-import chains) — then
 * times, per pack, extraction against only parsing the same files with tree-sitter.
 *
 *   node --import tsx bench/extract.ts [--packs 272] [--real 24] [--rounds 3]
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractPack } from '../src/extract/index.js';
import { realShapes, writePack, writeRealPack } from './extract-corpus.js';
import { decodeSource, getParser, parseSource } from '../src/extract/python.js';

const flag = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const PACKS = flag('--packs', 272);
const REAL = flag('--real', 24);
const ROUNDS = flag('--rounds', 3);

function pyFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.py'))
    .sort()
    .map((f) => join(dir, f));
}

interface Pack {
  dir: string;
  files: string[];
  bytes: number;
  extract: number[];
  parse: number[];
  nodes: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Times every pack ROUNDS times both ways: extractPack on its folder (read, parse, evaluate, build
 * the bodies) and reading + parsing its .py files with the same parser. The order alternates per
 * round so neither gets the warm JIT or the quiet machine alone; each pack keeps its medians.
 */
async function measure(packs: Pack[]): Promise<void> {
  const parser = await getParser();
  const extract = async (p: Pack): Promise<void> => {
    const t = performance.now();
    const r = await extractPack({ dir: p.dir });
    p.extract.push(performance.now() - t);
    if (!r.body.success) throw new Error(`bench pack ${p.dir} failed: ${r.body.reason}`);
    p.nodes = Object.keys(r.body.nodes).length;
  };
  const parse = (p: Pack): void => {
    const t = performance.now();
    for (const f of p.files) parseSource(parser, decodeSource(readFileSync(f))!).delete();
    p.parse.push(performance.now() - t);
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const p of packs) {
      if (round % 2 === 0) {
        parse(p);
        await extract(p);
      } else {
        await extract(p);
        parse(p);
      }
    }
  }
}

function report(name: string, packs: Pack[]): void {
  const mb = packs.reduce((s, p) => s + p.bytes, 0) / 1e6;
  const ext = packs.reduce((s, p) => s + median(p.extract), 0);
  const par = packs.reduce((s, p) => s + median(p.parse), 0);
  const ratios = packs.map((p) => ({ p, ratio: median(p.extract) / median(p.parse) })).sort((a, b) => a.ratio - b.ratio);
  const worst = ratios[ratios.length - 1]!;
  const files = packs.reduce((s, p) => s + p.files.length, 0);
  const nodes = packs.reduce((s, p) => s + p.nodes, 0);
  console.log(
    `${name}: ${packs.length} packs, ${files} Python files, ${mb.toFixed(1)} MB, ${nodes} comfy nodes (largest pack ${(Math.max(...packs.map((p) => p.bytes)) / 1e6).toFixed(1)} MB)`,
  );
  console.log(
    `  extraction ${(ext / 1000).toFixed(2)} s (${(mb / (ext / 1000)).toFixed(1)} MB/s), parse only ${(par / 1000).toFixed(2)} s (${(mb / (par / 1000)).toFixed(1)} MB/s), total ratio ${(ext / par).toFixed(2)}x`,
  );
  console.log(
    `  per pack extraction/parse-only: median ${median(ratios.map((x) => x.ratio)).toFixed(2)}x (target <= 1.5x), slowest ${worst.ratio.toFixed(2)}x (target <= 5x): ${worst.p.dir.split('/').pop()} (${(worst.p.bytes / 1e6).toFixed(2)} MB, ${median(worst.p.extract).toFixed(1)} ms vs ${median(worst.p.parse).toFixed(1)} ms)`,
  );
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'comfyreg-bench-'));
  try {
    const load = (dir: string): Pack => {
      const files = pyFiles(dir);
      return { dir, files, bytes: files.reduce((s, f) => s + statSync(f).size, 0), extract: [], parse: [], nodes: 0 };
    };
    const corpora: [string, Pack[]][] = [];
    if (PACKS > 0) {
      const packs: Pack[] = [];
      for (let p = 0; p < PACKS; p++) {
        writePack(join(root, `pack${p}`), p);
        packs.push(load(join(root, `pack${p}`)));
      }
      corpora.push([`patterns corpus`, packs]);
    }
    if (REAL > 0) {
      const packs: Pack[] = [];
      realShapes(REAL).forEach((shape, p) => {
        writeRealPack(join(root, `real${p}`), p, shape);
        packs.push(load(join(root, `real${p}`)));
      });
      corpora.push([`real-sized corpus`, packs]);
    }
    for (const [, packs] of corpora) await measure(packs);
    for (const [name, packs] of corpora) report(name, packs);
    console.log(`medians of ${ROUNDS} alternating rounds`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
