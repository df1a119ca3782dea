import type { Node } from 'web-tree-sitter';
import { bindParams } from './calls.js';
import { EVAL_BUDGET } from './limits.js';
import { BudgetExceeded, Evaluator, type Frame, PyRaise, mergeInto } from './interp.js';
import { NOPE, binaryOp } from './operators.js';
import {
  type Args,
  type ClassObj,
  type FuncObj,
  type ModuleObj,
  type Scope,
  type Value,
  dictSet,
  isObj,
  isUnknown,
  iterItems,
  truthy,
  pushAll,
} from './values.js';

const enum Signal {
  Normal,
  Return,
  Break,
  Continue,
}

export function moduleFrame(module: ModuleObj): Frame {
  return {
    module,
    locals: null,
    parent: null,
    closure: null,
    classScope: null,
    globalNames: null,
    owner: null,
    self: undefined,
    ret: null,
  };
}

/** Statement execution, functions and classes; expressions live in Evaluator. */
export abstract class Interp extends Evaluator {
  private callDepth = 0;

  abstract importStatement(node: Node, frame: Frame): void;

  /** Runs a module body. Failures of one statement are reported and the next statement runs. */
  execModule(module: ModuleObj, root: Node): void {
    const frame = moduleFrame(module);
    for (const stmt of root.namedChildren) {
      try {
        this.exec(stmt!, frame);
      } catch (e) {
        if (e instanceof PyRaise) {
          this.diag({
            file: module.file,
            line: stmt!.startPosition.row + 1,
            message: `${e.excType} while evaluating the module: ${e.message}`,
          });
        } else if (e instanceof BudgetExceeded) {
          this.diag({ file: module.file, line: stmt!.startPosition.row + 1, message: `${e.message}; rest of the module not evaluated` });
          return;
        } else throw e;
      }
    }
  }

  execBlock(block: Node | null, frame: Frame): Signal {
    if (!block) return Signal.Normal;
    const stmts = block.type === 'block' ? block.namedChildren : [block];
    for (const s of stmts) {
      const sig = this.exec(s!, frame);
      if (sig !== Signal.Normal) return sig;
    }
    return Signal.Normal;
  }

  private scopeFor(name: string, frame: Frame): Scope {
    if (frame.locals && !(frame.globalNames && frame.globalNames.has(name))) return frame.locals;
    return frame.module.ns;
  }

  exec(node: Node, frame: Frame): Signal {
    this.tick();
    switch (node.type) {
      case 'expression_statement': {
        const e = node.namedChild(0);
        if (!e) return Signal.Normal;
        if (e.type === 'assignment') this.assignment(e, frame);
        else if (e.type === 'augmented_assignment') this.augmented(e, frame);
        else this.ev(e, frame);
        return Signal.Normal;
      }
      case 'return_statement': {
        const v = node.namedChild(0);
        frame.ret = v ? this.ev(v, frame) : null;
        return Signal.Return;
      }
      case 'break_statement':
        return Signal.Break;
      case 'continue_statement':
        return Signal.Continue;
      case 'if_statement':
        return this.nestedExec(frame, node, () => this.ifStatement(node, frame));
      case 'for_statement':
        return this.nestedExec(frame, node, () => this.forStatement(node, frame));
      case 'while_statement':
        return this.nestedExec(frame, node, () => this.whileStatement(node, frame));
      case 'try_statement':
        return this.nestedExec(frame, node, () => this.tryStatement(node, frame));
      case 'with_statement':
        return this.nestedExec(frame, node, () => this.execBlock(node.childForFieldName('body'), frame));
      case 'function_definition':
      case 'class_definition':
      case 'decorated_definition':
        this.definition(node, frame);
        return Signal.Normal;
      case 'import_statement':
      case 'import_from_statement':
        this.importStatement(node, frame);
        return Signal.Normal;
      case 'global_statement':
        frame.globalNames ??= new Set();
        for (const n of node.namedChildren) frame.globalNames.add(n!.text);
        return Signal.Normal;
      case 'raise_statement': {
        const exc = node.namedChild(0);
        const name = exc ? (exc.type === 'call' ? exc.childForFieldName('function')!.text : exc.text) : 'Exception';
        throw new PyRaise(name.split('.').pop() ?? 'Exception', `raise at line ${node.startPosition.row + 1}`);
      }
      default:
        return Signal.Normal;
    }
  }

  private nestedExec(frame: Frame, at: Node, fn: () => Signal): Signal {
    let sig = Signal.Normal;
    this.nested(frame, at, () => {
      sig = fn();
      return null;
    });
    return sig;
  }

