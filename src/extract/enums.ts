import type { Node } from 'web-tree-sitter';
import { type Host, mro, ownAttr } from './runtime.js';
import { type ClassObj, type PyObj, type Value, isObj, isUnknown, obj, pyEquals } from './values.js';

/**
 * `enum.Enum` classes: members are objects with `.name` and `.value`; a member of a str/int
 * mixin enum (`class X(str, Enum)`, `StrEnum`, `IntEnum`) also behaves as its value.
 */

const ENUM_BASES = new Set(['enum.Enum', 'enum.IntEnum', 'enum.StrEnum', 'enum.Flag', 'enum.IntFlag', 'enum.ReprEnum']);
const STR_BASES = new Set(['enum.StrEnum']);
const INT_BASES = new Set(['enum.IntEnum', 'enum.IntFlag']);

export type Mixin = 'str' | 'int' | null;

function enumKind(cls: ClassObj): { mixin: Mixin; strIsValue: boolean } | null {
  let isEnum = false;
  let mixin: Mixin = null;
  let strIsValue = false;
  for (const c of mro(cls)) {
    if (!isObj(c)) continue;
    if (c.t === 'ext' && ENUM_BASES.has(c.path)) {
      isEnum = true;
      if (STR_BASES.has(c.path)) {
        mixin = 'str';
        strIsValue = true;
      }
      if (INT_BASES.has(c.path)) {
        mixin = 'int';
        strIsValue = true;
      }
    } else if (c.t === 'class' && c !== cls && c.enumMembers) isEnum = true;
    else if (c.t === 'builtin' && (c.name === 'str' || c.name === 'int')) mixin ??= c.name;
    if (c.t === 'class' && c.body.has('__str__')) strIsValue = true;
  }
  return isEnum ? { mixin, strIsValue } : null;
}

export function makeMember(cls: ClassObj, name: string, value: Value, mixin: Mixin, strIsValue: boolean): PyObj {
  return obj('EnumMember', { name, value, __enum: cls, __mixin: mixin, __str: strIsValue ? 'value' : 'qualified' });
}

/** Turns a just-defined class into an Enum when it derives from one: its members, in order. */
export function buildEnum(host: Host, cls: ClassObj): void {
  const kind = enumKind(cls);
  if (!kind) return;
  const members: PyObj[] = [];
  let lastInt = 0;
  for (const [name, src] of cls.body) {
    if (name.startsWith('_') || !('type' in src)) continue;
    const node = src as Node;
    if (node.type === 'lambda') continue;
    let value = ownAttr(host, cls, name) ?? null;
    if (isUnknown(value) && /\bauto\s*\(\s*\)$/.test(node.text)) {
      value = kind.mixin === 'str' ? name.toLowerCase() : lastInt + 1;
    }
    if (typeof value === 'number') lastInt = value;
    const alias = members.find((m) => pyEquals(m.attrs.get('value')!, value) === true);
    const member = alias ?? makeMember(cls, name, value, kind.mixin, kind.strIsValue);
    if (!alias) members.push(member);
    cls.body.set(name, { v: member });
    cls.cache.delete(name);
  }
  cls.enumMembers = members;
}

/** `Color["RED"]` and `Color("red")`: a member by name or by value. */
export function enumLookup(cls: ClassObj, key: Value, byValue: boolean): Value | undefined {
  const members = cls.enumMembers ?? [];
  return members.find((m) => (byValue ? pyEquals(m.attrs.get('value')!, key) === true : m.attrs.get('name') === key));
}
