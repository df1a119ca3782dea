import { percentFormat } from './format.js';
import { EVAL_BUDGET } from './limits.js';
import {
  type PyDict,
  type Value,
  dict,
  dictGet,
  isObj,
  isUnknown,
  keyOf,
  list,
  noteConfigRead,
  normInt,
  numeric,
  plain,
  pyEquals,
  tuple,
  pushAll,
} from './values.js';

/** Result of an operation the evaluator cannot decide statically. */
export const NOPE = Symbol('nope');
export type OpResult = Value | typeof NOPE;

function intOp(a: number | bigint, b: number | bigint, op: string): OpResult {
  const A = BigInt(a);
  const B = BigInt(b);
  switch (op) {
    case '+':
      return normInt(A + B);
    case '-':
      return normInt(A - B);
    case '*':
      return normInt(A * B);
    case '//':
      return B === 0n ? NOPE : normInt(A / B - (A % B !== 0n && A < 0n !== B < 0n ? 1n : 0n));
    case '%':
      return B === 0n ? NOPE : normInt(((A % B) + B) % B);
    case '**':
      return B < 0n || B > 4096n ? NOPE : normInt(A ** B);
    case '|':
      return normInt(A | B);
    case '&':
      return normInt(A & B);
    case '^':
      return normInt(A ^ B);
    case '<<':
      return B > 4096n ? NOPE : normInt(A << B);
    case '>>':
      return normInt(A >> B);
    default:
      return NOPE;
  }
}

const isInt = (v: number | bigint): boolean => typeof v === 'bigint' || Number.isInteger(v);

export function binaryOp(op: string, a0: Value, b0: Value): OpResult {
  const a = plain(a0);
  const b = plain(b0);
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) {
    const bothInt = isInt(na) && isInt(nb);
    if (op === '/') return Number(nb) === 0 ? NOPE : Number(na) / Number(nb);
    if (
      bothInt &&
      (typeof na === 'bigint' ||
        typeof nb === 'bigint' ||
        op === '**' ||
        op === '<<' ||
        op === '//' ||
        op === '%' ||
        ['|', '&', '^', '>>'].includes(op))
    ) {
      return intOp(na, nb, op);
    }
    const x = Number(na);
    const y = Number(nb);
    let r: number;
    switch (op) {
      case '+':
        r = x + y;
        break;
      case '-':
        r = x - y;
        break;
      case '*':
        r = x * y;
        break;
      case '**':
        r = x ** y;
        break;
      case '//':
        if (y === 0) return NOPE;
        r = Math.floor(x / y);
        break;
      case '%':
        if (y === 0) return NOPE;
        r = x - Math.floor(x / y) * y;
        break;
      default:
        return NOPE;
    }
    if (bothInt && !Number.isSafeInteger(r)) return intOp(na, nb, op);
    return r;
  }
  if (typeof a === 'string' && op === '%') {
    const hidden = isObj(b) && b.t === 'list' ? b.items.find(isUnknown) : undefined;
    if (hidden) return hidden;
    const r = percentFormat(a, b, (k) => (isObj(b) && b.t === 'dict' ? dictGet(b, k) : undefined));
    return r === undefined || r.length > EVAL_BUDGET.stringChars ? NOPE : r;
  }
  if (typeof a === 'string' && typeof b === 'string' && op === '+') {
    return a.length + b.length > EVAL_BUDGET.stringChars ? NOPE : a + b;
  }
  if (op === '*') {
    const [seq, n] = numeric(b) !== undefined ? [a, numeric(b)] : [b, numeric(a)];
    if (n === undefined || !isInt(n)) return NOPE;
    const count = Math.max(0, Number(n));
    if (typeof seq === 'string') return seq.length * count > EVAL_BUDGET.stringChars ? NOPE : seq.repeat(count);
    if (isObj(seq) && seq.t === 'list') {
      if (seq.items.length * count > EVAL_BUDGET.collectionItems) return NOPE;
      const items: Value[] = [];
      for (let i = 0; i < count; i++) pushAll(items, seq.items);
      return { t: 'list', tuple: seq.tuple, items };
    }
    return NOPE;
  }
  if (isObj(a) && isObj(b)) {
    if (op === '+' && a.t === 'list' && b.t === 'list' && a.tuple === b.tuple) {
      if (a.items.length + b.items.length > EVAL_BUDGET.collectionItems) return NOPE;
      return { t: 'list', tuple: a.tuple, items: [...a.items, ...b.items] };
    }
    if (op === '|' && a.t === 'dict' && b.t === 'dict') {
      const d: PyDict = { t: 'dict', entries: new Map([...a.entries, ...b.entries]), origin: a.origin ?? b.origin };
      if (a.partial || b.partial) d.partial = a.partial ?? b.partial;
      return d;
    }
    if ((op === '|' || op === '-' || op === '&') && a.t === 'set' && b.t === 'set') {
      const out = new Map(op === '|' ? [...a.entries, ...b.entries] : a.entries);
      if (op === '-') for (const k of b.entries.keys()) out.delete(k);
      if (op === '&') for (const k of [...out.keys()]) if (!b.entries.has(k)) out.delete(k);
      return { t: 'set', entries: out };
    }
  }
  return NOPE;
}

