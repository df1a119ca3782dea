/**
 * Generates src/extract/comfyui-table.generated.ts: the names and values of ComfyUI itself that
 * packs import (sampler and scheduler lists, MAX_RESOLUTION, the IO type enum, the V1 attributes
 * of the core node classes in nodes.py), read from a ComfyUI checkout with the extractor's own
 * parser and static evaluator. No ComfyUI code is copied or run; only data values are written.
 *
 *   npx tsx scripts/gen-comfyui-table.ts <ComfyUI checkout> [--release vX.Y.Z] [--commit SHA] [--out FILE]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TableClass, TableEnum, TableJson } from '../src/extract/comfyui.js';
import { PyRaise } from '../src/extract/interp.js';
import { PackInterp } from '../src/extract/modules.js';
import { getParser } from '../src/extract/python.js';
import { callClassMethod } from '../src/extract/v1.js';
import { type ClassObj, type Value, isObj, plain } from '../src/extract/values.js';

const FILES = ['nodes.py', 'comfy/samplers.py', 'comfy/comfy_types/__init__.py', 'comfy/comfy_types/node_typing.py'];
const MODULES = ['nodes', 'comfy.samplers', 'comfy.comfy_types', 'comfy.comfy_types.node_typing'];
/** The V1 attributes ComfyUI's /object_info reads, plus what subclasses commonly reuse. */
const NODE_ATTRS = [
  'INPUT_TYPES',
  'RETURN_TYPES',
  'RETURN_NAMES',
  'OUTPUT_IS_LIST',
  'OUTPUT_NODE',
  'CATEGORY',
  'DESCRIPTION',
  'FUNCTION',
  'DEPRECATED',
  'EXPERIMENTAL',
  'INPUT_IS_LIST',
  'OUTPUT_TOOLTIPS',
  'API_NODE',
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const isUpper = (name: string): boolean => /^[A-Z][A-Z0-9_]*$/.test(name);

/** A value as table JSON; what is only known at run time becomes an `$unknown` marker. */
function toTable(v: Value, depth = 0): TableJson {
  if (depth > 64) return { $unknown: 'nested too deeply' };
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : { $unknown: 'not a finite number' };
  if (typeof v === 'bigint') return { $int: v.toString() };
  switch (v.t) {
    case 'list': {
      const items = v.items.map((x) => toTable(x, depth + 1));
      return v.tuple ? { $tuple: items } : items;
    }
    case 'dict': {
      const out: { [k: string]: TableJson } = {};
      for (const [k, x] of v.entries.values()) {
        const key = plain(k);
        if (typeof key === 'string') out[key] = toTable(x, depth + 1);
      }
      return out;
    }
    case 'set':
      return { $tuple: [...v.entries.values()].map((x) => toTable(x, depth + 1)) };
    case 'obj': {
      const p = plain(v);
      if (p !== v) return toTable(p, depth + 1);
      return { $unknown: `a ${v.kind} object` };
    }
    case 'unknown':
      return { $unknown: v.reason };
    case 'ext':
      return { $unknown: `${v.path} is only known at run time` };
    default:
      return { $unknown: `a ${v.t} value` };
  }
}

const hasUnknown = (j: TableJson): boolean =>
  j !== null && typeof j === 'object' && (Array.isArray(j) ? j.some(hasUnknown) : '$unknown' in j || Object.values(j).some(hasUnknown));

async function main(): Promise<void> {
  const root = process.argv[2];
  if (!root || root.startsWith('-') || !existsSync(join(root, 'nodes.py'))) {
    process.stderr.write('usage: npx tsx scripts/gen-comfyui-table.ts <ComfyUI checkout> [--release vX.Y.Z] [--commit SHA] [--out FILE]\n');
    process.exit(2);
  }
  const version = /__version__\s*=\s*"([^"]+)"/.exec(readFileSync(join(root, 'comfyui_version.py'), 'utf8'))?.[1];
  const release = arg('--release') ?? (version ? `v${version}` : 'unknown');
  let commit = arg('--commit');
  if (!commit) {
    try {
      commit = execFileSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    } catch {
      commit = 'unknown';
    }
  }
  const sources = new Map(FILES.map((f) => [f, readFileSync(join(root, f))]));
  const interp = new PackInterp(await getParser(), { sources, paths: FILES, name: '', comfyui: true });
  const values: Record<string, TableJson> = {};
  const enums: Record<string, TableEnum> = {};
  const classes: Record<string, TableClass> = {};
  const aliases: Record<string, string> = {};
  const canonical = new Map<ClassObj, string>();
  try {
    interp.loadModule('nodes');
    for (const key of MODULES) {
      const m = interp.loadModule(key);
      if (!m) throw new Error(`module ${key} not found in ${root}`);
      for (const [name, lazy] of m.ns) {
        const v = interp.force(lazy);
        if (name.startsWith('_')) continue;
        const path = `${key}.${name}`;
        if (isObj(v) && v.t === 'class') {
          if (!MODULES.includes(v.module.name)) continue;
          const home = `${v.module.name}.${v.name}`;
          if (path !== home) {
            aliases[path] = home;
            continue;
          }
          canonical.set(v, home);
          if (v.enumMembers) {
            const first = v.enumMembers[0];
            enums[home] = {
              mixin: (first?.attrs.get('__mixin') as 'str' | 'int' | null) ?? null,
              strIsValue: first?.attrs.get('__str') === 'value',
              members: v.enumMembers.map((e) => [e.attrs.get('name') as string, toTable(e.attrs.get('value')!)]),
            };
          } else {
            const attrs = classAttrs(interp, v, key === 'nodes');
            if (attrs) classes[home] = attrs;
          }
        } else if (isUpper(name) && (!isObj(v) || v.t === 'list' || v.t === 'set')) {
          // Dicts at module level are registries ComfyUI fills at run time (mappings, web dirs).
          const j = toTable(v);
          if (!hasUnknown(j)) values[path] = j;
        }
      }
    }
  } finally {
    interp.dispose();
  }
  for (const [path, home] of Object.entries(aliases)) if (!(home in enums) && !(home in classes)) delete aliases[path];
  const out = render(release, commit, values, enums, classes, aliases);
  const file = arg('--out');
  if (file) writeFileSync(file, out);
  else process.stdout.write(out);
}

