/**
 * A corpus of real-sized packs for bench/extract.ts: mostly implementation code (large modules of
 * plain functions and classes), deep package trees, chains of star imports, and node declarations
 * spread over a few modules, the way big packs are laid out. Deterministic; no third-party code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

// The patterns corpus: many small packs, each registration pattern the extractor follows.
const CLASSES_PER_MODULE = 6;
const MODULES_PER_PACK = 4;

/** One plain function of the kind image/model packs are full of. */
function implFunction(r: () => number, name: string): string {
  const lines = [
    `def ${name}(tensor, mask=None, strength: float = 1.0, *, mode="${pick(r, ['bilinear', 'bicubic', 'nearest'])}", **kwargs):`,
    `    """${pick(r, ['Blend', 'Resample', 'Normalise', 'Warp', 'Filter'])} the tensor.`,
    '',
    '    Args:',
    '        tensor: input of shape [B, H, W, C].',
    '        mask: optional mask of shape [B, H, W].',
    '    """',
    '    if tensor is None:',
    '        raise ValueError("tensor is required")',
    '    b, h, w, c = tensor.shape',
    '    out = tensor.clone()',
  ];
  const n = 6 + Math.floor(r() * 14);
  for (let i = 0; i < n; i++) {
    switch (Math.floor(r() * 6)) {
      case 0:
        lines.push(
          `    out = torch.nn.functional.interpolate(out.movedim(-1, 1), scale_factor=${(r() * 2).toFixed(3)}, mode=mode).movedim(1, -1)`,
        );
        break;
      case 1:
        lines.push(
          `    weights = [math.exp(-((k - ${Math.floor(r() * 9)}) ** 2) / ${(1 + r() * 4).toFixed(2)}) for k in range(${3 + Math.floor(r() * 9)})]`,
          '    total = sum(weights)',
          '    weights = [x / total for x in weights]',
        );
        break;
      case 2:
        lines.push(
          '    if mask is not None:',
          `        out = out * (1 - mask.unsqueeze(-1) * ${r().toFixed(3)}) + tensor * mask.unsqueeze(-1)`,
          '    else:',
          `        out = out.clamp(0, ${(1 + r()).toFixed(2)})`,
        );
        break;
      case 3:
        lines.push(`    for i in range(b):`, `        out[i] = out[i] * strength + ${r().toFixed(4)} * torch.randn_like(out[i])`);
        break;
      case 4:
        lines.push(
          '    try:',
          `        out = kornia.filters.gaussian_blur2d(out, (${1 + 2 * Math.floor(r() * 5)}, ${1 + 2 * Math.floor(r() * 5)}), (${r().toFixed(2)}, ${r().toFixed(2)}))`,
          '    except Exception as e:',
          `        logger.warning(f"blur failed: {e}")`,
        );
        break;
      default:
        lines.push(
          `    stats = {"mean": float(out.mean()), "std": float(out.std()), "max": float(out.max()), "step": ${i}}`,
          '    logger.debug("stats %s", stats)',
        );
    }
  }
  lines.push('    return out', '', '');
  return lines.join('\n');
}

/** A class with methods, as model wrappers and helpers are written. */
function implClass(r: () => number, name: string): string {
  const lines = [
    `class ${name}(torch.nn.Module):`,
    `    """A ${pick(r, ['block', 'layer', 'wrapper', 'cache'])} used by the nodes."""`,
    '',
    `    scale = ${r().toFixed(3)}`,
    '',
  ];
  lines.push(
    '    def __init__(self, channels=64, depth=4, **kwargs):',
    '        super().__init__()',
    '        self.channels = channels',
    '        self.layers = torch.nn.ModuleList([torch.nn.Conv2d(channels, channels, 3, padding=1) for _ in range(depth)])',
    '',
  );
  const methods = 2 + Math.floor(r() * 5);
  for (let m = 0; m < methods; m++) {
    lines.push(
      `    def step_${m}(self, x, t=None):`,
      '        for layer in self.layers:',
      `            x = torch.nn.functional.silu(layer(x)) * self.scale + ${r().toFixed(3)}`,
      '        if t is not None:',
      '            x = x + t.view(-1, 1, 1, 1)',
      '        return x',
      '',
    );
  }
  lines.push('    @torch.no_grad()', '    def forward(self, x):', `        return self.step_0(x)`, '', '');
  return lines.join('\n');
}

/** A large implementation module (tens of kB): imports, a constant table, functions and classes. */
function implModule(r: () => number, prefix: string, kb: number, star: string[]): string {
  let text = `"""Implementation module ${prefix}."""\nimport logging\nimport math\nimport os\n\nimport torch\nimport numpy as np\nimport kornia\n`;
  for (const s of star) text += `from ${s} import *\n`;
  text += `\nlogger = logging.getLogger(__name__)\n__all__ = []\n\n`;
  text += `_TABLE_${prefix.toUpperCase()} = [${Array.from({ length: 64 }, () => r().toFixed(5)).join(', ')}]\n\n`;
  let i = 0;
  while (text.length < kb * 1024) {
    const name = `${prefix}_${i++}`;
    text += r() < 0.75 ? implFunction(r, name) : implClass(r, `${prefix[0]!.toUpperCase()}${prefix.slice(1)}${i}`);
    if (r() < 0.3) text += `__all__.append("${name}")\n\n`;
  }
  text += 'if __name__ == "__main__":\n    print(len(__all__))\n';
  return text;
}

