import { strFormat } from './format.js';
import { EVAL_BUDGET } from './limits.js';
import { mergeInto } from './interp.js';
import { compareOrder, subscript } from './operators.js';
import {
  type Args,
  type Builtin,
  type PyDict,
  type PyList,
  type Value,
  dictGet,
  dictSet,
  isObj,
  isUnknown,
  iterItems,
  keyOf,
  list,
  noteConfigRead,
  plain,
  tuple,
  unknown,
  pushAll,
} from './values.js';

type Impl = (args: Args) => Value;
const fn = (name: string, call: Impl): Builtin => ({ t: 'builtin', name, call: (a) => call(a) });
const nope = (what: string): Value => unknown(`${what} not evaluated statically`, '', 0);

function strMethod(s: string, name: string): Builtin | undefined {
  const str1 = (a: Args): string | undefined => (typeof a.pos[0] === 'string' ? a.pos[0] : undefined);
  const simple: Record<string, Impl> = {
    upper: () => s.toUpperCase(),
    lower: () => s.toLowerCase(),
    strip: (a) => (a.pos[0] === undefined || a.pos[0] === null ? s.trim() : stripChars(s, str1(a) ?? '', 3)),
    lstrip: (a) => (a.pos[0] === undefined || a.pos[0] === null ? s.replace(/^\s+/, '') : stripChars(s, str1(a) ?? '', 1)),
    rstrip: (a) => (a.pos[0] === undefined || a.pos[0] === null ? s.replace(/\s+$/, '') : stripChars(s, str1(a) ?? '', 2)),
    title: () => s.replace(/[A-Za-z]+/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()),
    capitalize: () => (s ? s[0]!.toUpperCase() + s.slice(1).toLowerCase() : s),
    startswith: (a) => startsEnds(s, a.pos[0], true),
    endswith: (a) => startsEnds(s, a.pos[0], false),
    replace: (a) => replaceStr(s, a),
    removeprefix: (a) => {
      const p = str1(a);
      return p !== undefined && s.startsWith(p) ? s.slice(p.length) : s;
    },
    removesuffix: (a) => {
      const p = str1(a);
      return p && s.endsWith(p) ? s.slice(0, -p.length) : s;
    },
    split: (a) => splitStr(s, a, false),
    rsplit: (a) => splitStr(s, a, true),
    splitlines: (a) =>
      list(
        s
          .split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/)
          .map((l, i, all) => (a.pos[0] === true && i < all.length - 1 ? l + '\n' : l))
          .filter((l, i, all) => i < all.length - 1 || l !== ''),
      ),
    partition: (a) => partition(s, str1(a), false),
    rpartition: (a) => partition(s, str1(a), true),
    zfill: (a) => (typeof a.pos[0] === 'number' ? zfill(s, a.pos[0]) : nope('str.zfill')),
    center: (a) => justify(s, a, 'c'),
    ljust: (a) => justify(s, a, 'l'),
    rjust: (a) => justify(s, a, 'r'),
    casefold: () => s.toLowerCase(),
    swapcase: () => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
    isalpha: () => /^\p{L}+$/u.test(s),
    isalnum: () => /^[\p{L}\p{N}]+$/u.test(s),
    isupper: () => /\p{Lu}/u.test(s) && s === s.toUpperCase(),
    islower: () => /\p{Ll}/u.test(s) && s === s.toLowerCase(),
    isspace: () => /^\s+$/.test(s),
    isnumeric: () => /^\p{N}+$/u.test(s),
    isdecimal: () => /^\d+$/.test(s),
    rfind: (a) => (typeof a.pos[0] === 'string' ? s.lastIndexOf(a.pos[0]) : nope('str.rfind')),
    index: (a) => (typeof a.pos[0] === 'string' && s.includes(a.pos[0]) ? s.indexOf(a.pos[0]) : nope('str.index')),
    format_map: (a) =>
      formatStr(s, {
        pos: [],
        kw:
          isObj(a.pos[0] ?? null) && (a.pos[0] as PyDict).t === 'dict'
            ? new Map([...(a.pos[0] as PyDict).entries.values()].filter((e) => typeof e[0] === 'string') as [string, Value][])
            : new Map(),
      }),
    join: (a) => {
      const items = iterItems(a.pos[0] ?? null, EVAL_BUDGET.collectionItems);
      const texts = items?.map(plain);
      return texts && texts.every((x) => typeof x === 'string') ? (texts as string[]).join(s) : nope('str.join');
    },
    format: (a) => formatStr(s, a),
    isidentifier: () => /^[A-Za-z_]\w*$/.test(s),
    isdigit: () => /^\d+$/.test(s),
    count: (a) => (typeof a.pos[0] === 'string' && a.pos[0] ? s.split(a.pos[0]).length - 1 : nope('str.count')),
    find: (a) => (typeof a.pos[0] === 'string' ? s.indexOf(a.pos[0]) : nope('str.find')),
  };
  const impl = simple[name];
  return impl ? fn(`str.${name}`, impl) : undefined;
}