/** Data attributes of a class; for node classes of nodes.py the V1 attributes, INPUT_TYPES() included. */
function classAttrs(interp: PackInterp, cls: ClassObj, nodesModule: boolean): TableClass | null {
  const isNode = nodesModule && interp.classAttr(cls, 'INPUT_TYPES') !== undefined;
  const names = new Set<string>();
  for (let c: ClassObj | undefined = cls; c;) {
    for (const n of c.body.keys()) if (!n.startsWith('__')) names.add(n);
    const base: ClassObj | undefined = (c.bases ?? []).find((b): b is ClassObj => isObj(b) && b.t === 'class');
    c = base;
  }
  const out: TableClass = {};
  for (const name of [...names].sort()) {
    if (!isNode && !isUpper(name)) continue;
    let v: Value | undefined;
    if (name === 'INPUT_TYPES') {
      try {
        v = callClassMethod(interp, cls, 'INPUT_TYPES');
      } catch (e) {
        if (!(e instanceof PyRaise)) throw e;
        v = { t: 'unknown', reason: `INPUT_TYPES() raised ${e.excType}`, file: '', line: 0 };
      }
    } else v = interp.classAttr(cls, name);
    if (v === undefined || (isObj(v) && (v.t === 'func' || v.t === 'bound' || v.t === 'class' || v.t === 'builtin'))) continue;
    if (!isNode && !NODE_ATTRS.includes(name) && hasUnknown(toTable(v))) continue;
    out[name] = toTable(v);
  }
  const typed = (cls.bases ?? []).some((b) => isObj(b) && b.t === 'ext' && /TypedDict|NamedTuple|Protocol/.test(b.path));
  if (typed) return null;
  return isNode || Object.keys(out).length > 0 || cls.module.name === 'comfy.comfy_types.node_typing' ? out : null;
}

function render(release: string, commit: string, values: object, enums: object, classes: object, aliases: object): string {
  const block = (o: object): string => {
    const entries = Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return entries.length === 0
      ? '{}'
      : '{\n' + entries.map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`).join('\n') + '\n}';
  };
  return `// Generated by scripts/gen-comfyui-table.ts from ComfyUI ${release} (commit ${commit}). Do not edit.
// Regenerate: npx tsx scripts/gen-comfyui-table.ts <ComfyUI checkout at ${release}> --out src/extract/comfyui-table.generated.ts
// Names and values only: sampler and scheduler lists, constants, the IO enum, core node attributes.
import type { TableClass, TableEnum, TableJson } from './comfyui.js';

export const COMFYUI_RELEASE = ${JSON.stringify(release)};
export const COMFYUI_COMMIT = ${JSON.stringify(commit)};

export const COMFYUI_VALUES: Record<string, TableJson> = ${block(values)};

export const COMFYUI_ENUMS: Record<string, TableEnum> = ${block(enums)};

export const COMFYUI_CLASSES: Record<string, TableClass> = ${block(classes)};

export const COMFYUI_ALIASES: Record<string, string> = ${block(aliases)};
`;
}

await main();
