import type { Node } from 'web-tree-sitter';
import { EVAL_BUDGET } from './limits.js';
import { BudgetExceeded, Evaluator, type Frame, PyRaise, mergeInto } from './interp.js';
import { NOPE, binaryOp } from './operators.js';
import { CONFIG_NAME, catches, deferrable } from './rules.js';
import {
  type Args,
  type ModuleObj,
  type Scope,
  type Value,
  configProbe,
  dictSet,
  isObj,
  isUnknown,
  iterItems,
  truthy,
  pushAll,
} from './values.js';

export enum Signal {
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

/** Statement execution; expressions live in Evaluator, functions and classes in definitions.ts. */
export abstract class StatementInterp extends Evaluator {
  private readonly configLines = new Set<string>();
  /** Per enclosing `try`, exceptions a branch taken only at run time would raise. */
  private readonly maybeRaised: PyRaise[][] = [];

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

  protected scopeFor(name: string, frame: Frame): Scope {
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
        return this.nestedExec(frame, node, () => this.withStatement(node, frame));
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
        const first =
          exc?.type === 'call'
            ? exc.childForFieldName('arguments')?.namedChildren.find((c) => c!.type !== 'comment' && c!.type !== 'keyword_argument')
            : null;
        const text = first ? this.ev(first, frame) : null;
        const line = node.startPosition.row + 1;
        throw new PyRaise(
          name.split('.').pop() ?? 'Exception',
          typeof text === 'string' ? `${JSON.stringify(text.slice(0, 200))} at line ${line}` : `raise at line ${line}`,
          frame.module.file,
          line,
        );
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
    let covered = false;
    for (const [cond, body] of branches) {
      const t = cond ? this.condition(cond, frame) : true;
      if (t === false) continue;
      if (t === true) {
        if (undecided.length === 0) return this.execBlock(body, frame);
        undecided.push(body);
        covered = true;
        break;
      }
      undecided.push(body);
    }
    // An undecidable condition (platform checks, optional deps): follow every candidate branch,
    // since registering more names is better than silently missing them. A branch that raises is
    // one the pack may take at run time; the others still run.
    let raised: PyRaise | null = null;
    let ran = 0;
    for (const body of undecided) {
      let sig: Signal;
      try {
        sig = this.execBlock(body, frame);
      } catch (e) {
        if (!(e instanceof PyRaise)) throw e;
        this.diag({
          file: e.file || frame.module.file,
          line: e.line || node.startPosition.row + 1,
          message: `${e.excType} (${e.message}) raised in a branch taken only at run time (condition not known statically); other branches followed`,
        });
        raised ??= e;
        this.maybeRaised[this.maybeRaised.length - 1]?.push(e);
        continue;
      }
      ran++;
      if (sig !== Signal.Normal) return sig;
    }
    if (raised && ran === 0 && covered) throw raised;
    return Signal.Normal;
  }

  /** Truth of an if condition; a decision read from the pack's shipped configuration is reported. */
  private condition(cond: Node, frame: Frame): boolean | undefined {
    const outer = configProbe.reads;
    configProbe.reads = [];
    let t: boolean | undefined;
    try {
      t = truthy(this.ev(cond, frame));
    } finally {
      const reads = configProbe.reads;
      configProbe.reads = outer;
      if (outer) pushAll(outer, reads);
      const where = `${frame.module.file}:${cond.startPosition.row}`;
      if (t !== undefined && reads.length > 0 && !outer && !this.configLines.has(where)) {
        this.configLines.add(where);
        // config.json['a'] is implied by config.json['a']['b']: name only the deepest reads.
        const shown = [...new Set(reads)].filter((r, _, all) => !all.some((o) => o !== r && o.startsWith(r + '[')));
        this.diag({
          file: frame.module.file,
          line: cond.startPosition.row + 1,
          severity: 'info',
          message: `condition decided by the configuration or data the pack ships (${shown.join(', ')}); a user's own settings may differ`,
        });
      }
    }
    return t;
  }

