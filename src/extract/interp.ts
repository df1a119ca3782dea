import type { Node } from 'web-tree-sitter';
import { EVAL_BUDGET } from './limits.js';
import { parseInteger } from './literals.js';
import { NOPE, binaryOp, compareOp, sliceOf, subscript, unaryOp } from './operators.js';
import { evalComprehension } from './comprehensions.js';
import { evalString } from './strings.js';
import type { Diagnostic } from './types.js';
import {
  type Args,
  type ClassObj,
  type ModuleObj,
  type PyDict,
  type Scope,
  type Unknown,
  type Value,
  dict,
  dictSet,
  isObj,
  isUnknown,
  iterItems,
  keyOf,
  list,
  truthy,
  tuple,
  unknown,
  pushAll,
} from './values.js';

export interface Frame {
  module: ModuleObj;
  /** null at module level (names live in module.ns). */
  locals: Scope | null;
  /** Enclosing frame of a comprehension. */
  parent: Frame | null;
  closure: Scope | null;
  classScope: ClassObj | null;
  globalNames: Set<string> | null;
  /** Class whose method is running, and its first argument, for zero-argument super(). */
  owner: ClassObj | null;
  self: Value | undefined;
  ret: Value;
  /** Values a generator function has yielded so far (generators run to completion when called). */
  yields?: Value[];
}

export class BudgetExceeded extends Error {}

/** A Python exception raised by the interpreted code (import failures, `raise`). */
export class PyRaise extends Error {
  constructor(
    public readonly excType: string,
    message: string,
    public readonly file = '',
    public readonly line = 0,
  ) {
    super(message);
  }
}

/** Hooks the expression evaluator needs from the rest of the interpreter. */
export interface Runtime {
  lookupBuiltin(name: string): Value | undefined;
  getAttr(v: Value, name: string, at: Node, frame: Frame): Value;
  call(fn: Value, args: Args, at: Node, frame: Frame): Value;
  makeLambda(node: Node, frame: Frame): Value;
  classAttrInScope(cls: ClassObj, name: string): Value | undefined;
}

export abstract class Evaluator {
  steps = 0;
  private depth = 0;
  readonly diagnostics: Diagnostic[] = [];
  private readonly seenDiags = new Set<string>();
  abstract rt: Runtime;

  diag(d: Diagnostic): void {
    const key = `${d.file}:${d.line}:${d.node ?? ''}:${d.field ?? ''}:${d.message}`;
    if (this.seenDiags.has(key)) return;
    this.seenDiags.add(key);
    this.diagnostics.push(d);
  }

  tick(): void {
    if (++this.steps > EVAL_BUDGET.steps) throw new BudgetExceeded('evaluation step budget exhausted');
  }

  /** The value of a deferred module-level literal (evaluated once, on first read). */
  force(v: Value): Value {
    if (!isObj(v) || v.t !== 'lazy') return v;
    if (v.value === undefined) {
      if (v.forcing) return unknown('literal refers to itself', v.module.file, v.node.startPosition.row + 1);
      v.forcing = true;
      const frame: Frame = {
        module: v.module,
        locals: null,
        parent: null,
        closure: null,
        classScope: null,
        globalNames: null,
        owner: null,
        self: undefined,
        ret: null,
      };
      try {
        v.value = this.ev(v.node, frame);
      } finally {
        v.forcing = false;
      }
    }
    return v.value;
  }

  unk(reason: string, frame: Frame, at: Node): Unknown {
    return unknown(reason, frame.module.file, at.startPosition.row + 1);
  }

  /** Runs `fn` one nesting level deeper; too deep yields an unknown instead of a stack overflow. */
  nested<T extends Value>(frame: Frame, at: Node, fn: () => T): T | Unknown {
    if (this.depth >= EVAL_BUDGET.exprDepth) {
      const line = at.startPosition.row + 1;
      this.diag({ file: frame.module.file, line, message: `nesting deeper than ${EVAL_BUDGET.exprDepth} levels: not evaluated` });
      return unknown('nested too deeply', frame.module.file, line);
    }
    this.depth++;
    try {
      return fn();
    } finally {
      this.depth--;
    }
  }

