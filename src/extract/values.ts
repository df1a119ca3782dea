import type { Node } from 'web-tree-sitter';

/**
 * The value model of the static evaluator. Python None/bool/int/float/str map onto JS
 * primitives (ints beyond 2^53 become bigint so seeds like 0xffffffffffffffff stay exact);
 * everything else is a tagged object.
 */
export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | PyList
  | PyDict
  | PySet
  | ClassObj
  | FuncObj
  | BoundMethod
  | Instance
  | ModuleObj
  | External
  | Unknown
  | Builtin
  | RangeObj
  | PathObj
  | PyObj
  | Lazy;

export interface PyList {
  t: 'list';
  tuple: boolean;
  items: Value[];
}
export interface PyDict {
  t: 'dict';
  entries: Map<string, [Value, Value]>;
  partial?: Unknown;
  /** Where a configuration dict came from (a shipped data file, a default dict), for diagnostics. */
  origin?: string;
  /** Instance attributes of a dict subclass instance (`self.type = ...` in its __init__). */
  attrs?: Map<string, Value>;
}
export interface PySet {
  t: 'set';
  entries: Map<string, Value>;
}
export interface Unknown {
  t: 'unknown';
  reason: string;
  file: string;
  line: number;
}
/** A name from outside the pack (torch, folder_paths, comfy_api…), known only by its dotted path. */
export interface External {
  t: 'ext';
  path: string;
}
export interface RangeObj {
  t: 'range';
  start: number;
  stop: number;
  step: number;
}
export interface PathObj {
  t: 'path';
  p: string;
}
/**
 * A large module-level literal (a lookup table) evaluated only when read: most are never read by
 * node declarations. Only module namespaces hold these; every read goes through Evaluator.force.
 */
export interface Lazy {
  t: 'lazy';
  node: Node;
  module: ModuleObj;
  value?: Value;
  forcing?: boolean;
}
/** Generic attribute bag: V3 schema/input/output objects, enum members, results of builtins. */
export interface PyObj {
  t: 'obj';
  kind: string;
  attrs: Map<string, Value>;
}

export type Scope = Map<string, Value>;

export interface ModuleObj {
  t: 'module';
  name: string;
  file: string;
  ns: Scope;
  isPackage: boolean;
  state: 'new' | 'loading' | 'done' | 'failed';
}

export interface ClassObj {
  t: 'class';
  name: string;
  module: ModuleObj;
  line: number;
  basesNode: Node | null;
  bases: Value[] | null;
  /** Attribute sources: body assignment nodes (evaluated on first access) or values. */
  body: Map<string, Node | { v: Value }>;
  cache: Map<string, Value>;
  /** Names visible to the class body besides globals (snapshot of an enclosing function frame). */
  closure: Scope | null;
  resolving: Set<string>;
  /** Members of an Enum class, in definition order. */
  enumMembers?: PyObj[];
}

export interface FuncObj {
  t: 'func';
  name: string;
  node: Node;
  module: ModuleObj;
  closure: Scope | null;
  kind: 'function' | 'classmethod' | 'staticmethod' | 'property';
  isAsync: boolean;
  owner: ClassObj | null;
}

export interface BoundMethod {
  t: 'bound';
  fn: FuncObj;
  self: Value;
}
export interface Instance {
  t: 'inst';
  cls: ClassObj;
  attrs: Map<string, Value>;
}

export type Args = { pos: Value[]; kw: Map<string, Value> };
export interface Builtin {
  t: 'builtin';
  name: string;
  call: (args: Args, at: Node) => Value;
}

export const isObj = (v: Value): v is Exclude<Value, null | boolean | number | bigint | string> => v !== null && typeof v === 'object';

export const isUnknown = (v: Value): v is Unknown => isObj(v) && v.t === 'unknown';

export const isEnumMember = (v: Value): v is PyObj => isObj(v) && v.t === 'obj' && v.kind === 'EnumMember';

