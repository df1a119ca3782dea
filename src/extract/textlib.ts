import { EVAL_BUDGET } from './limits.js';
import { type Args, type Value, dict, dictSet, isObj, iterItems, list, numeric, plain, tuple } from './values.js';

/**
 * Pure standard-library functions over known values (text helpers packs run on literals while
 * loading: docstrings, descriptions, names). undefined: not one of these, or not known statically.
 */

const FLAGS: Record<string, number> = {
  're.I': 2,
  're.IGNORECASE': 2,
  're.M': 8,
  're.MULTILINE': 8,
  're.S': 16,
  're.DOTALL': 16,
  're.A': 256,
  're.ASCII': 256,
  're.U': 32,
  're.UNICODE': 32,
};
export const TEXT_CONSTANTS: Record<string, Value> = {
  ...FLAGS,
  'string.ascii_lowercase': 'abcdefghijklmnopqrstuvwxyz',
  'string.ascii_uppercase': 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  'string.ascii_letters': 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
  'string.digits': '0123456789',
  'string.punctuation': '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
};

/** textwrap.dedent: removes the whitespace prefix common to all non-blank lines. */
export function dedent(text: string): string {
  const lines = text.split('\n');
  let common: string | null = null;
  for (const l of lines) {
    if (l.trim() === '') continue;
    const lead = /^[ \t]*/.exec(l)![0];
    if (common === null) common = lead;
    else {
      let i = 0;
      while (i < common.length && i < lead.length && common[i] === lead[i]) i++;
      common = common.slice(0, i);
    }
  }
  return lines.map((l) => (l.trim() === '' ? '' : l.slice((common ?? '').length))).join('\n');
}

/** inspect.cleandoc: docstring indentation removed, leading and trailing blank lines dropped. */
export function cleandoc(doc: string): string {
  const lines = doc.replace(/\t/g, '        ').split('\n');
  let margin = Infinity;
  for (const l of lines.slice(1)) {
    const content = l.trimStart();
    if (content) margin = Math.min(margin, l.length - content.length);
  }
  const out = [lines[0]!.trimStart(), ...lines.slice(1).map((l) => (margin === Infinity ? l : l.slice(margin)))];
  while (out.length && out[0] === '') out.shift();
  while (out.length && out[out.length - 1]!.trim() === '') out.pop();
  return out.join('\n');
}