  private withStatement(node: Node, frame: Frame): Signal {
    const clause = node.namedChildren.find((c) => c!.type === 'with_clause');
    for (const item of clause?.namedChildren ?? []) {
      const value = item!.namedChild(0);
      if (!value) continue;
      if (value.type === 'as_pattern') {
        const v = this.ev(value.namedChild(0)!, frame);
        const target = value.childForFieldName('alias') ?? value.namedChildren.find((c) => c!.type === 'as_pattern_target');
        const t = target?.type === 'as_pattern_target' ? target.namedChild(0) : target;
        if (t) this.assignTarget(t, this.enter(v), frame);
      } else this.ev(value, frame);
    }
    return this.execBlock(node.childForFieldName('body'), frame);
  }

  /** What `with x as y` binds: the value itself for files and most objects. */
  protected enter(v: Value): Value {
    return v;
  }

  private forStatement(node: Node, frame: Frame): Signal {
    const src = this.ev(node.childForFieldName('right')!, frame);
    const items = iterItems(src, EVAL_BUDGET.loopIterations);
    const line = node.startPosition.row + 1;
    if (!items) {
      if (isObj(src) && (src.t === 'range' || src.t === 'list')) {
        this.diag({ file: frame.module.file, line, message: `loop over more than ${EVAL_BUDGET.loopIterations} items not evaluated` });
      } else {
        const why = isUnknown(src) ? src.reason : 'the value is not iterable statically';
        this.diag({ file: frame.module.file, line, message: `loop not run: what it iterates over is not known statically (${why})` });
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
    const runHandler = (handler: Node): Signal => {
      const alias = handler.namedChildren.find((c) => c!.type === 'as_pattern')?.childForFieldName('alias');
      if (alias) this.scopeFor(alias.text, frame).set(alias.text, this.unk('exception object', frame, alias));
      return this.execBlock(handler.namedChildren.find((c) => c!.type === 'block') ?? null, frame);
    };
    let sig = Signal.Normal;
    const maybe: PyRaise[] = [];
    this.maybeRaised.push(maybe);
    try {
      sig = this.execBlock(node.childForFieldName('body'), frame);
      if (sig === Signal.Normal && elseClause) sig = this.execBlock(elseClause.childForFieldName('body'), frame);
      // An exception a run-time-only branch may raise: its handler is a path the pack may take too.
      const ran = new Set<Node>();
      for (const e of maybe) {
        const handler = handlers.find((h) => catches(h, e.excType));
        if (!handler || ran.has(handler) || sig !== Signal.Normal) continue;
        ran.add(handler);
        sig = runHandler(handler);
      }
    } catch (e) {
      if (!(e instanceof PyRaise)) throw e;
      const handler = handlers.find((h) => catches(h, e.excType));
      if (!handler) throw e;
      sig = runHandler(handler);
    } finally {
      this.maybeRaised.pop();
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
    if (
      frame.locals === null &&
      targets.length === 1 &&
      targets[0]!.type === 'identifier' &&
      !CONFIG_NAME.test(targets[0]!.text) &&
      deferrable(valueNode)
    ) {
      frame.module.ns.set(targets[0]!.text, { t: 'lazy', node: valueNode, module: frame.module });
      return;
    }
    const v = this.ev(valueNode, frame);
    if (frame.locals === null && isObj(v) && v.t === 'dict' && !v.origin && targets.length === 1 && CONFIG_NAME.test(targets[0]!.text)) {
      v.origin = `${targets[0]!.text} in ${frame.module.file}`;
    }
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
        } else if (isObj(container) && container.t === 'ext') this.externalItemSet(container.path, key, value);
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
    else if (o.t === 'dict') (o.attrs ??= new Map()).set(name, value);
    else if (o.t === 'ext') this.externalItemSet(o.path, name, value, true);
  }

  abstract definition(node: Node, frame: Frame): void;

  /** `folder_paths.folder_names_and_paths[name] = ...` (an item) or `nodes.X = ...` (an attribute) written into a module outside the pack. */
  protected externalItemSet(_path: string, _key: Value, _value: Value, _attribute = false): void {}

  /** Calls any callable value; implemented with the builtins. */
  abstract callValue(fn: Value, args: Args, at: Node, frame: Frame): Value;
}