  lookup(name: string, frame: Frame, at: Node): Value {
    for (let f: Frame | null = frame; f; f = f.parent) {
      if (f.locals && f.locals.has(name)) return f.locals.get(name)!;
      if (f.parent) continue;
      if (f.classScope) {
        const v = this.rt.classAttrInScope(f.classScope, name);
        if (v !== undefined) return v;
      }
      if (f.closure && f.closure.has(name)) return f.closure.get(name)!;
      const g = f.module.ns.get(name);
      if (g !== undefined) return this.force(g);
    }
    const b = this.rt.lookupBuiltin(name);
    if (b !== undefined) return b;
    return this.unk(`name '${name}' is not defined statically`, frame, at);
  }

  ev(node: Node, frame: Frame): Value {
    this.tick();
    switch (node.type) {
      case 'integer':
        return parseInteger(node.text);
      case 'float': {
        const t = node.text.replace(/_/g, '');
        return /j$/i.test(t) ? this.unk('complex literal', frame, node) : parseFloat(t);
      }
      case 'true':
        return true;
      case 'false':
        return false;
      case 'none':
        return null;
      case 'ellipsis':
        return this.unk('Ellipsis', frame, node);
      case 'identifier':
        return this.lookup(node.text, frame, node);
      case 'string':
        return evalString(this, node, frame);
      case 'concatenated_string': {
        let out = '';
        for (const part of node.namedChildren) {
          const v = this.ev(part!, frame);
          if (typeof v !== 'string') return isUnknown(v) ? v : this.unk('non-text string part', frame, node);
          out += v;
        }
        return out;
      }
      case 'parenthesized_expression': {
        const inner = node.namedChildren.find((c) => c!.type !== 'comment');
        return inner ? this.nested(frame, node, () => this.ev(inner, frame)) : null;
      }
      case 'expression_statement':
        return this.ev(node.namedChild(0)!, frame);
      case 'list':
      case 'tuple':
      case 'set':
      case 'expression_list':
      case 'pattern_list':
        return this.nested(frame, node, () => this.sequence(node, frame));
      case 'dictionary':
        return this.nested(frame, node, () => this.dictionary(node, frame));
      case 'list_comprehension':
      case 'set_comprehension':
      case 'generator_expression':
      case 'dictionary_comprehension':
        return this.nested(frame, node, () => evalComprehension(this, node, frame));
      case 'attribute': {
        const o = this.nested(frame, node, () => this.ev(node.childForFieldName('object')!, frame));
        return isUnknown(o) ? o : this.rt.getAttr(o, node.childForFieldName('attribute')!.text, node, frame);
      }
      case 'subscript':
        return this.nested(frame, node, () => this.subscriptExpr(node, frame));
      case 'call':
        return this.nested(frame, node, () => this.callExpr(node, frame));
      case 'binary_operator':
        return this.nested(frame, node, () => this.binary(node, frame));
      case 'unary_operator': {
        const v = this.nested(frame, node, () => this.ev(node.childForFieldName('argument')!, frame));
        if (isUnknown(v)) return v;
        const r = unaryOp(node.childForFieldName('operator')!.text, v);
        return r === NOPE ? this.unk('unsupported unary operation', frame, node) : r;
      }
      case 'not_operator': {
        const t = truthy(this.nested(frame, node, () => this.ev(node.childForFieldName('argument')!, frame)));
        return t === undefined ? this.unk('truth value not known', frame, node) : !t;
      }
      case 'boolean_operator':
        return this.nested(frame, node, () => this.boolOp(node, frame));
      case 'comparison_operator':
        return this.nested(frame, node, () => this.comparison(node, frame));
      case 'conditional_expression': {
        const [a, cond, b] = node.namedChildren;
        const t = truthy(this.nested(frame, node, () => this.ev(cond!, frame)));
        if (t === undefined) return this.unk('condition not known statically', frame, node);
        return this.nested(frame, node, () => this.ev((t ? a : b)!, frame));
      }
      case 'await':
        return this.ev(node.namedChild(0)!, frame);
      case 'yield':
        return this.yieldExpr(node, frame);
      case 'named_expression': {
        const v = this.ev(node.childForFieldName('value')!, frame);
        (frame.locals ?? frame.module.ns).set(node.childForFieldName('name')!.text, v);
        return v;
      }
      case 'lambda':
        return this.rt.makeLambda(node, frame);
      case 'keyword_argument':
      case 'comment':
        return this.unk(`unexpected ${node.type}`, frame, node);
      default:
        return this.unk(`unsupported expression (${node.type})`, frame, node);
    }
  }

