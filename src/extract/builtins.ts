import type { Node } from 'web-tree-sitter';
import { formatValue } from './format.js';
import type { Frame } from './interp.js';
import { EVAL_BUDGET } from './limits.js';
import { sortValues } from './methods.js';
import { NOPE, binaryOp, compareOp } from './operators.js';
import { type Host, getAttr, mro } from './runtime.js';
import {
  type Args,
  type Builtin,
  type ClassObj,
  type Value,
  dict,
  dictFrom,
  dictSet,
  isObj,
  isUnknown,
  iterItems,
  list,
  numeric,
  plain,
  pyRepr,
  pyStr,
  rangeLength,
  truthy,
  tuple,
  unknown,
} from './values.js';

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
        d.origin = src.origin;
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
    const key = a.kw.get('key') ?? null;
    const keys = key === null ? out : out.map((x) => interp.callValue(key, { pos: [x], kw: new Map() }, at, currentFrame()));
    if (!sortValues(out, keys, truthy(a.kw.get('reverse') ?? false) === true)) return u('sorted() of values without a known order', at);
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
  def('isinstance', (a, at) => {
    const r = isInstance(a.pos[0] ?? null, a.pos[1] ?? null);
    return r === undefined ? u('isinstance() not known statically', at) : r;
  });
  def('min', (a, at) => extreme(a, at, -1));
  def('max', (a, at) => extreme(a, at, 1));
  def('sum', (a, at) => {
    const s = seq(a.pos[0], at);
    if (!Array.isArray(s)) return s;
    let acc: Value = a.pos[1] ?? a.kw.get('start') ?? 0;
    for (const x of s) {
      const r = binaryOp('+', acc, x);
      if (r === NOPE) return u('sum() of values not known statically', at);
      acc = r;
    }
    return acc;
  });
  const anyAll = (a: Args, at: Node, want: boolean): Value => {
    const s = seq(a.pos[0], at);
    if (!Array.isArray(s)) return s;
    let unsure = false;
    for (const x of s) {
      const t = truthy(x);
      if (t === want) return want;
      if (t === undefined) unsure = true;
    }
    return unsure ? u(`${want ? 'any' : 'all'}() not known statically`, at) : !want;
  };
  def('any', (a, at) => anyAll(a, at, true));
  def('all', (a, at) => anyAll(a, at, false));
  def('abs', (a, at) => {
    const n = numeric(a.pos[0] ?? null);
    return n === undefined ? u('abs() not known statically', at) : typeof n === 'bigint' ? (n < 0n ? -n : n) : Math.abs(n);
  });
  def('round', (a, at) => {
    const n = numeric(a.pos[0] ?? null);
    const digits = a.pos[1] ?? a.kw.get('ndigits') ?? null;
    if (n === undefined || (digits !== null && typeof digits !== 'number')) return u('round() not known statically', at);
    if (typeof n === 'bigint') return n;
    if (digits === null) {
      const f = Math.floor(n);
      const diff = n - f;
      return diff > 0.5 ? f + 1 : diff < 0.5 ? f : f % 2 === 0 ? f : f + 1;
    }
    return Number(n.toFixed(Math.max(0, Math.min(100, digits as number))));
  });
  def('map', (a, at) => {
    const fn = a.pos[0] ?? null;
    const seqs = a.pos.slice(1).map((x) => seq(x, at));
    const bad = seqs.find((x) => !Array.isArray(x));
    if (bad) return bad as Value;
    const n = Math.min(...(seqs as Value[][]).map((x) => x.length));
    const out: Value[] = [];
    for (let i = 0; i < n; i++)
      out.push(interp.callValue(fn, { pos: (seqs as Value[][]).map((x) => x[i]!), kw: new Map() }, at, currentFrame()));
    return list(out);
  });
  def('filter', (a, at) => {
    const fn = a.pos[0] ?? null;
    const s = seq(a.pos[1], at);
    if (!Array.isArray(s)) return s;
    const out: Value[] = [];
    for (const x of s) {
      const t = truthy(fn === null ? x : interp.callValue(fn, { pos: [x], kw: new Map() }, at, currentFrame()));
      if (t === undefined) return u('filter() condition not known statically', at);
      if (t) out.push(x);
    }
    return list(out);
  });
  def('repr', (a, at) => pyRepr(a.pos[0] ?? null) ?? u('repr() not known statically', at));
  def('format', (a, at) => {
    const spec = a.pos[1] ?? '';
    return typeof spec === 'string'
      ? (formatValue(a.pos[0] ?? null, spec) ?? u('format() not known statically', at))
      : u('format() spec not known', at);
  });
  def('chr', (a, at) => (typeof a.pos[0] === 'number' ? String.fromCodePoint(a.pos[0]) : u('chr() not known statically', at)));
  def('ord', (a, at) =>
    typeof a.pos[0] === 'string' && [...a.pos[0]].length === 1 ? a.pos[0].codePointAt(0)! : u('ord() not known statically', at),
  );
  def('callable', (a, at) => {
    const v = a.pos[0] ?? null;
    return isObj(v) && ['func', 'bound', 'builtin', 'class'].includes(v.t)
      ? true
      : isObj(v) && (v.t === 'unknown' || v.t === 'ext')
        ? u('callable() not known', at)
        : false;
  });
  def('open', (a) => host.data.open(a));
  const extreme = (a: Args, at: Node, dir: 1 | -1): Value => {
    const items = a.pos.length === 1 ? seq(a.pos[0], at) : a.pos;
    if (!Array.isArray(items)) return items;
    const key = a.kw.get('key');
    if (items.length === 0) return a.kw.get('default') ?? u(`${dir > 0 ? 'max' : 'min'}() of an empty sequence`, at);
    let best: Value = items[0]!;
    let bestKey: Value = key ? interp.callValue(key, { pos: [best], kw: new Map() }, at, currentFrame()) : best;
    for (const x of items.slice(1)) {
      const k = key ? interp.callValue(key, { pos: [x], kw: new Map() }, at, currentFrame()) : x;
      const better = compareOp(dir > 0 ? '>' : '<', k, bestKey);
      if (better === undefined) return u(`${dir > 0 ? 'max' : 'min'}() of values not known statically`, at);
      if (better) {
        best = x;
        bestKey = k;
      }
    }
    return best;
  };
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
    // A name of ComfyUI's modules that neither the table nor the pack provides may be set by
    // another pack at run time.
    if (isObj(v) && v.t === 'ext')
      return u(`hasattr(${v.path.split('.').slice(0, -1).join('.')}, ${JSON.stringify(name)}) is only known at run time`, at);
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
    'FileNotFoundError',
    'OSError',
    'IOError',
    'AttributeError',
    'NotImplementedError',
    'JSONDecodeError',
    'globals',
    'locals',
    'vars',
    'id',
    'hash',
    'iter',
    'next',
    'issubclass',
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

