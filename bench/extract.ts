/**
 * Extraction benchmark: generates two deterministic corpora of node packs — many small packs
 * mixing the registration patterns src/extract understands, and real-sized packs (bench/
 * extract-corpus.ts: MBs of implementation code, deep package trees, star-import chains) — then
 * times, per pack, extraction against only parsing the same files with tree-sitter.
 *
 *   node --import tsx bench/extract.ts [--packs 272] [--real 24] [--rounds 3]
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractPack } from '../src/extract/index.js';
import { realShapes, rng, writeRealPack } from './extract-corpus.js';
import { decodeSource, getParser, parseSource } from '../src/extract/python.js';

const flag = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const PACKS = flag('--packs', 272);
const REAL = flag('--real', 24);
const ROUNDS = flag('--rounds', 3);
const CLASSES_PER_MODULE = 6;
const MODULES_PER_PACK = 4;

/** Implementation code: what most of a real pack is, parsed but never reached by evaluation. */
function filler(r: () => number, name: string): string {
  const lines = [`def ${name}(image, mask=None, strength=1.0):`, '    """Process the tensors."""', '    result = image.clone()'];
  const n = 5 + Math.floor(r() * 10);
  for (let i = 0; i < n; i++) {
    lines.push(`    tmp_${i} = torch.nn.functional.interpolate(result, scale_factor=${(r() * 4).toFixed(3)}, mode="bilinear")`);
    lines.push(`    if tmp_${i}.shape[-1] > ${Math.floor(r() * 4096)}:`);
    lines.push(`        result = (result * ${r().toFixed(4)} + tmp_${i}[..., :result.shape[-1]] * strength).clamp(0, 1)`);
  }
  lines.push('    return result', '');
  return lines.join('\n');
}

function nodeClass(r: () => number, cls: string, base = ''): string {
  const types = ['IMAGE', 'MASK', 'LATENT', 'MODEL', 'CONDITIONING', 'STRING', 'INT', 'FLOAT'];
  const pick = (): string => types[Math.floor(r() * types.length)]!;
  return `
class ${cls}${base ? `(${base})` : ''}:
    DESCRIPTION = "Node ${cls} of the benchmark corpus."

    @classmethod
    def INPUT_TYPES(cls):
        modes = ["fast", "slow", "exact"]
        return {
            "required": {
                "image": ("IMAGE",),
                "strength": ("FLOAT", {"default": ${r().toFixed(2)}, "min": 0.0, "max": 10.0, "step": 0.01}),
                "size": ("INT", {"default": 512, "min": 64, "max": MAX_RESOLUTION, "step": 8}),
                "mode": (modes, {"default": modes[0]}),
                "ckpt": (folder_paths.get_filename_list("checkpoints"),),
            },
            "optional": {"mask": ("MASK",), **COMMON_OPTIONAL},
        }

    RETURN_TYPES = ("${pick()}", "${pick()}")
    RETURN_NAMES = ("out_a", "out_b")
    FUNCTION = "run"
    CATEGORY = f"{PREFIX}/generated"

    def run(self, image, strength, size, mode, ckpt, mask=None, **kwargs):
        return (process_${cls}(image, mask, strength), None)

${filler(r, `process_${cls}`)}`;
}

function modulePy(r: () => number, pack: number, mod: number, style: number): { text: string; names: string[] } {
  const head = `import torch\nimport folder_paths\nfrom nodes import MAX_RESOLUTION\nfrom ..common import PREFIX, COMMON_OPTIONAL\n`;
  const names: string[] = [];
  let body = '';
  for (let c = 0; c < CLASSES_PER_MODULE; c++) {
    const cls = `P${pack}M${mod}C${c}`;
    names.push(cls);
    body += nodeClass(r, cls, c % 3 === 2 ? `P${pack}M${mod}C${c - 1}` : '');
  }
  let tail: string;
  if (style === 0) tail = `NODE_CLASS_MAPPINGS = {${names.map((n) => `"${n}": ${n}`).join(', ')}}\n`;
  else if (style === 1) tail = `NODE_CLASS_MAPPINGS = {}\n${names.map((n) => `NODE_CLASS_MAPPINGS["${n}"] = ${n}`).join('\n')}\n`;
  else tail = `NODE_CLASS_MAPPINGS = {f"{c.__name__}|bench": c for c in [${names.join(', ')}]}\n`;
  return { text: head + body + '\n' + tail + `NODE_DISPLAY_NAME_MAPPINGS = {k: k.upper() for k in NODE_CLASS_MAPPINGS}\n`, names };
}