  private ifStatement(node: Node, frame: Frame): Signal {
    const branches: [Node | null, Node | null][] = [[node.childForFieldName('condition'), node.childForFieldName('consequence')]];
    for (const alt of node.childrenForFieldName('alternative')) {
      if (alt!.type === 'elif_clause') branches.push([alt!.childForFieldName('condition'), alt!.childForFieldName('consequence')]);
      else branches.push([null, alt!.childForFieldName('body')]);
    }
    const undecided: (Node | null)[] = [];
    for (const [cond, body] of branches) {
      const t = cond ? truthy(this.ev(cond, frame)) : true;
      if (t === false) continue;
      if (t === true) {
        if (undecided.length === 0) return this.execBlock(body, frame);
        undecided.push(body);
        break;
      }
      undecided.push(body);
    }
    // An undecidable condition (platform checks, optional deps): follow every candidate branch,
    // since registering more names is better than silently missing them.
    for (const body of undecided) {
      const sig = this.execBlock(body, frame);
      if (sig !== Signal.Normal) return sig;
    }
    return Signal.Normal;
  }

  private forStatement(node: Node, frame: Frame): Signal {
    const src = this.ev(node.childForFieldName('right')!, frame);
    const items = iterItems(src, EVAL_BUDGET.loopIterations);
    const line = node.startPosition.row + 1;
    if (!items) {
      if (isObj(src) && (src.t === 'range' || src.t === 'list')) {
        this.diag({ file: frame.module.file, line, message: `loop over more than ${EVAL_BUDGET.loopIterations} items not evaluated` });
      }
      return Signal.Normal;
    }
    const left = node.childForFieldName('left')!;
    const body = node.childForFieldName('body');
    let i = 0;
    for (const item of items) {
      if (++i > EVAL_BUDGET.loopIterations) {
        this.diag({ file: frame.module.file, line, message: `loop stopped after ${EVAL_BUDGET.loopIterations} iterations` });
        return Signal.Normal;
      }
      this.assignTarget(left, item, frame);
      const sig = this.execBlock(body, frame);
      if (sig === Signal.Break) return Signal.Normal;
      if (sig === Signal.Return) return sig;
    }
    return this.execBlock(node.childForFieldName('alternative')?.childForFieldName('body') ?? null, frame);
  }

  private whileStatement(node: Node, frame: Frame): Signal {
    const body = node.childForFieldName('body');
    for (let i = 0; ; i++) {
      const t = truthy(this.ev(node.childForFieldName('condition')!, frame));
      if (t !== true) return Signal.Normal;
      if (i >= EVAL_BUDGET.loopIterations) {
        this.diag({
          file: frame.module.file,
          line: node.startPosition.row + 1,
          message: `loop stopped after ${EVAL_BUDGET.loopIterations} iterations`,
        });
        return Signal.Normal;
      }
      const sig = this.execBlock(body, frame);
      if (sig === Signal.Break) return Signal.Normal;
      if (sig === Signal.Return) return sig;
    }
  }

  private tryStatement(node: Node, frame: Frame): Signal {
    const handlers = node.namedChildren.filter((c) => c!.type === 'except_clause' || c!.type === 'except_group_clause') as Node[];
    const elseClause = node.namedChildren.find((c) => c!.type === 'else_clause');
    const finallyClause = node.namedChildren.find((c) => c!.type === 'finally_clause');
    let sig = Signal.Normal;
    try {
      sig = this.execBlock(node.childForFieldName('body'), frame);
      if (sig === Signal.Normal && elseClause) sig = this.execBlock(elseClause.childForFieldName('body'), frame);
    } catch (e) {
      if (!(e instanceof PyRaise)) throw e;
      const handler = handlers.find((h) => catches(h, e.excType));
      if (!handler) throw e;
      const alias = handler.namedChildren.find((c) => c!.type === 'as_pattern')?.childForFieldName('alias');
      if (alias) this.scopeFor(alias.text, frame).set(alias.text, this.unk('exception object', frame, alias));
      sig = this.execBlock(handler.namedChildren.find((c) => c!.type === 'block') ?? null, frame);
    } finally {
      if (finallyClause) this.execBlock(finallyClause.namedChildren.find((c) => c!.type === 'block') ?? null, frame);
    }
    return sig;
  }

  private assignment(node: Node, frame: Frame): void {
    const right = node.childForFieldName('right');
    if (!right) return;
    const targets = [node.childForFieldName('left')!];
    let valueNode = right;
    while (valueNode.type === 'assignment' && valueNode.childForFieldName('right')) {
      targets.push(valueNode.childForFieldName('left')!);
      valueNode = valueNode.childForFieldName('right')!;
    }
    const v = this.ev(valueNode, frame);
    for (const t of targets) this.assignTarget(t, v, frame);
  }