const TYPE_CHECKS: Record<string, (v: Value) => boolean> = {
  str: (v) => typeof v === 'string',
  int: (v) => typeof v === 'bigint' || typeof v === 'boolean' || (typeof v === 'number' && Number.isInteger(v)),
  float: (v) => typeof v === 'number' && !Number.isInteger(v),
  bool: (v) => typeof v === 'boolean',
  list: (v) => isObj(v) && v.t === 'list' && !v.tuple,
  tuple: (v) => isObj(v) && v.t === 'list' && v.tuple,
  dict: (v) => isObj(v) && v.t === 'dict',
  set: (v) => isObj(v) && v.t === 'set',
};

/** isinstance() for builtin types and pack classes; undefined when it depends on run-time values. */
function isInstance(v0: Value, t: Value): boolean | undefined {
  if (isObj(t) && t.t === 'list' && t.tuple) {
    let unsure = false;
    for (const x of t.items) {
      const r = isInstance(v0, x);
      if (r === true) return true;
      if (r === undefined) unsure = true;
    }
    return unsure ? undefined : false;
  }
  const v = plain(v0);
  if (isUnknown(v) || (isObj(v) && v.t === 'ext')) return undefined;
  if (isObj(t) && t.t === 'builtin' && TYPE_CHECKS[t.name]) {
    // A float value that is whole looks like an int here: only a definite answer for other kinds.
    if (typeof v === 'number' && (t.name === 'int' || t.name === 'float')) return Number.isInteger(v) ? undefined : t.name === 'float';
    if (isObj(v) && v.t === 'inst')
      return mro(v.cls).includes(t) ? true : mro(v.cls).some((c) => isObj(c) && c.t !== 'class') ? undefined : false;
    return TYPE_CHECKS[t.name]!(v);
  }
  if (isObj(t) && t.t === 'class') {
    if (isObj(v) && v.t === 'inst')
      return mro(v.cls).includes(t) ? true : mro(v.cls).some((c) => isObj(c) && c.t !== 'class') ? undefined : false;
    return isObj(v) && (v.t === 'class' || v.t === 'func' || v.t === 'module')
      ? false
      : typeof v !== 'object' || v === null || v.t === 'list' || v.t === 'dict'
        ? false
        : undefined;
  }
  return undefined;
}
