import type { Node } from 'web-tree-sitter';
import type { ComfyTable } from './comfyui.js';
import type { DataFiles } from './datafiles.js';
import type { Interp } from './definitions.js';
import { enumLookup } from './enums.js';
import { callExternal } from './extcalls.js';
import { type Frame, type Runtime, PyRaise } from './interp.js';
import { builtinMethod } from './methods.js';
import { type PackFS, pathAttr } from './stdlib.js';
import { v3TypeAttr } from './v3.js';
import {
  type Args,
  type ClassObj,
  type FuncObj,
  type ModuleObj,
  type PyDict,
  type Value,
  dict,
  dictSet,
  isObj,
  isUnknown,
  unknown,
} from './values.js';

export interface Host {
  interp: Interp;
  fs: PackFS;
  data: DataFiles;
  comfy: ComfyTable;
  importByName(name: string, pkg: string | null, at: Node, frame: Frame): Value;
  /** A dotted name outside the pack, resolved to a known value where there is one. */
  external(path: string): Value;
  /** Runs a pack .py file (pack-relative) as the body of a module object (importlib's exec_module). */
  run(module: ModuleObj): void;
  sourceFile(rel: string): boolean;
  folders: Map<string, { dirs: string[]; exts: string[] }>;
}

/** Method resolution order: depth-first, left to right, each class once. */
export function mro(cls: ClassObj): Value[] {
  const out: Value[] = [];
  const seen = new Set<Value>();
  const walk = (c: Value, depth: number): void => {
    if (seen.has(c) || depth > 32) return;
    seen.add(c);
    out.push(c);
    if (isObj(c) && c.t === 'class') for (const b of c.bases ?? []) walk(b, depth + 1);
  };
  walk(cls, 0);
  return out;
}

/** An attribute of a class as ComfyUI would read it: own body first, then the bases. */
export function classAttr(host: Host, cls: ClassObj, name: string): Value | undefined {
  for (const c of mro(cls)) {
    if (!isObj(c)) continue;
    if (c.t === 'class') {
      const own = ownAttr(host, c, name);
      if (own !== undefined) return own;
    } else if (c.t === 'ext' || isUnknown(c)) {
      return unknown(
        `attribute ${name} may come from base ${c.t === 'ext' ? c.path : 'class'} outside the pack`,
        cls.module.file,
        cls.line,
      );
    }
  }
  return undefined;
}

export function ownAttr(host: Host, c: ClassObj, name: string): Value | undefined {
  const cached = c.cache.get(name);
  if (cached !== undefined) return cached;
  const src = c.body.get(name);
  if (src === undefined) return undefined;
  if ('v' in src && !('type' in src)) return (src as { v: Value }).v;
  if (c.resolving.has(name)) return unknown(`attribute ${name} refers to itself`, c.module.file, c.line);
  c.resolving.add(name);
  try {
    const frame: Frame = {
      module: c.module,
      locals: null,
      parent: null,
      closure: c.closure,
      classScope: c,
      globalNames: null,
      owner: null,
      self: undefined,
      ret: null,
    };
    const v = host.interp.ev(src as Node, frame);
    c.cache.set(name, v);
    return v;
  } finally {
    c.resolving.delete(name);
  }
}

function bindAttr(v: Value, owner: Value, viaInstance: boolean): Value {
  if (isObj(v) && v.t === 'func') {
    if (v.kind === 'classmethod') return { t: 'bound', fn: v, self: viaInstance && isObj(owner) && owner.t === 'inst' ? owner.cls : owner };
    if (v.kind === 'function' && viaInstance) return { t: 'bound', fn: v, self: owner };
    if (v.kind === 'property') return unknown(`property ${v.name}`, v.module.file, v.node.startPosition.row + 1);
  }
  return v;
}

