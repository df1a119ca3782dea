import type { Node } from 'web-tree-sitter';
import { EVAL_BUDGET } from './limits.js';
import { type Frame, type Runtime, PyRaise } from './interp.js';
import { builtinMethod, sortValues } from './methods.js';
import type { Interp } from './statements.js';
import { type PackFS, WELL_KNOWN, callStdlib, pathAttr, runtimeReason } from './stdlib.js';
import { v3Call, v3Resolve, v3Rest, v3TypeAttr } from './v3.js';
import {
  type Args,
  type Builtin,
  type ClassObj,
  type FuncObj,
  type Value,
  dict,
  dictFrom,
  dictSet,
  isObj,
  isUnknown,
  iterItems,
  list,
  numeric,
  pyStr,
  rangeLength,
  truthy,
  tuple,
  unknown,
} from './values.js';

export interface Host {
  interp: Interp;
  fs: PackFS;
  importByName(name: string, pkg: string | null, at: Node, frame: Frame): Value;
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
    case 'ext': {
      const path = `${o.path}.${name}`;
      if (WELL_KNOWN[path] !== undefined) return WELL_KNOWN[path]!;
      const rest = v3Rest(path);
      if (rest !== null) {
        const known = v3Resolve(rest);
        if (known !== undefined) return known;
      }
      return { t: 'ext', path };
    }
    case 'module': {
      const v = o.ns.get(name);
      if (v !== undefined) return v;
      if (name === '__name__') return o.name;
      return missing();
    }
    case 'class': {
      if (name === '__name__') return o.name;
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
        for (const c of chain) {
          if (isObj(c) && c.t === 'class') {
            const v = ownAttr(host, c, name);
            if (v !== undefined)
              return bindAttr(
                v,
                o.attrs.get('self') ?? null,
                isObj(o.attrs.get('self') ?? null) && (o.attrs.get('self') as { t: string }).t === 'inst',
              );
          }
        }
        return missing();
      }
      if (o.kind === 'Hidden' && (name === 'value' || name === 'name')) return o.attrs.get(name)!;
      return o.attrs.get(name) ?? missing();
    }
    case 'path':
      return pathAttr(o, name, host.fs) ?? missing();
    case 'func':
      return name === '__name__' ? o.name : missing();
    default:
      return missing();
  }
}

function isStrClass(cls: ClassObj): boolean {
  return mro(cls).some((c) => isObj(c) && ((c.t === 'builtin' && c.name === 'str') || (c.t === 'ext' && /(^|\.)str$/.test(c.path))));
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
      if (isStrClass(fn))
        return typeof args.pos[0] === 'string'
          ? args.pos[0]
          : args.pos.length === 0
            ? ''
            : interp.unk('str subclass of a non-text value', frame, at);
      const inst: Value = { t: 'inst', cls: fn, attrs: new Map() };
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
    case 'ext': {
      const rest = v3Rest(fn.path);
      if (rest !== null) {
        const v = v3Call(rest, args);
        if (v !== undefined) return v;
      }
      if (fn.path === 'importlib.import_module') {
        const name = args.pos[0];
        const pkg = args.pos[1] ?? args.kw.get('package') ?? null;
        if (typeof name === 'string' && (pkg === null || typeof pkg === 'string')) return host.importByName(name, pkg, at, frame);
        return interp.unk('importlib.import_module with a name not known statically', frame, at);
      }
      const std = callStdlib(fn.path, args, host.fs);
      if (std !== undefined) return std;
      return interp.unk(runtimeReason(fn.path, true), frame, at);
    }
    case 'unknown':
      return fn;
    default:
      return interp.unk(`${fn.t} object is not callable statically`, frame, at);
  }
}

function typeName(v: Value): string {
  return v === null ? 'None' : typeof v;
}

const b = (name: string, call: (a: Args, at: Node) => Value): Builtin => ({ t: 'builtin', name, call });