  private sequence(node: Node, frame: Frame): Value {
    const items: Value[] = [];
    for (const c of node.namedChildren) {
      if (c!.type === 'comment') continue;
      if (c!.type === 'list_splat' || c!.type === 'parenthesized_list_splat') {
        const v = this.ev(c!.namedChild(0)!, frame);
        const it = iterItems(v, EVAL_BUDGET.collectionItems);
        if (!it) return isUnknown(v) ? v : this.unk('starred value not iterable statically', frame, c!);
        pushAll(items, it);
      } else items.push(this.ev(c!, frame));
    }
    if (node.type === 'set') {
      const s = { t: 'set' as const, entries: new Map<string, Value>() };
      for (const v of items) {
        if (isUnknown(v)) return v;
        s.entries.set(keyOf(v), v);
      }
      return s;
    }
    return node.type === 'list' ? list(items) : tuple(items);
  }

  private dictionary(node: Node, frame: Frame): Value {
    const d = dict();
    for (const c of node.namedChildren) {
      if (c!.type === 'pair') {
        const k = this.ev(c!.childForFieldName('key')!, frame);
        const v = this.ev(c!.childForFieldName('value')!, frame);
        if (isUnknown(k)) d.partial ??= k;
        else dictSet(d, k, v);
      } else if (c!.type === 'dictionary_splat') {
        mergeInto(d, this.ev(c!.namedChild(0)!, frame));
      }
    }
    return d;
  }

  /** Binds a loop or assignment target (names, tuples, subscripts, attributes). */
  abstract assignTarget(target: Node, value: Value, frame: Frame): void;

  private subscriptExpr(node: Node, frame: Frame): Value {
    const container = this.ev(node.childForFieldName('value')!, frame);
    if (isUnknown(container)) return container;
    const subs = node.childrenForFieldName('subscript').filter((s) => s!.type !== 'comment') as Node[];
    if (subs.length === 1 && subs[0]!.type === 'slice') {
      const parts: Value[] = [null, null, null];
      let idx = 0;
      for (const ch of subs[0]!.children) {
        if (ch!.type === ':') idx++;
        else parts[idx] = this.ev(ch!, frame);
      }
      if (parts.some(isUnknown)) return parts.find(isUnknown)!;
      const r = sliceOf(container, parts[0]!, parts[1]!, parts[2]!);
      return r === NOPE ? this.unk('slice not known statically', frame, node) : r;
    }
    const key = subs.length === 1 ? this.ev(subs[0]!, frame) : tuple(subs.map((s) => this.ev(s, frame)));
    if (isUnknown(key)) return key;
    if (isObj(container) && container.t === 'class' && container.enumMembers) {
      return (
        container.enumMembers.find((m) => m.attrs.get('name') === key) ??
        this.unk(`no member ${String(key)} in ${container.name}`, frame, node)
      );
    }
    const r = subscript(container, key);
    if (r !== NOPE) return r;
    if (isObj(container) && (container.t === 'class' || container.t === 'builtin')) return container; // typing generics: list[str]
    return this.unk('subscript not known statically', frame, node);
  }

  private yieldExpr(node: Node, frame: Frame): Value {
    const arg = node.namedChildren.find((c) => c!.type !== 'comment');
    const v = arg ? this.ev(arg, frame) : null;
    if (!frame.yields) return this.unk('yield outside a generator being run', frame, node);
    if (node.children.some((c) => c!.type === 'from')) {
      const items = iterItems(v, EVAL_BUDGET.collectionItems);
      if (items) pushAll(frame.yields, items);
      else frame.yields.push(isUnknown(v) ? v : this.unk('yield from a value not known statically', frame, node));
    } else frame.yields.push(v);
    if (frame.yields.length > EVAL_BUDGET.collectionItems) throw new BudgetExceeded('generator yielded too many values');
    return null;
  }

