import { runtimeReason } from './stdlib.js';
import { type Unknown, type Value, isEnumMember, isObj, isUnknown, plain, unknown } from './values.js';

/** JSON data where integers beyond 2^53 stay exact as bigint. */
export type Json = null | boolean | number | bigint | string | Json[] | { [k: string]: Json };

/** Called for each part of a value that is not statically known; the path names where it sits. */
export type OnUnknown = (path: string[], u: Unknown) => void;

function keyText(k0: Value): string | undefined {
  const k = plain(k0);
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint') return String(k);
  if (typeof k === 'boolean') return k ? 'true' : 'false';
  if (k === null) return 'null';
  return undefined;
}

/**
 * Converts a value as json.dumps would (tuples and sets become arrays). Unknown parts are
 * reported and dropped: list items are skipped, dict entries left out; a wholly unknown value
 * gives undefined.
 */
export function toJson(v: Value, path: string[], onUnknown: OnUnknown): Json | undefined {
  if (v === null || typeof v === 'boolean' || typeof v === 'string' || typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return v;
    onUnknown(path, unknown('infinite or NaN number has no JSON form', '', 0));
    return undefined;
  }
  switch (v.t) {
    case 'list': {
      const out: Json[] = [];
      v.items.forEach((x, i) => {
        const j = toJson(x, [...path, String(i)], onUnknown);
        if (j !== undefined) out.push(j);
      });
      return out;
    }
    case 'set':
      return [...v.entries.values()].map((x) => toJson(x, path, onUnknown)).filter((x): x is Json => x !== undefined);
    case 'dict': {
      const out: { [k: string]: Json } = {};
      for (const [k, x] of v.entries.values()) {
        const key = keyText(k);
        if (key === undefined) continue;
        const j = toJson(x, [...path, key], onUnknown);
        if (j !== undefined) out[key] = j;
      }
      if (v.partial) onUnknown(path, v.partial);
      return out;
    }
    case 'unknown':
      onUnknown(path, v);
      return undefined;
    case 'path':
      return v.p;
    case 'class':
      return v.name;
    case 'obj':
      // json.dumps writes a str/int Enum member as its value and refuses a plain Enum member.
      if (isEnumMember(v) && plain(v) !== v) return toJson(plain(v), path, onUnknown);
      onUnknown(
        path,
        unknown(
          v.kind === 'EnumMember' ? 'a plain Enum member has no JSON form (use .value)' : `a ${v.kind} object has no JSON form`,
          '',
          0,
        ),
      );
      return undefined;
    default:
      onUnknown(path, unknown(v.t === 'ext' ? runtimeReason(v.path, false) : `a ${v.t} object has no JSON form`, '', 0));
      return undefined;
  }
}

export function stringify(j: Json, indent = 0): string {
  const pad = (d: number): string => (indent ? '\n' + ' '.repeat(indent * d) : '');
  const go = (x: Json, d: number): string => {
    if (typeof x === 'bigint') return x.toString();
    if (x === null || typeof x !== 'object') return JSON.stringify(x);
    if (Array.isArray(x)) {
      if (x.length === 0) return '[]';
      return '[' + x.map((e) => pad(d + 1) + go(e, d + 1)).join(',') + pad(d) + ']';
    }
    const keys = Object.keys(x);
    if (keys.length === 0) return '{}';
    return '{' + keys.map((k) => pad(d + 1) + JSON.stringify(k) + (indent ? ': ' : ':') + go(x[k]!, d + 1)).join(',') + pad(d) + '}';
  };
  return go(j, 0);
}

export { isObj, isUnknown };
