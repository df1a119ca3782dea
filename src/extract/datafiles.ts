import { posix } from 'node:path';
import { PyRaise } from './interp.js';
import { PACK_ROOT } from './stdlib.js';
import {
  type Args,
  type PyDict,
  type PyObj,
  type Value,
  dict,
  dictSet,
  isObj,
  isUnknown,
  keyOf,
  list,
  obj,
  plain,
  pyRepr,
  unknown,
} from './values.js';

/**
 * The pack's data files (JSON, YAML, text shipped in the archive) read as Python would read
 * them, never executed: `open()`, file objects, `json`, `yaml.safe_load`. Files the pack writes
 * while loading (a default config copied on first run) go to an in-memory overlay, so that a
 * later read sees them; nothing touches the disk.
 */
export class DataFiles {
  private readonly overlay = new Map<string, string>();

  constructor(
    private readonly texts: Map<string, Buffer>,
    private readonly exists: (rel: string) => boolean,
  ) {}

  /** Pack-relative path of an absolute path under PACK_ROOT, or null outside the pack. */
  static rel(p: string): string | null {
    const n = posix.normalize(p);
    return n === PACK_ROOT ? '' : n.startsWith(PACK_ROOT + '/') ? n.slice(PACK_ROOT.length + 1) : null;
  }

  isWritten(rel: string): boolean {
    return this.overlay.has(rel);
  }

  text(rel: string): string | undefined {
    const o = this.overlay.get(rel);
    if (o !== undefined) return o;
    const b = this.texts.get(rel);
    return b === undefined ? undefined : b.toString('utf8').replace(/^\uFEFF/, '');
  }

  /** open(path, mode): a File object; a missing file raises FileNotFoundError as Python would. */
  open(a: Args): Value {
    const p = pathText(a.pos[0] ?? a.kw.get('file') ?? null);
    const mode = a.pos[1] ?? a.kw.get('mode') ?? 'r';
    if (p === undefined || typeof mode !== 'string') return unknown('open() of a path not known statically', '', 0);
    const rel = DataFiles.rel(p);
    if (rel === null) return unknown(`open(${JSON.stringify(p)}) reads outside the pack`, '', 0);
    if (/[wax]/.test(mode)) {
      if (mode.includes('w') || !this.overlay.has(rel)) this.overlay.set(rel, mode.includes('a') ? (this.text(rel) ?? '') : '');
      return file(rel, mode);
    }
    if (mode.includes('b')) return unknown(`binary contents of ${rel} are not read`, '', 0);
    if (this.text(rel) === undefined) {
      if (this.exists(rel)) return unknown(`contents of ${rel} are not kept (not a known data file, or too large)`, '', 0);
      throw new PyRaise('FileNotFoundError', `${rel} is not in the pack`);
    }
    return file(rel, mode, this.lines(rel));
  }

  /** Methods of a File object (read, readlines, write, close, context manager). */
  method(f: PyObj, name: string): Value | undefined {
    const rel = f.attrs.get('path') as string;
    const call = (fn: (a: Args) => Value): Value => ({ t: 'builtin', name: `file.${name}`, call: (a) => fn(a) });
    switch (name) {
      case 'read':
        return call(() => this.text(rel) ?? unknown(`contents of ${rel} not known`, '', 0));
      case 'readlines':
        return call(() => list(this.lines(rel)));
      case 'write':
        return call((a) => {
          const s = a.pos[0];
          if (typeof s === 'string') this.overlay.set(rel, (this.overlay.get(rel) ?? '') + s);
          return typeof s === 'string' ? s.length : null;
        });
      case 'close':
      case 'flush':
        return call(() => null);
      case '__enter__':
        return call(() => f);
      case 'name':
        return posix.join(PACK_ROOT, rel);
      default:
        return undefined;
    }
  }

  lines(rel: string): Value[] {
    const t = this.text(rel) ?? '';
    return t.split(/(?<=\n)/).filter((l) => l !== '');
  }

  /** json.load / json.loads / yaml.safe_load and the writers; undefined when the call is not one of these. */
  call(path: string, a: Args): Value | undefined {
    const src = a.pos[0] ?? a.kw.get('stream') ?? a.kw.get('s') ?? a.kw.get('fp') ?? null;
    const fileRel = isObj(src) && src.t === 'obj' && src.kind === 'File' ? (src.attrs.get('path') as string) : null;
    const textOf = (): string | undefined => (fileRel !== null ? this.text(fileRel) : typeof src === 'string' ? src : undefined);
    const origin = fileRel ?? 'a JSON text';
    switch (path) {
      case 'json.load':
      case 'json.loads': {
        const t = textOf();
        if (t === undefined) return isUnknown(src) ? src : unknown(`${path}() of contents not known statically`, '', 0);
        try {
          return fromJson(JSON.parse(t), origin);
        } catch {
          throw new PyRaise('JSONDecodeError', `${origin} is not valid JSON`);
        }
      }
      case 'yaml.safe_load':
      case 'yaml.load':
      case 'yaml.full_load': {
        const t = textOf();
        if (t === undefined) return isUnknown(src) ? src : unknown(`${path}() of contents not known statically`, '', 0);
        const v = parseYaml(t, origin);
        return v === undefined ? unknown(`${origin}: YAML beyond the subset read statically`, '', 0) : v;
      }
      case 'json.dump': {
        const f = a.pos[1] ?? a.kw.get('fp') ?? null;
        const text = toJsonText(a.pos[0] ?? null);
        if (isObj(f) && f.t === 'obj' && f.kind === 'File' && text !== undefined) {
          const rel = f.attrs.get('path') as string;
          this.overlay.set(rel, (this.overlay.get(rel) ?? '') + text);
        }
        return null;
      }
      case 'json.dumps':
        return toJsonText(a.pos[0] ?? null) ?? unknown('json.dumps() of a value not known statically', '', 0);
      case 'shutil.copy':
      case 'shutil.copyfile':
      case 'shutil.copy2': {
        const from = pathText(a.pos[0] ?? null);
        const to = pathText(a.pos[1] ?? null);
        const fr = from === undefined ? null : DataFiles.rel(from);
        const tr = to === undefined ? null : DataFiles.rel(to);
        const t = fr === null ? undefined : this.text(fr);
        if (tr !== null && t !== undefined) this.overlay.set(tr, t);
        return to ?? null;
      }
      default:
        return undefined;
    }
  }
}