/** A Python regular expression as a JS RegExp, for the syntax both share; undefined beyond it. */
function regex(pattern: Value, flags: Value | undefined, global: boolean): RegExp | undefined {
  const p = plain(pattern);
  if (typeof p !== 'string') return undefined;
  const f = flags === undefined ? 0 : numeric(flags);
  if (f === undefined) return undefined;
  if (/\(\?[aiLmsux]+\)|\(\?#|\\[AZ]|\(\?P=/.test(p)) return undefined;
  const src = p.replace(/\(\?P</g, '(?<');
  const n = Number(f);
  try {
    return new RegExp(src, (global ? 'g' : '') + (n & 2 ? 'i' : '') + (n & 8 ? 'm' : '') + (n & 16 ? 's' : '') + 'u');
  } catch {
    return undefined;
  }
}

function replacement(repl: string): string {
  return repl
    .replace(/\$/g, '$$$$')
    .replace(/\\g<(\w+)>|\\(\d+)|\\(.)/g, (_m, g: string | undefined, d: string | undefined, c: string | undefined) => {
      if (g !== undefined) return /^\d+$/.test(g) ? `$${g}` : `$<${g}>`;
      if (d !== undefined) return `$${d}`;
      return c === 'n' ? '\n' : c === 't' ? '\t' : c === '\\' ? '\\' : '\\' + c;
    });
}

export function callText(path: string, a: Args): Value | undefined {
  const s0 = plain(a.pos[0] ?? null);
  const s = typeof s0 === 'string' ? s0 : undefined;
  switch (path) {
    case 'inspect.cleandoc':
      return s === undefined ? undefined : cleandoc(s);
    case 'textwrap.dedent':
      return s === undefined ? undefined : dedent(s);
    case 'textwrap.indent': {
      const prefix = plain(a.pos[1] ?? null);
      if (s === undefined || typeof prefix !== 'string') return undefined;
      return s
        .split(/(?<=\n)/)
        .map((l) => (l.trim() ? prefix + l : l))
        .join('');
    }
    case 'string.capwords':
      return s === undefined
        ? undefined
        : s
            .split(/\s+/)
            .filter(Boolean)
            .map((w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase())
            .join(' ');
    case 're.sub': {
      const [pattern, repl, text, count] = a.pos;
      const re = regex(pattern ?? null, a.pos[4] ?? a.kw.get('flags'), !(typeof count === 'number' && count > 0));
      const r = plain(repl ?? null);
      const t = plain(text ?? null);
      if (!re || typeof r !== 'string' || typeof t !== 'string') return undefined;
      if (typeof count === 'number' && count > 1) return undefined;
      return t.replace(re, replacement(r));
    }
    case 're.split': {
      const re = regex(a.pos[0] ?? null, a.pos[3] ?? a.kw.get('flags'), true);
      const t = plain(a.pos[1] ?? null);
      if (!re || typeof t !== 'string' || (a.pos[2] ?? a.kw.get('maxsplit') ?? 0) !== 0) return undefined;
      return list(t.split(re).map((x) => (x === undefined ? null : x)));
    }
    case 're.findall': {
      const re = regex(a.pos[0] ?? null, a.pos[2] ?? a.kw.get('flags'), true);
      const t = plain(a.pos[1] ?? null);
      if (!re || typeof t !== 'string') return undefined;
      const out: Value[] = [];
      for (const m of t.matchAll(re)) {
        if (out.length > EVAL_BUDGET.collectionItems) return undefined;
        out.push(m.length <= 1 ? m[0] : m.length === 2 ? (m[1] ?? '') : tuple(m.slice(1).map((g) => g ?? '')));
      }
      return list(out);
    }
    case 're.escape':
      return s === undefined ? undefined : s.replace(/[^\w]/gu, (c) => '\\' + c);
    case 'copy.copy':
    case 'copy.deepcopy':
      return a.pos[0] === undefined ? undefined : deepCopy(a.pos[0], path === 'copy.deepcopy');
    case 'collections.OrderedDict': {
      const src = a.pos[0];
      const d = dict();
      if (src !== undefined) {
        if (isObj(src) && src.t === 'dict') d.entries = new Map(src.entries);
        else {
          const items = iterItems(src, EVAL_BUDGET.collectionItems);
          if (!items) return undefined;
          for (const p of items) if (isObj(p) && p.t === 'list' && p.items.length === 2) dictSet(d, p.items[0]!, p.items[1]!);
        }
      }
      return d;
    }
    case 'itertools.chain': {
      const out: Value[] = [];
      for (const x of a.pos) {
        const items = iterItems(x, EVAL_BUDGET.collectionItems);
        if (!items) return undefined;
        for (const i of items) out.push(i);
      }
      return list(out);
    }
    case 'math.floor':
    case 'math.ceil':
    case 'math.sqrt':
    case 'math.log2':
    case 'math.log10': {
      const n = numeric(a.pos[0] ?? null);
      if (n === undefined) return undefined;
      const x = Number(n);
      const fn = {
        'math.floor': Math.floor,
        'math.ceil': Math.ceil,
        'math.sqrt': Math.sqrt,
        'math.log2': Math.log2,
        'math.log10': Math.log10,
      }[path]!;
      return fn(x);
    }
    default:
      return undefined;
  }
}

function deepCopy(v: Value, deep: boolean): Value {
  if (!isObj(v)) return v;
  if (v.t === 'list') return { t: 'list', tuple: v.tuple, items: deep ? v.items.map((x) => deepCopy(x, true)) : [...v.items] };
  if (v.t === 'dict') {
    const entries = new Map<string, [Value, Value]>();
    for (const [k, [key, x]] of v.entries) entries.set(k, [key, deep ? deepCopy(x, true) : x]);
    return { t: 'dict', entries, partial: v.partial, origin: v.origin };
  }
  if (v.t === 'set') return { t: 'set', entries: new Map(v.entries) };
  return v;
}