function writePack(dir: string, pack: number): void {
  const r = rng(pack + 1);
  const style = pack % 4;
  mkdirSync(join(dir, 'nodes'), { recursive: true });
  writeFileSync(join(dir, 'common.py'), `PREFIX = "bench${pack}"\nCOMMON_OPTIONAL = {"seed": ("INT", {"default": 0, "min": 0, "max": 0xffffffffffffffff})}\n`);
  writeFileSync(join(dir, 'nodes', '__init__.py'), '');
  for (let m = 0; m < MODULES_PER_PACK; m++) writeFileSync(join(dir, 'nodes', `mod${m}.py`), modulePy(r, pack, m, (pack + m) % 3).text);
  let init: string;
  if (style === 3) {
    init = `import importlib, os\nNODE_CLASS_MAPPINGS = {}\nNODE_DISPLAY_NAME_MAPPINGS = {}\nfor f in sorted(os.listdir(os.path.join(os.path.dirname(__file__), "nodes"))):\n    if f.endswith(".py") and not f.startswith("_"):\n        m = importlib.import_module(f".nodes.{f[:-3]}", __name__)\n        NODE_CLASS_MAPPINGS.update(m.NODE_CLASS_MAPPINGS)\n        NODE_DISPLAY_NAME_MAPPINGS.update(m.NODE_DISPLAY_NAME_MAPPINGS)\n`;
  } else {
    const mods = Array.from({ length: MODULES_PER_PACK }, (_, m) => `mod${m}`);
    init = `from .nodes import ${mods.join(', ')}\n` + (style === 0
      ? `NODE_CLASS_MAPPINGS = {${mods.map((m) => `**${m}.NODE_CLASS_MAPPINGS`).join(', ')}}\nNODE_DISPLAY_NAME_MAPPINGS = {${mods.map((m) => `**${m}.NODE_DISPLAY_NAME_MAPPINGS`).join(', ')}}\n`
      : `NODE_CLASS_MAPPINGS = {}\nNODE_DISPLAY_NAME_MAPPINGS = {}\nfor m in [${mods.join(', ')}]:\n    NODE_CLASS_MAPPINGS.update(m.NODE_CLASS_MAPPINGS)\n    NODE_DISPLAY_NAME_MAPPINGS.update(m.NODE_DISPLAY_NAME_MAPPINGS)\n`);
  }
  writeFileSync(join(dir, '__init__.py'), init);
}

function pyFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.py')).sort().map((f) => join(dir, f));
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
  console.log(`${name}: ${packs.length} packs, ${files} Python files, ${mb.toFixed(1)} MB, ${nodes} comfy nodes (largest pack ${(Math.max(...packs.map((p) => p.bytes)) / 1e6).toFixed(1)} MB)`);
  console.log(`  extraction ${(ext / 1000).toFixed(2)} s (${(mb / (ext / 1000)).toFixed(1)} MB/s), parse only ${(par / 1000).toFixed(2)} s (${(mb / (par / 1000)).toFixed(1)} MB/s), total ratio ${(ext / par).toFixed(2)}x`);
  console.log(`  per pack extraction/parse-only: median ${median(ratios.map((x) => x.ratio)).toFixed(2)}x (target <= 1.5x), slowest ${worst.ratio.toFixed(2)}x (target <= 5x): ${worst.p.dir.split('/').pop()} (${(worst.p.bytes / 1e6).toFixed(2)} MB, ${median(worst.p.extract).toFixed(1)} ms vs ${median(worst.p.parse).toFixed(1)} ms)`);
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