export function getAttr(host: Host, o: Value, name: string, at: Node, frame: Frame): Value {
  const missing = (): Value => host.interp.unk(`attribute '${name}' not known statically`, frame, at);
  const m = builtinMethod(o, name);
  if (m) return m;
  if (!isObj(o)) return missing();
  switch (o.t) {
    case 'unknown':
      return o;
    case 'dict':
      return o.attrs?.get(name) ?? missing();
    case 'ext':
      return host.external(`${o.path}.${name}`);
    case 'module': {
      const v = o.ns.get(name);
      if (v !== undefined) return host.interp.force(v);
      if (name === '__name__') return o.name;
      return missing();
    }
    case 'class': {
      if (name === '__name__' || name === '__qualname__') return o.name;
      if (name === '__module__') return o.module.name;
      // A docstring is not inherited.
      if (name === '__doc__') return ownAttr(host, o, name) ?? null;
      if (name === '__members__' && o.enumMembers) {
        const d = dict();
        for (const m of o.enumMembers) dictSet(d, m.attrs.get('name')!, m);
        return d;
      }
      const v = classAttr(host, o, name);
      return v === undefined ? missing() : bindAttr(v, o, false);
    }
    case 'inst': {
      const v = o.attrs.get(name) ?? classAttr(host, o.cls, name);
      return v === undefined ? missing() : bindAttr(v, o, true);
    }
    case 'obj': {
      if (o.kind === 'V3Type') return v3TypeAttr(o, name) ?? missing();
      if (o.kind === 'super') {
        const chain = mro(o.attrs.get('cls') as ClassObj).slice(1);
        const self = o.attrs.get('self') ?? null;
        for (const c of chain) {
          if (isObj(c) && c.t === 'class') {
            const v = ownAttr(host, c, name);
            if (v !== undefined) return bindAttr(v, self, isObj(self) && self.t === 'inst');
          } else if (isObj(c) && c.t === 'builtin' && c.name === 'dict' && isObj(self) && self.t === 'dict') {
            // super().__init__(...) of a dict subclass fills the dict itself.
            const m = builtinMethod(self, name === '__init__' ? 'update' : name);
            if (m) return m;
          }
        }
        return missing();
      }
      if (o.kind === 'File') return host.data.method(o, name) ?? missing();
      if (o.kind === 'Hidden' && (name === 'value' || name === 'name')) return o.attrs.get(name)!;
      return o.attrs.get(name) ?? missing();
    }
    case 'path':
      return pathAttr(o, name, host.fs) ?? missing();
    case 'func': {
      if (name === '__name__' || name === '__qualname__') return o.name;
      if (name === '__doc__') return docOf(host, o, frame);
      return missing();
    }
    default:
      return missing();
  }
}

function derivesFrom(cls: ClassObj, builtin: string): boolean {
  return mro(cls).some(
    (c) =>
      isObj(c) &&
      ((c.t === 'builtin' && c.name === builtin) || (c.t === 'ext' && (c.path === builtin || c.path === `builtins.${builtin}`))),
  );
}

const DICT_BASES = new Set(['collections.OrderedDict', 'typing.Dict', 'collections.UserDict']);

function isDictClass(cls: ClassObj): boolean {
  return derivesFrom(cls, 'dict') || mro(cls).some((c) => isObj(c) && c.t === 'ext' && DICT_BASES.has(c.path));
}

function docOf(host: Host, fn: FuncObj, frame: Frame): Value {
  const body = fn.node.childForFieldName('body');
  const first = body?.namedChildren.find((c) => c!.type !== 'comment');
  const doc = first?.type === 'expression_statement' && first.namedChild(0)?.type === 'string' ? first.namedChild(0)! : null;
  return doc ? host.interp.ev(doc, { ...frame, module: fn.module }) : null;
}

/** Calls any value; pack functions are interpreted, the rest is answered by builtins or becomes unknown. */
export function callValue(host: Host, fn: Value, args: Args, at: Node, frame: Frame): Value {
  const interp = host.interp;
  if (!isObj(fn)) return interp.unk(`${typeName(fn)} is not callable`, frame, at);
  switch (fn.t) {
    case 'builtin':
      return fn.call(args, at);
    case 'func':
      return interp.callFunction(fn, args, at, undefined);
    case 'bound':
      return interp.callFunction(fn.fn, args, at, fn.self);
    case 'class': {
      if (fn.enumMembers)
        return enumLookup(fn, args.pos[0] ?? null, true) ?? interp.unk(`no member of ${fn.name} with that value`, frame, at);
      if (derivesFrom(fn, 'str'))
        return typeof args.pos[0] === 'string'
          ? args.pos[0]
          : args.pos.length === 0
            ? ''
            : interp.unk('str subclass of a non-text value', frame, at);
      const inst: Value = isDictClass(fn) ? dictInstance(host, fn, args, at, frame) : { t: 'inst', cls: fn, attrs: new Map() };
      const init = classAttr(host, fn, '__init__');
      if (isObj(init ?? null) && (init as FuncObj).t === 'func') {
        try {
          interp.callFunction(init as FuncObj, args, at, inst);
        } catch (e) {
          if (!(e instanceof PyRaise)) throw e;
        }
      }
      return inst;
    }
    case 'ext':
      return callExternal(host, fn.path, args, at, frame);
    case 'unknown':
      return fn;
    default:
      return interp.unk(`${fn.t} object is not callable statically`, frame, at);
  }
}

function typeName(v: Value): string {
  return v === null ? 'None' : typeof v;
}

/**
 * An instance of a dict subclass is a dict (json.dumps and /object_info see its items, not its
 * methods); without its own __init__ it takes dict()'s arguments.
 */
function dictInstance(host: Host, cls: ClassObj, args: Args, at: Node, frame: Frame): PyDict {
  const d = dict();
  const init = classAttr(host, cls, '__init__');
  if (init === undefined || isUnknown(init)) {
    const made = host.interp.callValue(host.interp.rt.lookupBuiltin('dict')!, args, at, frame);
    if (isObj(made) && made.t === 'dict') d.entries = made.entries;
  }
  return d;
}

export type { Runtime };