/** A str/int-mixin Enum member is its value wherever Python treats it as a str or int. */
export function plain(v: Value): Value {
  return isEnumMember(v) && v.attrs.get('__mixin') !== null ? v.attrs.get('value')! : v;
}

/** Text of a value Python would use as a str (a str-mixin Enum member included). */
export function asText(v: Value): string | undefined {
  const p = plain(v);
  return typeof p === 'string' ? p : undefined;
}

export function unknown(reason: string, file: string, line: number): Unknown {
  return { t: 'unknown', reason, file, line };
}

export const list = (items: Value[]): PyList => ({ t: 'list', tuple: false, items });
export const tuple = (items: Value[]): PyList => ({ t: 'list', tuple: true, items });
export const dict = (): PyDict => ({ t: 'dict', entries: new Map() });
export const obj = (kind: string, attrs: Record<string, Value> = {}): PyObj => ({
  t: 'obj',
  kind,
  attrs: new Map(Object.entries(attrs)),
});

const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;

/** Identity of a hashable value, as Python's dict would see it (True == 1, "1" != 1). */
export function keyOf(v: Value): string {
  if (v === null) return 'N';
  if (isEnumMember(v) && v.attrs.get('__mixin') !== null) return keyOf(v.attrs.get('value')!);
  if (typeof v === 'boolean') return v ? 'n:1' : 'n:0';
  if (typeof v === 'number' || typeof v === 'bigint') return 'n:' + String(v);
  if (typeof v === 'string') return 's:' + v;
  if (v.t === 'list' && v.tuple) return 't:(' + v.items.map(keyOf).join(',') + ')';
  if (v.t === 'ext') return 'e:' + v.path;
  let id = objectIds.get(v);
  if (id === undefined) {
    id = nextObjectId++;
    objectIds.set(v, id);
  }
  return 'o:' + id;
}

export function dictSet(d: PyDict, k: Value, v: Value): void {
  d.entries.set(keyOf(k), [k, v]);
}
export function dictGet(d: PyDict, k: Value): Value | undefined {
  return d.entries.get(keyOf(k))?.[1];
}
export function dictFrom(pairs: [Value, Value][]): PyDict {
  const d = dict();
  for (const [k, v] of pairs) dictSet(d, k, v);
  return d;
}

export function normInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

export function truthy(v: Value): boolean | undefined {
  if (v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string') return v.length > 0;
  switch (v.t) {
    case 'obj':
      return isEnumMember(v) && v.attrs.get('__mixin') !== null ? truthy(plain(v)) : true;
    case 'list':
      return v.items.length > 0;
    case 'dict':
      return v.partial ? undefined : v.entries.size > 0;
    case 'set':
      return v.entries.size > 0;
    case 'range':
      return rangeLength(v) > 0;
    case 'unknown':
    case 'ext':
      return undefined;
    default:
      return true;
  }
}

export function rangeLength(r: RangeObj): number {
  const n = Math.ceil((r.stop - r.start) / r.step);
  return n > 0 ? n : 0;
}

export function typeName(v: Value): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v.t === 'list') return v.tuple ? 'tuple' : 'list';
  return v.t;
}

/** Python's str() for the values an f-string can meet; undefined when not statically known. */
export function pyStr(v: Value): string | undefined {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') {
    if (Number.isInteger(v) && !Object.is(v, -0)) return String(v);
    if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
    return String(v);
  }
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return v;
  if (v.t === 'class') return `<class '${v.module.name}.${v.name}'>`;
  if (v.t === 'path') return v.p;
  if (isEnumMember(v)) {
    if (v.attrs.get('__str') === 'value') return pyStr(v.attrs.get('value')!);
    return `${(v.attrs.get('__enum') as ClassObj).name}.${v.attrs.get('name') as string}`;
  }
  if (v.t === 'list') {
    const parts = v.items.map(pyRepr);
    if (parts.some((p) => p === undefined)) return undefined;
    if (v.tuple) return '(' + parts.join(', ') + (parts.length === 1 ? ',)' : ')');
    return '[' + parts.join(', ') + ']';
  }
  return undefined;
}