function stripChars(s: string, chars: string, side: number): string {
  let a = 0;
  let b = s.length;
  if (side & 1) while (a < b && chars.includes(s[a]!)) a++;
  if (side & 2) while (b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

function startsEnds(s: string, arg: Value | undefined, start: boolean): Value {
  const opts = typeof arg === 'string' ? [arg] : isObj(arg ?? null) && (arg as PyList).t === 'list' ? (arg as PyList).items : null;
  if (!opts || !opts.every((o) => typeof o === 'string')) return nope('str.startswith');
  return (opts as string[]).some((o) => (start ? s.startsWith(o) : s.endsWith(o)));
}

function formatStr(s: string, a: Args): Value {
  const field = (base: Value, path: string): Value | undefined => {
    let v: Value = base;
    for (const m of path.matchAll(/\[([^\]]*)\]|\.(\w+)/g)) {
      if (m[2] !== undefined) return undefined;
      const r = subscript(v, /^\d+$/.test(m[1]!) && !(isObj(v) && v.t === 'dict') ? Number(m[1]) : m[1]!);
      if (typeof r === 'symbol') return undefined;
      v = r;
    }
    return v;
  };
  const r = strFormat(s, a.pos, a.kw, field);
  return r === undefined ? nope('str.format') : r;
}

function splitStr(s: string, a: Args, right: boolean): Value {
  const sep = a.pos[0] ?? a.kw.get('sep') ?? null;
  const max = a.pos[1] ?? a.kw.get('maxsplit') ?? -1;
  if (typeof max !== 'number') return nope('str.split');
  let parts: string[];
  if (sep === null)
    parts = s
      .trim()
      .split(/\s+/)
      .filter((x) => x !== '');
  else if (typeof sep === 'string' && sep) parts = s.split(sep);
  else return nope('str.split');
  if (max >= 0 && parts.length > max + 1) {
    const joiner = sep === null ? ' ' : (sep as string);
    parts = right
      ? [parts.slice(0, parts.length - max).join(joiner), ...parts.slice(parts.length - max)]
      : [...parts.slice(0, max), parts.slice(max).join(joiner)];
  }
  return list(parts);
}

function replaceStr(s: string, a: Args): Value {
  const [from, to, count] = a.pos;
  if (typeof from !== 'string' || typeof to !== 'string') return nope('str.replace');
  if (typeof count === 'number' && count >= 0) {
    let out = s;
    let at = 0;
    for (let i = 0; i < count; i++) {
      const j = out.indexOf(from, at);
      if (j < 0) break;
      out = out.slice(0, j) + to + out.slice(j + from.length);
      at = j + to.length + (from === '' ? 1 : 0);
    }
    return out;
  }
  return s.split(from).join(to);
}

function partition(s: string, sep: string | undefined, right: boolean): Value {
  if (!sep) return nope('str.partition');
  const i = right ? s.lastIndexOf(sep) : s.indexOf(sep);
  if (i < 0) return right ? tuple(['', '', s]) : tuple([s, '', '']);
  return tuple([s.slice(0, i), sep, s.slice(i + sep.length)]);
}

function zfill(s: string, width: number): string {
  const sign = s[0] === '-' || s[0] === '+' ? s[0] : '';
  return sign + s.slice(sign.length).padStart(width - sign.length, '0');
}

function justify(s: string, a: Args, how: 'l' | 'r' | 'c'): Value {
  const width = a.pos[0];
  const fill = a.pos[1] ?? ' ';
  if (typeof width !== 'number' || typeof fill !== 'string' || fill.length !== 1) return nope('str.' + how + 'just');
  const n = Math.max(0, width - s.length);
  if (how === 'l') return s + fill.repeat(n);
  if (how === 'r') return fill.repeat(n) + s;
  const left = Math.floor(n / 2) + (n % 2 && width % 2 ? 1 : 0);
  return fill.repeat(left) + s + fill.repeat(n - left);
}

function listMethod(l: PyList, name: string): Builtin | undefined {
  const grow = (n: number): boolean => l.items.length + n <= EVAL_BUDGET.collectionItems;
  const m: Record<string, Impl> = l.tuple
    ? {
        index: (a) => {
          const i = l.items.findIndex((x) => keyOf(x) === keyOf(a.pos[0] ?? null));
          return i >= 0 ? i : nope('tuple.index');
        },
        count: (a) => l.items.filter((x) => keyOf(x) === keyOf(a.pos[0] ?? null)).length,
      }
    : {
        append: (a) => {
          if (grow(1)) l.items.push(a.pos[0] ?? null);
          return null;
        },
        extend: (a) => {
          const items = iterItems(a.pos[0] ?? null, EVAL_BUDGET.collectionItems);
          if (items && grow(items.length)) pushAll(l.items, items);
          else if (a.pos[0] !== undefined && isUnknown(a.pos[0])) l.items.push(a.pos[0]);
          return null;
        },
        insert: (a) => {
          if (typeof a.pos[0] === 'number' && grow(1)) l.items.splice(a.pos[0], 0, a.pos[1] ?? null);
          return null;
        },
        copy: () => list([...l.items]),
        pop: (a) => (l.items.length ? l.items.splice(typeof a.pos[0] === 'number' ? a.pos[0] : -1, 1)[0]! : nope('list.pop')),
        remove: (a) => {
          const i = l.items.findIndex((x) => keyOf(x) === keyOf(a.pos[0] ?? null));
          if (i >= 0) l.items.splice(i, 1);
          return null;
        },
        index: (a) => {
          const i = l.items.findIndex((x) => keyOf(x) === keyOf(a.pos[0] ?? null));
          return i >= 0 ? i : nope('list.index');
        },
        sort: () => {
          sortValues(l.items);
          return null;
        },
        reverse: () => {
          l.items.reverse();
          return null;
        },
        clear: () => {
          l.items.length = 0;
          return null;
        },
      };
  const impl = m[name];
  return impl ? fn(`list.${name}`, impl) : undefined;
}

/** Sorts in place by Python's ordering (stable); false when some pair has no order. */
export function sortValues(items: Value[], keys: Value[] = items, reverse = false): boolean {
  const idx = items.map((_, i) => i);
  let ok = true;
  idx.sort((x, y) => {
    const c = compareOrder(keys[x]!, keys[y]!);
    if (c === undefined) ok = false;
    return (c ?? 0) * (reverse ? -1 : 1);
  });
  if (!ok) return false;
  const sorted = idx.map((i) => items[i]!);
  for (let i = 0; i < sorted.length; i++) items[i] = sorted[i]!;
  return true;
}

function dictMethod(d: PyDict, name: string): Builtin | undefined {
  const m: Record<string, Impl> = {
    update: (a) => {
      if (a.pos[0] !== undefined) {
        const src = a.pos[0];
        if (isObj(src) && src.t === 'list') {
          for (const pair of src.items)
            if (isObj(pair) && pair.t === 'list' && pair.items.length === 2) dictSet(d, pair.items[0]!, pair.items[1]!);
        } else mergeInto(d, src);
      }
      for (const [k, v] of a.kw) dictSet(d, k, v);
      return null;
    },
    get: (a) => {
      noteConfigRead(d, a.pos[0] ?? null);
      return dictGet(d, a.pos[0] ?? null) ?? (d.partial ? d.partial : (a.pos[1] ?? null));
    },
    setdefault: (a) => {
      const k = a.pos[0] ?? null;
      const cur = dictGet(d, k);
      if (cur !== undefined) return cur;
      dictSet(d, k, a.pos[1] ?? null);
      return a.pos[1] ?? null;
    },
    keys: () => list([...d.entries.values()].map((e) => e[0])),
    values: () => list([...d.entries.values()].map((e) => e[1])),
    items: () => (d.partial ? d.partial : list([...d.entries.values()].map((e) => tuple([e[0], e[1]])))),
    copy: () => ({ t: 'dict', entries: new Map(d.entries), partial: d.partial, origin: d.origin }),
    pop: (a) => {
      const k = keyOf(a.pos[0] ?? null);
      const e = d.entries.get(k);
      d.entries.delete(k);
      return e ? e[1] : (a.pos[1] ?? nope('dict.pop'));
    },
    clear: () => {
      d.entries.clear();
      return null;
    },
  };
  const impl = m[name];
  return impl ? fn(`dict.${name}`, impl) : undefined;
}

/** Methods of builtin values (str, list, tuple, dict, set); undefined for other names. */
export function builtinMethod(v0: Value, name: string): Builtin | undefined {
  const v = plain(v0);
  if (typeof v === 'string') return strMethod(v, name);
  if (!isObj(v)) return undefined;
  if (v.t === 'list') return listMethod(v, name);
  if (v.t === 'dict') return dictMethod(v, name);
  if (v.t === 'set') {
    if (name === 'add')
      return fn('set.add', (a) => {
        v.entries.set(keyOf(a.pos[0] ?? null), a.pos[0] ?? null);
        return null;
      });
    if (name === 'update') {
      return fn('set.update', (a) => {
        for (const x of iterItems(a.pos[0] ?? null, EVAL_BUDGET.collectionItems) ?? []) v.entries.set(keyOf(x), x);
        return null;
      });
    }
  }
  return undefined;
}
