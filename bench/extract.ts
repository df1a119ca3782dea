/**
 * Extraction benchmark: generates a deterministic corpus of node packs (mixing the patterns
 * src/extract understands), extracts every pack, then only parses the same files with
 * tree-sitter, and prints packs/s, MB/s and the extraction/parse-only ratio.
 *
 *   node --import tsx bench/extract.ts [packs=272] [rounds=3]
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractPack } from '../src/extract/index.js';
import { decodeSource, getParser, parseSource } from '../src/extract/python.js';

const PACKS = Number(process.argv[2] ?? 272);
const ROUNDS = Number(process.argv[3] ?? 3);
const CLASSES_PER_MODULE = 6;
const MODULES_PER_PACK = 4;

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
  writeFileSync(
    join(dir, 'common.py'),
    `PREFIX = "bench${pack}"\nCOMMON_OPTIONAL = {"seed": ("INT", {"default": 0, "min": 0, "max": 0xffffffffffffffff})}\n`,
  );
  writeFileSync(join(dir, 'nodes', '__init__.py'), '');
  for (let m = 0; m < MODULES_PER_PACK; m++) writeFileSync(join(dir, 'nodes', `mod${m}.py`), modulePy(r, pack, m, (pack + m) % 3).text);
  let init: string;
  if (style === 3) {
    init = `import importlib, os\nNODE_CLASS_MAPPINGS = {}\nNODE_DISPLAY_NAME_MAPPINGS = {}\nfor f in sorted(os.listdir(os.path.join(os.path.dirname(__file__), "nodes"))):\n    if f.endswith(".py") and not f.startswith("_"):\n        m = importlib.import_module(f".nodes.{f[:-3]}", __name__)\n        NODE_CLASS_MAPPINGS.update(m.NODE_CLASS_MAPPINGS)\n        NODE_DISPLAY_NAME_MAPPINGS.update(m.NODE_DISPLAY_NAME_MAPPINGS)\n`;
  } else {
    const mods = Array.from({ length: MODULES_PER_PACK }, (_, m) => `mod${m}`);
    init =
      `from .nodes import ${mods.join(', ')}\n` +
      (style === 0
        ? `NODE_CLASS_MAPPINGS = {${mods.map((m) => `**${m}.NODE_CLASS_MAPPINGS`).join(', ')}}\nNODE_DISPLAY_NAME_MAPPINGS = {${mods.map((m) => `**${m}.NODE_DISPLAY_NAME_MAPPINGS`).join(', ')}}\n`
        : `NODE_CLASS_MAPPINGS = {}\nNODE_DISPLAY_NAME_MAPPINGS = {}\nfor m in [${mods.join(', ')}]:\n    NODE_CLASS_MAPPINGS.update(m.NODE_CLASS_MAPPINGS)\n    NODE_DISPLAY_NAME_MAPPINGS.update(m.NODE_DISPLAY_NAME_MAPPINGS)\n`);
  }
  writeFileSync(join(dir, '__init__.py'), init);
}

function pyFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.py'))
    .sort()
    .map((f) => join(dir, f));
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'comfyreg-bench-'));
  try {
    const dirs: string[] = [];
    for (let p = 0; p < PACKS; p++) {
      const dir = join(root, `pack${p}`);
      writePack(dir, p);
      dirs.push(dir);
    }
    const files = dirs.flatMap(pyFiles);
    const bytes = files.reduce((s, f) => s + statSync(f).size, 0);
    const parser = await getParser();

    let nodes = 0;
    const extractAll = async () => {
      nodes = 0;
      for (const dir of dirs) {
        const r = await extractPack({ dir });
        if (!r.body.success) throw new Error(`bench pack ${dir} failed: ${r.body.reason}`);
        nodes += Object.keys(r.body.nodes).length;
      }
    };
    const parseAll = async () => {
      for (const f of files) parseSource(parser, decodeSource(readFileSync(f))!).delete();
    };
    const timed = async (f: () => Promise<void>) => {
      const t = performance.now();
      await f();
      return performance.now() - t;
    };
    // Alternate the two over ROUNDS rounds and keep each one's median: neither gets the warm JIT
    // or the quiet machine alone.
    const extractRuns: number[] = [];
    const parseRuns: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        parseRuns.push(await timed(parseAll));
        extractRuns.push(await timed(extractAll));
      } else {
        extractRuns.push(await timed(extractAll));
        parseRuns.push(await timed(parseAll));
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const extractMs = median(extractRuns);
    const parseMs = median(parseRuns);

    const mb = bytes / 1e6;
    console.log(`corpus: ${PACKS} packs, ${files.length} Python files, ${mb.toFixed(1)} MB, ${nodes} comfy nodes`);
    console.log(
      `extraction: ${(extractMs / 1000).toFixed(2)} s  ${(PACKS / (extractMs / 1000)).toFixed(1)} packs/s  ${(mb / (extractMs / 1000)).toFixed(1)} MB/s`,
    );
    console.log(
      `parse only: ${(parseMs / 1000).toFixed(2)} s  ${(PACKS / (parseMs / 1000)).toFixed(1)} packs/s  ${(mb / (parseMs / 1000)).toFixed(1)} MB/s`,
    );
    console.log(
      `ratio extraction/parse-only: ${(extractMs / parseMs).toFixed(2)}x (target <= 2x), medians of ${ROUNDS} alternating rounds`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
