import type { Node } from 'web-tree-sitter';
import type { Evaluator, Frame } from './interp.js';
import { type FuncObj, type Value, dictSet } from './values.js';

/**
 * Binds a call's arguments to a pack function's parameters: positional, keyword, defaults
 * (evaluated in the defining scope), `*args` and `**kwargs`; a missing one becomes an unknown.
 */
export function bindParams(ev: Evaluator, fn: FuncObj, pos: Value[], kw: Map<string, Value>, frame: Frame): void {
  const params = fn.node.childForFieldName('parameters');
  if (!params) return;
  let i = 0;
  const defFrame: Frame = { ...frame, locals: fn.closure ? new Map(fn.closure) : null, parent: null };
  for (const p of params.namedChildren) {
    const param = p!;
    let name: string;
    let dflt: Node | null = null;
    if (param.type === 'identifier') name = param.text;
    else if (param.type === 'default_parameter' || param.type === 'typed_default_parameter') {
      name = param.childForFieldName('name')!.text;
      dflt = param.childForFieldName('value');
    } else if (param.type === 'typed_parameter') {
      const inner = param.namedChild(0)!;
      if (inner.type === 'list_splat_pattern') {
        frame.locals!.set(inner.namedChild(0)!.text, { t: 'list', tuple: true, items: pos.slice(i) });
        i = pos.length;
        continue;
      }
      if (inner.type === 'dictionary_splat_pattern') continue;
      name = inner.text;
    } else if (param.type === 'list_splat_pattern') {
      frame.locals!.set(param.namedChild(0)!.text, { t: 'list', tuple: true, items: pos.slice(i) });
      i = pos.length;
      continue;
    } else if (param.type === 'dictionary_splat_pattern') {
      const d = { t: 'dict' as const, entries: new Map<string, [Value, Value]>() };
      for (const [k, v] of kw) dictSet(d, k, v);
      frame.locals!.set(param.namedChild(0)!.text, d);
      continue;
    } else continue;
    let v: Value | undefined = kw.get(name);
    if (v !== undefined) kw.delete(name);
    else if (i < pos.length) v = pos[i++];
    else v = dflt ? ev.ev(dflt, defFrame) : ev.unk(`argument '${name}' not passed`, frame, param);
    frame.locals!.set(name, v!);
  }
}
