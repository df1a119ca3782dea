import type { Node } from 'web-tree-sitter';
import type { Evaluator, Frame } from './interp.js';
import { EVAL_BUDGET } from './limits.js';
import { type Unknown, type Value, dict, dictSet, isUnknown, iterItems, keyOf, list, truthy, tuple } from './values.js';

/** Iterates the clauses of a comprehension in a child scope, then builds the result. */
export function evalComprehension(ev: Evaluator, node: Node, frame: Frame): Value {
  const body = node.childForFieldName('body')!;
  const clauses = node.namedChildren.filter((c) => c!.type === 'for_in_clause' || c!.type === 'if_clause') as Node[];
  const inner: Frame = { ...frame, locals: new Map(), parent: frame, ret: null };
  const out: Value[] = [];
  const d = dict();
  let failure: Unknown | null = null;
  const run = (i: number): void => {
    if (failure) return;
    if (i === clauses.length) {
      if (node.type === 'dictionary_comprehension') {
        const k = ev.ev(body.childForFieldName('key')!, inner);
        if (isUnknown(k)) d.partial ??= k;
        else dictSet(d, k, ev.ev(body.childForFieldName('value')!, inner));
      } else out.push(ev.ev(body, inner));
      return;
    }
    const c = clauses[i]!;
    if (c.type === 'if_clause') {
      const t = truthy(ev.ev(c.namedChild(0)!, inner));
      if (t === undefined) failure = ev.unk('comprehension condition not known statically', frame, c);
      else if (t) run(i + 1);
      return;
    }
    const src = ev.ev(c.childForFieldName('right')!, i === 0 ? frame : inner);
    const items = iterItems(src, EVAL_BUDGET.loopIterations);
    if (!items) {
      failure = isUnknown(src) ? src : ev.unk('comprehension over a value not known statically', frame, c);
      return;
    }
    for (const item of items) {
      ev.tick();
      ev.assignTarget(c.childForFieldName('left')!, item, inner);
      run(i + 1);
    }
  };
  run(0);
  if (failure) return failure;
  if (node.type === 'dictionary_comprehension') return d;
  if (node.type === 'set_comprehension') {
    return { t: 'set', entries: new Map(out.map((v) => [keyOf(v), v])) };
  }
  return node.type === 'generator_expression' ? tuple(out) : list(out);
}