/** The builtins namespace; `frameOf` gives the calling frame for super(). */
export function makeBuiltins(host: Host, currentFrame: () => Frame): Map<string, Value> {
  const interp = host.interp;
  const u = (reason: string, at: Node): Value => interp.unk(reason, currentFrame(), at);
  const seq = (v: Value | undefined, at: Node): Value[] | Value =>
    iterItems(v ?? null, EVAL_BUDGET.collectionItems) ?? (isUnknown(v ?? null) ? v! : u('iterable not known statically', at));
  const m = new Map<string, Value>();
  const def = (name: string, call: (a: Args, at: Node) => Value): void => {
    m.set(name, b(name, call));
  };
  def('len', (a, at) => {
    const v = a.pos[0] ?? null;
    if (typeof v === 'string') return v.length;
    if (isObj(v) && v.t === 'range') return rangeLength(v);
    const items = iterItems(v, EVAL_BUDGET.collectionItems);
    return items ? items.length : u('len() of a value not known statically', at);
  });
  def('range', (a, at) => {
    const n = a.pos.map((x) => numeric(x));
    if (n.some((x) => x === undefined) || n.length === 0) return u('range() bounds not known statically', at);
    const [start, stop, step] = n.length === 1 ? [0, Number(n[0]), 1] : [Number(n[0]), Number(n[1]), n[2] === undefined ? 1 : Number(n[2])];
    return step === 0 ? u('range() step 0', at) : { t: 'range', start, stop, step };
  });
  def('str', (a, at) => {
    const s = a.pos.length ? pyStr(a.pos[0]!) : '';
    return s ?? u('str() of a value not known statically', at);
  });
  def('int', (a, at) => {
    const v = a.pos[0] ?? 0;
    if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) return Number(v);
    const n = numeric(v);
    return n === undefined ? u('int() not known statically', at) : typeof n === 'bigint' ? n : Math.trunc(n);
  });
  def('float', (a, at) => {
    const v = a.pos[0] ?? 0;
    if (typeof v === 'string')
      return /^\s*[-+]?inf(inity)?\s*$/i.test(v)
        ? v.includes('-')
          ? -Infinity
          : Infinity
        : Number.isNaN(Number(v))
          ? u('float() of text', at)
          : Number(v);
    const n = numeric(v);
    return n === undefined ? u('float() not known statically', at) : Number(n);
  });
  def('bool', (a, at) => {
    const t = truthy(a.pos[0] ?? false);
    return t === undefined ? u('bool() not known', at) : t;
  });
  def('list', (a, at) => {
    const s = seq(a.pos[0] ?? list([]), at);
    return Array.isArray(s) ? list([...s]) : s;
  });
  def('tuple', (a, at) => {
    const s = seq(a.pos[0] ?? list([]), at);
    return Array.isArray(s) ? tuple([...s]) : s;
  });
  def('set', (a, at) => {
    const s = seq(a.pos[0] ?? list([]), at);
    if (!Array.isArray(s)) return s;
    const d = dictFrom(s.map((x) => [x, null]));
    return { t: 'set', entries: new Map([...d.entries].map(([k, e]) => [k, e[0]])) };
  });
  def('dict', (a, at) => {
    const d = dict();
    const src = a.pos[0];
    if (src !== undefined) {
      if (isObj(src) && src.t === 'dict') {
        d.entries = new Map(src.entries);
        d.partial = src.partial;
      } else {
        const items = seq(src, at);
        if (!Array.isArray(items)) return items;
        for (const p of items) if (isObj(p) && p.t === 'list' && p.items.length === 2) dictSet(d, p.items[0]!, p.items[1]!);
      }
    }
    for (const [k, v] of a.kw) dictSet(d, k, v);
    return d;
  });
  def('sorted', (a, at) => {
    const s = seq(a.pos[0], at);
    if (!Array.isArray(s)) return s;
    const out = [...s];
    if (a.kw.size > 0 || !sortValues(out)) return u('sorted() with a key or mixed values', at);
    return list(out);
  });
  def('reversed', (a, at) => {
    const s = seq(a.pos[0], at);
    return Array.isArray(s) ? list([...s].reverse()) : s;
  });
  def('enumerate', (a, at) => {
    const s = seq(a.pos[0], at);
    const start = Number(numeric(a.pos[1] ?? a.kw.get('start') ?? 0) ?? 0);
    return Array.isArray(s) ? list(s.map((x, i) => tuple([i + start, x]))) : s;
  });
  def('zip', (a, at) => {
    const seqs = a.pos.map((x) => seq(x, at));
    const bad = seqs.find((s) => !Array.isArray(s));
    if (bad) return bad as Value;
    const n = Math.min(...(seqs as Value[][]).map((s) => s.length));
    return list(Array.from({ length: n }, (_, i) => tuple((seqs as Value[][]).map((s) => s[i]!))));
  });
  def('isinstance', (a, at) => u('isinstance() at run time', at));
  def('getattr', (a, at) => {
    const [o, name, dflt] = a.pos;
    if (typeof name !== 'string') return u('getattr() with a name not known statically', at);
    const v = getAttr(host, o ?? null, name, at, currentFrame());
    return isUnknown(v) &&
      dflt !== undefined &&
      isObj(o ?? null) &&
      (o as { t: string }).t !== 'ext' &&
      (o as { t: string }).t !== 'unknown'
      ? dflt
      : v;
  });
  def('hasattr', (a, at) => {
    const [o, name] = a.pos;
    if (typeof name !== 'string') return u('hasattr() not known', at);
    const v = getAttr(host, o ?? null, name, at, currentFrame());
    return isUnknown(v) ? (isObj(o ?? null) && ['module', 'class', 'inst'].includes((o as { t: string }).t) ? false : v) : true;
  });
  def('setattr', (a) => {
    if (typeof a.pos[1] === 'string') interp.setAttr(a.pos[0] ?? null, a.pos[1], a.pos[2] ?? null);
    return null;
  });
  def('type', (a, at) => {
    if (a.pos.length !== 3) return u('type() of a value', at);
    const [name, bases, body] = a.pos;
    if (typeof name !== 'string') return u('type() with a name not known statically', at);
    const frame = currentFrame();
    const cls: ClassObj = {
      t: 'class',
      name,
      module: frame.module,
      line: at.startPosition.row + 1,
      basesNode: null,
      bases: iterItems(bases ?? null, 64) ?? [],
      body: new Map(),
      cache: new Map(),
      closure: null,
      resolving: new Set(),
    };
    if (isObj(body ?? null) && (body as { t: string }).t === 'dict') {
      for (const [k, v] of (body as { entries: Map<string, [Value, Value]> }).entries.values())
        if (typeof k === 'string') cls.body.set(k, { v });
    }
    return cls;
  });
  def('super', (a, at) => {
    const f = currentFrame();
    if (!f.owner || f.self === undefined) return u('super() outside a method', at);
    return {
      t: 'obj',
      kind: 'super',
      attrs: new Map<string, Value>([
        ['cls', f.owner],
        ['self', f.self],
      ]),
    };
  });
  def('print', () => null);
  def('classmethod', (a) => a.pos[0] ?? null);
  def('staticmethod', (a) => a.pos[0] ?? null);
  for (const name of [
    'object',
    'Exception',
    'BaseException',
    'ImportError',
    'ModuleNotFoundError',
    'ValueError',
    'KeyError',
    'TypeError',
    'RuntimeError',
    'int_',
    'any',
    'all',
    'min',
    'max',
    'sum',
    'abs',
    'round',
    'map',
    'filter',
    'open',
    'globals',
    'locals',
    'vars',
    'id',
    'hash',
    'repr',
    'iter',
    'next',
    'callable',
    'issubclass',
    'format',
    'ord',
    'chr',
    'input',
    'exec',
    'eval',
    'compile',
    '__import__',
  ]) {
    if (!m.has(name)) def(name, (a, at) => u(`${name}() not evaluated statically`, at));
  }
  m.set('__builtins__', unknown('builtins module', '', 0));
  return m;
}

export type { Runtime };
