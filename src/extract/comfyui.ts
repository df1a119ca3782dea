import { COMFYUI_ALIASES, COMFYUI_CLASSES, COMFYUI_ENUMS, COMFYUI_RELEASE, COMFYUI_VALUES } from './comfyui-table.generated.js';
import { makeMember } from './enums.js';
import { type ClassObj, type ModuleObj, type PyDict, type Value, dictSet, list, tuple, unknown } from './values.js';

/**
 * ComfyUI's own names and values (`comfy.samplers.KSampler.SAMPLERS`, `nodes.MAX_RESOLUTION`, the
 * `IO` enum, the attributes of the core node classes packs subclass), read from the table that
 * scripts/gen-comfyui-table.ts generates from a pinned ComfyUI release.
 */

/** JSON with markers for what JSON cannot say: `{"$tuple": [...]}`, `{"$int": "digits"}`, `{"$unknown": "reason"}`. */
export type TableJson = null | boolean | number | string | TableJson[] | { [k: string]: TableJson };

export interface TableEnum {
  mixin: 'str' | 'int' | null;
  strIsValue: boolean;
  members: [string, TableJson][];
}

/** Attribute values of a class; INPUT_TYPES holds what `INPUT_TYPES()` returns. */
export type TableClass = Record<string, TableJson>;

/** The INPUT_TYPES classmethods of table classes, callable without a call site. */
const inputTypesCalls = new WeakMap<object, () => Value>();

export function tableInputTypes(v: Value): (() => Value) | undefined {
  return v !== null && typeof v === 'object' ? inputTypesCalls.get(v) : undefined;
}

/** A table value as a fresh interpreter value (fresh, so a pack mutating it changes only its copy). */
export function fromTable(j: TableJson, where: string): Value {
  if (j === null || typeof j !== 'object') return j;
  if (Array.isArray(j)) return list(j.map((x) => fromTable(x, where)));
  const keys = Object.keys(j);
  if (keys.length === 1 && keys[0]!.startsWith('$')) {
    const inner = j[keys[0]!]!;
    if (keys[0] === '$tuple' && Array.isArray(inner)) return tuple(inner.map((x) => fromTable(x, where)));
    if (keys[0] === '$int' && typeof inner === 'string') return BigInt(inner);
    if (keys[0] === '$unknown' && typeof inner === 'string') return unknown(`${inner} (${where}, ComfyUI ${COMFYUI_RELEASE})`, '', 0);
  }
  const d: PyDict = { t: 'dict', entries: new Map() };
  for (const k of keys) dictSet(d, k, fromTable(j[k]!, where));
  return d;
}

function canonical(path: string): string {
  return COMFYUI_ALIASES[path] ?? path;
}

export function isComfyPath(path: string): boolean {
  const p = canonical(path);
  return p in COMFYUI_VALUES || p in COMFYUI_ENUMS || p in COMFYUI_CLASSES;
}

/** Resolves dotted ComfyUI paths for one pack; classes and enums keep their identity within it. */
export class ComfyTable {
  private readonly cache = new Map<string, Value>();
  private readonly module: ModuleObj = {
    t: 'module',
    name: 'comfyui',
    file: `(ComfyUI ${COMFYUI_RELEASE})`,
    ns: new Map(),
    isPackage: false,
    state: 'done',
  };

  resolve(path0: string): Value | undefined {
    const path = canonical(path0);
    const hit = this.cache.get(path);
    if (hit !== undefined) return hit;
    let v: Value | undefined;
    if (path in COMFYUI_VALUES) v = fromTable(COMFYUI_VALUES[path]!, path);
    else if (path in COMFYUI_ENUMS) v = this.enumClass(path, COMFYUI_ENUMS[path]!);
    else if (path in COMFYUI_CLASSES) v = this.nodeClass(path, COMFYUI_CLASSES[path]!);
    if (v !== undefined) this.cache.set(path, v);
    return v;
  }

  private emptyClass(path: string): ClassObj {
    return {
      t: 'class',
      name: path.split('.').pop()!,
      module: { ...this.module, name: path.split('.').slice(0, -1).join('.') },
      line: 0,
      basesNode: null,
      bases: [],
      body: new Map(),
      cache: new Map(),
      closure: null,
      resolving: new Set(),
    };
  }

  private enumClass(path: string, e: TableEnum): ClassObj {
    const cls = this.emptyClass(path);
    cls.enumMembers = e.members.map(([name, value]) => {
      const m = makeMember(cls, name, fromTable(value, `${path}.${name}`), e.mixin, e.strIsValue);
      cls.body.set(name, { v: m });
      return m;
    });
    return cls;
  }

  private nodeClass(path: string, attrs: TableClass): ClassObj {
    const cls = this.emptyClass(path);
    for (const [name, j] of Object.entries(attrs)) {
      if (name === 'INPUT_TYPES') {
        const call = (): Value => fromTable(j, `${path}.INPUT_TYPES()`);
        const fn: Value = { t: 'builtin', name: `${path}.INPUT_TYPES`, call };
        inputTypesCalls.set(fn, call);
        cls.body.set(name, { v: fn });
      } else cls.body.set(name, { v: fromTable(j, `${path}.${name}`) });
    }
    return cls;
  }
}