/** Python's ordering of two values (numbers, strings, paths, tuples and lists of those); undefined otherwise. */
export function compareOrder(a0: Value, b0: Value): number | undefined {
  const a = plain(a0);
  const b = plain(b0);
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) return Number(na) < Number(nb) ? -1 : Number(na) > Number(nb) ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (isObj(a) && isObj(b) && a.t === 'path' && b.t === 'path') return a.p < b.p ? -1 : a.p > b.p ? 1 : 0;
  if (isObj(a) && isObj(b) && a.t === 'list' && b.t === 'list' && a.tuple === b.tuple) {
    for (let i = 0; i < Math.min(a.items.length, b.items.length); i++) {
      const c = compareOrder(a.items[i]!, b.items[i]!);
      if (c !== 0) return c;
    }
    return a.items.length - b.items.length;
  }
  return undefined;
}

export function contains(container0: Value, item0: Value): boolean | undefined {
  const container = plain(container0);
  const item = plain(item0);
  if (isUnknown(item)) return undefined;
  if (typeof container === 'string') return typeof item === 'string' ? container.includes(item) : undefined;
  if (!isObj(container)) return undefined;
  switch (container.t) {
    case 'dict':
      noteConfigRead(container, item);
      return container.entries.has(keyOf(item)) ? true : container.partial ? undefined : false;
    case 'set':
      return container.entries.has(keyOf(item));
    case 'list': {
      let unsure = false;
      for (const x of container.items) {
        const eq = pyEquals(x, item);
        if (eq === true) return true;
        if (eq === undefined) unsure = true;
      }
      return unsure ? undefined : false;
    }
    default:
      return undefined;
  }
}

export function compareOp(op: string, a: Value, b: Value): boolean | undefined {
  switch (op) {
    case '==':
      return pyEquals(a, b);
    case '!=': {
      const e = pyEquals(a, b);
      return e === undefined ? undefined : !e;
    }
    case 'in':
      return contains(b, a);
    case 'not in': {
      const c = contains(b, a);
      return c === undefined ? undefined : !c;
    }
    case 'is':
    case 'is not': {
      if (isUnknown(a) || isUnknown(b) || (isObj(a) && a.t === 'ext') || (isObj(b) && b.t === 'ext')) return undefined;
      const same = a === b || (a === null && b === null) || (typeof a !== 'object' && a === b);
      return op === 'is' ? same : !same;
    }
    default: {
      const c = compareOrder(a, b);
      if (c === undefined) return undefined;
      return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : op === '>=' ? c >= 0 : undefined;
    }
  }
}

function normIndex(i: Value, len: number): number | undefined {
  const n = numeric(i);
  if (n === undefined || !isInt(n)) return undefined;
  const k = Number(n) < 0 ? Number(n) + len : Number(n);
  return k >= 0 && k < len ? k : undefined;
}

export function sliceOf(seq: Value, start: Value, stop: Value, step: Value): OpResult {
  const len = typeof seq === 'string' ? seq.length : isObj(seq) && seq.t === 'list' ? seq.items.length : -1;
  if (len < 0) return NOPE;
  const st = step === null ? 1 : Number(numeric(step));
  if (!Number.isInteger(st) || st === 0) return NOPE;
  const bound = (v: Value, dflt: number): number | undefined => {
    if (v === null) return dflt;
    const n = numeric(v);
    if (n === undefined) return undefined;
    let k = Number(n);
    if (k < 0) k += len;
    return st > 0 ? Math.min(Math.max(k, 0), len) : Math.min(Math.max(k, -1), len - 1);
  };
  const s = bound(start, st > 0 ? 0 : len - 1);
  const e = bound(stop, st > 0 ? len : -1);
  if (s === undefined || e === undefined) return NOPE;
  const idx: number[] = [];
  for (let i = s; st > 0 ? i < e : i > e; i += st) idx.push(i);
  if (typeof seq === 'string') return idx.map((i) => seq[i]).join('');
  const items = (seq as { items: Value[] }).items;
  return { t: 'list', tuple: (seq as { tuple: boolean }).tuple, items: idx.map((i) => items[i]!) };
}

export function subscript(container0: Value, key: Value): OpResult {
  const container = plain(container0);
  if (typeof container === 'string') {
    const k = normIndex(key, container.length);
    return k === undefined ? NOPE : container[k]!;
  }
  if (!isObj(container)) return NOPE;
  if (container.t === 'list') {
    const k = normIndex(key, container.items.length);
    return k === undefined ? NOPE : container.items[k]!;
  }
  if (container.t === 'dict') {
    noteConfigRead(container, key);
    const v = dictGet(container, key);
    return v === undefined ? NOPE : v;
  }
  return NOPE;
}

export function unaryOp(op: string, v: Value): OpResult {
  const n = numeric(v);
  if (n === undefined) return NOPE;
  if (op === '-') return typeof n === 'bigint' ? normInt(-n) : -n;
  if (op === '+') return n;
  if (op === '~' && isInt(n)) return normInt(~BigInt(n));
  return NOPE;
}

export { dict, list, tuple };