  private binary(node: Node, frame: Frame): Value {
    const a = this.ev(node.childForFieldName('left')!, frame);
    if (isUnknown(a)) return a;
    const b = this.ev(node.childForFieldName('right')!, frame);
    if (isUnknown(b)) return b;
    const op = node.childForFieldName('operator')!.text;
    if (op === '/' && isObj(a) && a.t === 'path' && typeof b === 'string') return { t: 'path', p: joinPath(a.p, b) };
    const r = binaryOp(op, a, b);
    return r === NOPE ? this.unk(`operator ${op} not evaluated statically`, frame, node) : r;
  }

  private boolOp(node: Node, frame: Frame): Value {
    const op = node.childForFieldName('operator')!.text;
    const a = this.ev(node.childForFieldName('left')!, frame);
    const t = truthy(a);
    if (t === undefined) return isUnknown(a) ? a : this.unk('truth value not known', frame, node);
    if (op === 'and' ? !t : t) return a;
    return this.ev(node.childForFieldName('right')!, frame);
  }

  private comparison(node: Node, frame: Frame): Value {
    const operands = node.namedChildren.filter((c) => c!.type !== 'comment') as Node[];
    const ops = node.childrenForFieldName('operators').map((o) => o!.text.replace(/\s+/g, ' '));
    let left = this.ev(operands[0]!, frame);
    for (let i = 0; i < ops.length; i++) {
      const right = this.ev(operands[i + 1]!, frame);
      const r = compareOp(ops[i]!, left, right);
      if (r === undefined)
        return isUnknown(left) ? left : isUnknown(right) ? right : this.unk('comparison not known statically', frame, node);
      if (!r) return false;
      left = right;
    }
    return true;
  }

  evalArgs(argList: Node | null, frame: Frame): Args {
    const args: Args = { pos: [], kw: new Map() };
    if (!argList) return args;
    if (argList.type === 'generator_expression') {
      args.pos.push(this.ev(argList, frame));
      return args;
    }
    for (const a of argList.namedChildren) {
      switch (a!.type) {
        case 'comment':
          break;
        case 'keyword_argument':
          args.kw.set(a!.childForFieldName('name')!.text, this.ev(a!.childForFieldName('value')!, frame));
          break;
        case 'list_splat': {
          const v = this.ev(a!.namedChild(0)!, frame);
          const items = iterItems(v, EVAL_BUDGET.collectionItems);
          if (items) pushAll(args.pos, items);
          else args.pos.push(isUnknown(v) ? v : this.unk('starred argument not known', frame, a!));
          break;
        }
        case 'dictionary_splat': {
          const v = this.ev(a!.namedChild(0)!, frame);
          if (isObj(v) && v.t === 'dict') for (const [k, x] of v.entries.values()) if (typeof k === 'string') args.kw.set(k, x);
          break;
        }
        default:
          args.pos.push(this.ev(a!, frame));
      }
    }
    return args;
  }

  private callExpr(node: Node, frame: Frame): Value {
    const fn = this.ev(node.childForFieldName('function')!, frame);
    const args = this.evalArgs(node.childForFieldName('arguments'), frame);
    if (isUnknown(fn)) return fn;
    return this.rt.call(fn, args, node, frame);
  }
}

export function joinPath(a: string, b: string): string {
  if (b.startsWith('/')) return b;
  return (a.endsWith('/') ? a : a + '/') + b;
}

/** `{**x}` / `.update(x)`: known entries are copied; an unknown source marks the dict partial. */
export function mergeInto(d: PyDict, v: Value): void {
  if (isObj(v) && v.t === 'dict') {
    for (const [k, e] of v.entries) d.entries.set(k, e);
    if (v.partial) d.partial ??= v.partial;
    if (v.origin && d.origin && v.origin !== d.origin) d.origin = `(${v.origin} over ${d.origin.replace(/^\((.*)\)$/, '$1')})`;
    else d.origin ??= v.origin;
  } else if (isUnknown(v)) d.partial ??= v;
  else d.partial ??= unknown('merged value is not a dict', '', 0);
}