/** Node declarations: V1 classes whose INPUT_TYPES reference constants from the star imports. */
function nodeModule(r: () => number, pack: number, mod: number, count: number, star: string[]): { text: string } {
  const types = ['IMAGE', 'MASK', 'LATENT', 'MODEL', 'CONDITIONING', 'STRING', 'INT', 'FLOAT'];
  let text = 'import folder_paths\nfrom nodes import MAX_RESOLUTION\n';
  for (const s of star) text += `from ${s} import *\n`;
  text += '\n';
  const names: string[] = [];
  for (let c = 0; c < count; c++) {
    const cls = `Real${pack}N${mod}x${c}`;
    names.push(cls);
    text += `
class ${cls}:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "image": ("IMAGE",),
                "strength": ("FLOAT", {"default": ${r().toFixed(2)}, "min": 0.0, "max": 4.0, "step": 0.01}),
                "size": ("INT", {"default": 512, "min": 16, "max": MAX_RESOLUTION, "step": 8}),
                "mode": (MODES, {"default": MODES[0]}),
                "model": (folder_paths.get_filename_list("checkpoints"),),
            },
            "optional": {"mask": ("MASK",)},
        }

    RETURN_TYPES = ("${pick(r, types)}",)
    FUNCTION = "run"
    CATEGORY = CATEGORY_PREFIX + "/${pick(r, ['filters', 'masks', 'latent', 'utils'])}"

    def run(self, image, strength, size, mode, model, mask=None):
        return (impl_entry(image, mask, strength),)
`;
  }
  text += `\nNODE_CLASS_MAPPINGS = {${names.map((n) => `"${n}": ${n}`).join(', ')}}\n`;
  text += `NODE_DISPLAY_NAME_MAPPINGS = {k: k.replace("Real", "Real ") for k in NODE_CLASS_MAPPINGS}\n`;
  return { text };
}

export interface RealPackShape {
  nodes: number;
  implModules: number;
  implKb: number;
  depth: number;
}

/** Pack shapes from a few dozen nodes and ~0.3 MB up to 300 nodes and several MB. */
export function realShapes(count: number): RealPackShape[] {
  const r = rng(4242);
  return Array.from({ length: count }, (_, i) => {
    const big = i % 4 === 0;
    return {
      nodes: big ? 150 + Math.floor(r() * 150) : 10 + Math.floor(r() * 60),
      implModules: big ? 30 + Math.floor(r() * 20) : 6 + Math.floor(r() * 14),
      implKb: big ? 60 + Math.floor(r() * 80) : 20 + Math.floor(r() * 40),
      depth: 2 + Math.floor(r() * 4),
    };
  });
}

/** Writes one real-sized pack: __init__ → node modules → star-import chain → deep implementation tree. */
export function writeRealPack(dir: string, pack: number, shape: RealPackShape): void {
  const r = rng(1000 + pack);
  const put = (rel: string, text: string): void => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  const pkgPath = Array.from({ length: shape.depth }, (_, d) => `lvl${d}`);
  for (let d = 0; d <= shape.depth; d++)
    put([...pkgPath.slice(0, d), '__init__.py'].join('/'), d === 0 ? '' : `from .${d < shape.depth ? pkgPath[d] : 'ops0'} import *\n`);
  const implNames: string[] = [];
  for (let m = 1; m < shape.implModules; m++) {
    const name = `ops${m}`;
    implNames.push(name);
    const star = m + 1 < shape.implModules && m % 3 === 0 ? [`.ops${m + 1}`] : m === 1 ? ['.ops0'] : [];
    put([...pkgPath, `${name}.py`].join('/'), implModule(r, `p${pack}m${m}`, shape.implKb * (0.5 + r()), star));
  }
  // A data module: a large literal table (colour maps, token lists), read by one implementation module.
  const table = Array.from({ length: Math.floor(shape.implKb * 60) }, (_, i) => r().toFixed(6) + (i % 12 === 11 ? ',\n' : ', ')).join('');
  const names = Array.from({ length: 400 }, (_, i) => `"n${i}": ${i}`).join(', ');
  put([...pkgPath, 'tables.py'].join('/'), `LUT = [\n${table}]\nNAMES = {${names}}\n`);
  put([...pkgPath, 'ops0.py'].join('/'), 'from .tables import LUT, NAMES\n' + implModule(r, `p${pack}m0`, shape.implKb, []));
  put('core/__init__.py', ['ops0', ...implNames].map((n) => `from ..${pkgPath.join('.')}.${n} import *`).join('\n') + '\n');
  put('core/constants.py', `MODES = ["fast", "balanced", "quality"]\nCATEGORY_PREFIX = "real${pack}"\n`);
  put('core/entry.py', `from .constants import *\n\n\ndef impl_entry(image, mask, strength):\n    return image\n`);
  const perModule = 25;
  const mods = Math.ceil(shape.nodes / perModule);
  for (let m = 0; m < mods; m++) {
    const count = Math.min(perModule, shape.nodes - m * perModule);
    put(`nodes/n${m}.py`, nodeModule(r, pack, m, count, ['..core', '..core.constants', '..core.entry']).text);
  }
  put('nodes/__init__.py', '');
  put(
    '__init__.py',
    `from .nodes import ${Array.from({ length: mods }, (_, m) => `n${m}`).join(', ')}\n\nNODE_CLASS_MAPPINGS = {}\nNODE_DISPLAY_NAME_MAPPINGS = {}\nfor m in [${Array.from({ length: mods }, (_, m) => `n${m}`).join(', ')}]:\n    NODE_CLASS_MAPPINGS.update(m.NODE_CLASS_MAPPINGS)\n    NODE_DISPLAY_NAME_MAPPINGS.update(m.NODE_DISPLAY_NAME_MAPPINGS)\n\nWEB_DIRECTORY = "./js"\n`,
  );
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

export function writePack(dir: string, pack: number): void {
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