  private augmented(node: Node, frame: Frame): void {
    const left = node.childForFieldName('left')!;
    const op = node.childForFieldName('operator')!.text.slice(0, -1);
    const cur = this.ev(left, frame);
    const rhs = this.ev(node.childForFieldName('right')!, frame);
    if (isObj(cur) && cur.t === 'list' && !cur.tuple && op === '+') {
      const items = iterItems(rhs, EVAL_BUDGET.collectionItems);
      if (items) pushAll(cur.items, items);
      return;
    }
    if (isObj(cur) && cur.t === 'dict' && op === '|') return mergeInto(cur, rhs);
    const r = isUnknown(cur) ? cur : isUnknown(rhs) ? rhs : binaryOp(op, cur, rhs);
    this.assignTarget(left, r === NOPE ? this.unk(`operator ${op}= not evaluated`, frame, node) : r, frame);
  }

  assignTarget(target: Node, value: Value, frame: Frame): void {
    switch (target.type) {
      case 'identifier':
        this.scopeFor(target.text, frame).set(target.text, value);
        return;
      case 'pattern_list':
      case 'tuple_pattern':
      case 'list_pattern':
      case 'tuple':
      case 'list':
      case 'expression_list': {
        const targets = target.namedChildren.filter((c) => c!.type !== 'comment') as Node[];
        const items = iterItems(value, EVAL_BUDGET.collectionItems);
        targets.forEach((t, i) => {
          const v =
            items && items.length === targets.length
              ? items[i]!
              : isUnknown(value)
                ? value
                : this.unk('unpacking not known statically', frame, t);
          this.assignTarget(t, v, frame);
        });
        return;
      }
      case 'parenthesized_expression':
        this.assignTarget(target.namedChild(0)!, value, frame);
        return;
      case 'subscript': {
        const container = this.ev(target.childForFieldName('value')!, frame);
        const keyNode = target.childForFieldName('subscript')!;
        const key = this.ev(keyNode, frame);
        if (isObj(container) && container.t === 'dict') {
          if (isUnknown(key)) container.partial ??= key;
          else dictSet(container, key, value);
        } else if (isObj(container) && container.t === 'list' && typeof key === 'number') {
          const i = key < 0 ? key + container.items.length : key;
          if (i >= 0 && i < container.items.length) container.items[i] = value;
        }
        return;
      }
      case 'attribute':
        this.setAttr(this.ev(target.childForFieldName('object')!, frame), target.childForFieldName('attribute')!.text, value);
        return;
      default:
        return;
    }
  }

  setAttr(o: Value, name: string, value: Value): void {
    if (!isObj(o)) return;
    if (o.t === 'class') {
      o.body.set(name, { v: value });
      o.cache.delete(name);
    } else if (o.t === 'inst' || o.t === 'obj') o.attrs.set(name, value);
    else if (o.t === 'module') o.ns.set(name, value);
  }

  private definition(node: Node, frame: Frame): void {
    let def = node;
    const decorators: Node[] = [];
    if (node.type === 'decorated_definition') {
      for (const c of node.namedChildren) if (c!.type === 'decorator') decorators.push(c!);
      def = node.childForFieldName('definition')!;
    }
    const name = def.childForFieldName('name')!.text;
    const closure = frame.locals ? snapshot(frame) : null;
    if (def.type === 'function_definition') {
      const decoNames = decorators.map((d) => d.text.replace(/^@\s*/, '').trim());
      const kind = decoNames.includes('classmethod')
        ? 'classmethod'
        : decoNames.includes('staticmethod')
          ? 'staticmethod'
          : decoNames.some((d) => d === 'property' || d.endsWith('.setter'))
            ? 'property'
            : 'function';
      const fn: FuncObj = {
        t: 'func',
        name,
        node: def,
        module: frame.module,
        closure,
        kind,
        isAsync: def.child(0)?.type === 'async',
        owner: frame.classScope,
      };
      this.scopeFor(name, frame).set(name, fn);
      return;
    }
    let cls: Value = this.makeClass(def, frame, closure);
    for (const d of decorators.reverse()) {
      const deco = this.ev(d.namedChild(0)!, frame);
      // Registering decorators written in the pack (`@register("Name")`) run; others are transparent.
      if (isObj(deco) && (deco.t === 'func' || deco.t === 'bound')) {
        const r = this.callValue(deco, { pos: [cls], kw: new Map() }, d, frame);
        if (isObj(r) && r.t === 'class') cls = r;
      }
    }
    this.scopeFor(name, frame).set(name, cls);
  }

