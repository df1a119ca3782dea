import { EVAL_BUDGET } from './limits.js';
import { mergeInto } from './interp.js';
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
  pyStr,
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
    replace: (a) => (typeof a.pos[0] === 'string' && typeof a.pos[1] === 'string' ? s.split(a.pos[0]).join(a.pos[1]) : nope('str.replace')),
    removeprefix: (a) => {
      const p = str1(a);
      return p !== undefined && s.startsWith(p) ? s.slice(p.length) : s;
    },
    removesuffix: (a) => {
      const p = str1(a);
      return p && s.endsWith(p) ? s.slice(0, -p.length) : s;
    },
    split: (a) => {
      const sep = a.pos[0] ?? a.kw.get('sep') ?? null;
      if (sep === null)
        return list(
          s
            .trim()
            .split(/\s+/)
            .filter((x) => x !== ''),
        );
      return typeof sep === 'string' && sep ? list(s.split(sep)) : nope('str.split');
    },
    join: (a) => {
      const items = iterItems(a.pos[0] ?? null, EVAL_BUDGET.collectionItems);
      return items && items.every((x) => typeof x === 'string') ? (items as string[]).join(s) : nope('str.join');
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
  let auto = 0;
  let failed = false;
  const out = s.replace(/\{\{|\}\}|\{([^{}!:]*)(![rsa])?(:[^{}]*)?\}/g, (m, field: string | undefined, _conv, spec: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    if (spec && spec !== ':') failed = true;
    const v = field === '' || field === undefined ? a.pos[auto++] : /^\d+$/.test(field) ? a.pos[Number(field)] : a.kw.get(field);
    const t = v === undefined ? undefined : pyStr(v);
    if (t === undefined) failed = true;
    return t ?? '';
  });
  return failed ? nope('str.format') : out;
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

export function sortValues(items: Value[]): boolean {
  if (items.every((x) => typeof x === 'string'))
    items.sort((a, b) => ((a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0));
  else if (items.every((x) => typeof x === 'number')) items.sort((a, b) => (a as number) - (b as number));
  else return false;
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
    get: (a) => dictGet(d, a.pos[0] ?? null) ?? (d.partial ? d.partial : (a.pos[1] ?? null)),
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
    copy: () => ({ t: 'dict', entries: new Map(d.entries), partial: d.partial }),
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
export function builtinMethod(v: Value, name: string): Builtin | undefined {
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