export function pyRepr(v: Value): string | undefined {
  if (isEnumMember(v)) {
    const value = pyRepr(v.attrs.get('value')!);
    return value === undefined ? undefined : `<${(v.attrs.get('__enum') as ClassObj).name}.${v.attrs.get('name') as string}: ${value}>`;
  }
  if (typeof v === 'string') return "'" + v.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
  return pyStr(v);
}

/** Structural equality for known values; undefined when either side is not known. */
export function pyEquals(a0: Value, b0: Value): boolean | undefined {
  const a = plain(a0);
  const b = plain(b0);
  if (isUnknown(a) || isUnknown(b)) return undefined;
  if ((isObj(a) && a.t === 'ext') || (isObj(b) && b.t === 'ext')) return a === b ? true : undefined;
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) {
    if (typeof na === 'bigint' || typeof nb === 'bigint') {
      return Number.isInteger(Number(na)) && Number.isInteger(Number(nb)) ? BigInt(na) === BigInt(nb) : Number(na) === Number(nb);
    }
    return na === nb;
  }
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (a === null || b === null) return a === b;
  if (isObj(a) && isObj(b) && a.t === 'list' && b.t === 'list') {
    if (a.tuple !== b.tuple || a.items.length !== b.items.length) return false;
    for (let i = 0; i < a.items.length; i++) {
      const eq = pyEquals(a.items[i], b.items[i]);
      if (eq !== true) return eq;
    }
    return true;
  }
  if (isObj(a) && isObj(b) && a.t === 'dict' && b.t === 'dict') {
    if (a.partial || b.partial) return undefined;
    if (a.entries.size !== b.entries.size) return false;
    for (const [k, [, va]] of a.entries) {
      const eb = b.entries.get(k);
      if (!eb) return false;
      const eq = pyEquals(va, eb[1]);
      if (eq !== true) return eq;
    }
    return true;
  }
  return a === b;
}

export function numeric(v: Value): number | bigint | undefined {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (isEnumMember(v)) return typeof plain(v) === 'object' ? undefined : numeric(plain(v));
  return undefined;
}

/** Items of an iterable whose contents are statically known; undefined otherwise. */
export function iterItems(v: Value, cap: number): Value[] | undefined {
  if (typeof v === 'string') return v.length > cap ? undefined : Array.from(v);
  if (!isObj(v)) return undefined;
  switch (v.t) {
    case 'list':
      return v.items;
    case 'dict':
      return v.partial ? undefined : [...v.entries.values()].map((e) => e[0]);
    case 'set':
      return [...v.entries.values()];
    case 'class':
      return v.enumMembers;
    case 'obj':
      return v.kind === 'File' ? (v.attrs.get('__lines') as PyList).items : undefined;
    case 'range': {
      const n = rangeLength(v);
      if (n > cap) return undefined;
      const out: Value[] = [];
      for (let i = 0; i < n; i++) out.push(v.start + i * v.step);
      return out;
    }
    default:
      return undefined;
  }
}

/** Appends `items` one by one: push(...items) overflows the call stack past ~100,000 items. */
export function pushAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

/**
 * Reads of configuration dicts (those with an `origin`) while an `if` condition is decided, so
 * that a branch chosen by the pack's shipped defaults can be named in a diagnostic. Evaluation of
 * one pack is synchronous, so one collector for the process is enough.
 */
export const configProbe: { reads: string[] | null } = { reads: null };

export function noteConfigRead(d: PyDict, key: Value): void {
  if (configProbe.reads && d.origin) configProbe.reads.push(`${d.origin}[${pyRepr(key) ?? '?'}]`);
}