  makeClass(def: Node, frame: Frame, closure: Scope | null): ClassObj {
    const basesNode = def.childForFieldName('superclasses');
    const cls: ClassObj = {
      t: 'class',
      name: def.childForFieldName('name')!.text,
      module: frame.module,
      line: def.startPosition.row + 1,
      basesNode,
      bases: null,
      body: new Map(),
      cache: new Map(),
      closure,
      resolving: new Set(),
    };
    cls.bases = basesNode
      ? (basesNode.namedChildren.filter((b) => b!.type !== 'keyword_argument' && b!.type !== 'comment') as Node[]).map((b) =>
          this.ev(b, frame),
        )
      : [];
    const bodyFrame: Frame = { ...frame, classScope: cls, ret: null };
    this.collectClassBody(def.childForFieldName('body'), cls, bodyFrame);
    return cls;
  }

  /** Records class attributes without evaluating them; values are computed on first access. */
  private collectClassBody(block: Node | null, cls: ClassObj, frame: Frame): void {
    if (!block) return;
    for (const s of block.namedChildren) {
      const stmt = s!;
      if (stmt.type === 'expression_statement') {
        let e = stmt.namedChild(0);
        while (e && e.type === 'assignment' && e.childForFieldName('right')) {
          const left = e.childForFieldName('left')!;
          let right = e.childForFieldName('right')!;
          while (right.type === 'assignment' && right.childForFieldName('right')) right = right.childForFieldName('right')!;
          if (left.type === 'identifier') cls.body.set(left.text, right);
          e = e.childForFieldName('right');
        }
      } else if (stmt.type === 'function_definition' || stmt.type === 'decorated_definition' || stmt.type === 'class_definition') {
        const tmp: Frame = { ...frame, locals: new Map(), closure: cls.closure, parent: null };
        this.definition(stmt, tmp);
        for (const [k, v] of tmp.locals!) cls.body.set(k, { v });
      } else if (stmt.type === 'if_statement') {
        this.collectClassBody(stmt.childForFieldName('consequence'), cls, frame);
      } else if (stmt.type === 'try_statement' || stmt.type === 'with_statement') {
        this.collectClassBody(stmt.childForFieldName('body'), cls, frame);
      }
    }
  }

  /** Runs a pack-defined function; recursion and total work are bounded by the budget. */
  callFunction(fn: FuncObj, args: Args, at: Node, self: Value | undefined): Value {
    if (this.callDepth >= EVAL_BUDGET.callDepth) {
      return this.unk(`call depth over ${EVAL_BUDGET.callDepth}`, { module: fn.module } as Frame, at);
    }
    const locals: Scope = new Map();
    const frame: Frame = {
      module: fn.module,
      locals,
      parent: null,
      closure: fn.closure,
      classScope: null,
      globalNames: null,
      owner: fn.owner,
      self: self ?? args.pos[0],
      ret: null,
    };
    const pos = self !== undefined ? [self, ...args.pos] : args.pos;
    bindParams(this, fn, pos, args.kw, frame);
    this.callDepth++;
    try {
      const body = fn.node.childForFieldName('body')!;
      if (fn.node.type === 'lambda') return this.ev(body, frame);
      return this.execBlock(body, frame) === Signal.Return ? frame.ret : null;
    } finally {
      this.callDepth--;
    }
  }

  /** Calls any callable value; implemented with the builtins. */
  abstract callValue(fn: Value, args: Args, at: Node, frame: Frame): Value;
}

function snapshot(frame: Frame): Scope {
  const s: Scope = new Map(frame.closure ?? []);
  for (let f: Frame | null = frame; f; f = f.parent) {
    if (f.locals) for (const [k, v] of f.locals) if (!s.has(k) || f === frame) s.set(k, v);
  }
  return s;
}

function catches(handler: Node, excType: string): boolean {
  const value = handler.namedChildren.find((c) => c!.type !== 'block' && c!.type !== 'comment');
  if (!value) return true;
  const typesNode = value.type === 'as_pattern' ? value.namedChild(0)! : value;
  const names = (
    typesNode.type === 'tuple' || typesNode.type === 'parenthesized_expression'
      ? typesNode.namedChildren.map((n) => n!.text)
      : [typesNode.text]
  ).map((n) => n.split('.').pop()!);
  const family: Record<string, string[]> = {
    ImportError: ['ImportError', 'ModuleNotFoundError'],
    ModuleNotFoundError: ['ModuleNotFoundError'],
  };
  const accepted = family[excType] ?? [excType];
  return names.some(
    (n) => n === 'Exception' || n === 'BaseException' || accepted.includes(n) || (excType === 'ModuleNotFoundError' && n === 'ImportError'),
  );
}