function file(rel: string, mode: string, lines: Value[] = []): PyObj {
  return obj('File', { path: rel, mode, __lines: list(lines) });
}

function pathText(v: Value): string | undefined {
  if (typeof v === 'string') return v;
  return isObj(v) && v.t === 'path' ? v.p : undefined;
}

/** JSON data as Python values; every dict remembers the file it came from (see configProbe). */
export function fromJson(j: unknown, origin: string): Value {
  if (j === null || typeof j === 'boolean' || typeof j === 'number' || typeof j === 'string') return j;
  const inner = (v: unknown, key: string | number): Value =>
    v !== null && typeof v === 'object' ? fromJson(v, `${origin}[${typeof key === 'number' ? key : pyRepr(key)}]`) : (v as Value);
  if (Array.isArray(j)) return list(j.map((x, i) => inner(x, i)));
  const d: PyDict = dict();
  d.origin = origin;
  for (const [k, v] of Object.entries(j as Record<string, unknown>)) dictSet(d, k, inner(v, k));
  return d;
}

function toJsonText(v0: Value): string | undefined {
  const v = plain(v0);
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v.t === 'list') {
    const parts = v.items.map(toJsonText);
    return parts.every((p) => p !== undefined) ? '[' + parts.join(', ') + ']' : undefined;
  }
  if (v.t === 'dict') {
    if (v.partial) return undefined;
    const parts: string[] = [];
    for (const [k, x] of v.entries.values()) {
      const key = plain(k);
      const t = toJsonText(x);
      if (typeof key !== 'string' || t === undefined) return undefined;
      parts.push(JSON.stringify(key) + ': ' + t);
    }
    return '{' + parts.join(', ') + '}';
  }
  return undefined;
}

/** A YAML scalar: null, booleans, numbers, quoted and plain strings, flow lists of scalars. */
function yamlScalar(raw: string): Value | undefined {
  const s = raw.trim();
  if (s === '' || s === '~' || /^null$/i.test(s)) return null;
  if (/^(true|yes|on)$/i.test(s)) return true;
  if (/^(false|no|off)$/i.test(s)) return false;
  if (/^[-+]?\d+$/.test(s)) return Number(s);
  if (/^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s);
  if (/^'.*'$/.test(s)) return s.slice(1, -1).replace(/''/g, "'");
  if (/^".*"$/.test(s)) {
    try {
      return JSON.parse(s) as string;
    } catch {
      return undefined;
    }
  }
  if (s.startsWith('[') && s.endsWith(']')) {
    const inner = s.slice(1, -1).trim();
    if (inner === '') return list([]);
    const items = inner.split(',').map((x) => yamlScalar(x));
    return items.some((x) => x === undefined) ? undefined : list(items as Value[]);
  }
  if (/^[[{&*!|>%@`]/.test(s)) return undefined;
  return s;
}

/** Block mappings and sequences of scalars, the shape of pack config files; undefined beyond that. */
export function parseYaml(text: string, origin: string): Value | undefined {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.replace(/(^|\s)#.*$/, ''))
    .filter((l) => l.trim() !== '' && l.trim() !== '---');
  let i = 0;
  const indentOf = (l: string): number => l.length - l.trimStart().length;
  const block = (indent: number): Value | undefined => {
    if (i >= lines.length) return null;
    if (lines[i]!.trimStart().startsWith('- ') || lines[i]!.trim() === '-') {
      const out: Value[] = [];
      while (i < lines.length && indentOf(lines[i]!) === indent && lines[i]!.trimStart().startsWith('-')) {
        const rest = lines[i]!.trimStart().slice(1).trim();
        i++;
        const v = rest === '' ? block(i < lines.length ? indentOf(lines[i]!) : indent + 2) : yamlScalar(rest);
        if (v === undefined) return undefined;
        out.push(v);
      }
      return list(out);
    }
    const d: PyDict = dict();
    d.origin = origin;
    while (i < lines.length && indentOf(lines[i]!) === indent) {
      const m = /^\s*("[^"]*"|'[^']*'|[^:]+?)\s*:(?:\s+(.*))?$/.exec(lines[i]!);
      if (!m) return undefined;
      i++;
      const key = yamlScalar(m[1]!);
      if (key === undefined || isObj(key)) return undefined;
      let v: Value | undefined;
      if (m[2] !== undefined && m[2].trim() !== '') v = yamlScalar(m[2]);
      else if (i < lines.length && indentOf(lines[i]!) > indent) v = block(indentOf(lines[i]!));
      else if (i < lines.length && indentOf(lines[i]!) === indent && lines[i]!.trimStart().startsWith('-')) v = block(indent);
      else v = null;
      if (v === undefined) return undefined;
      if (isObj(v) && v.t === 'dict') v.origin = `${d.origin}[${pyRepr(key)}]`;
      d.entries.set(keyOf(key), [key, v]);
    }
    return d;
  };
  const v = block(lines.length ? indentOf(lines[0]!) : 0);
  return i === lines.length ? v : undefined;
}
