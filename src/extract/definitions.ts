import type { Node } from 'web-tree-sitter';
import { bindParams } from './calls.js';
import { EVAL_BUDGET } from './limits.js';
import type { Frame } from './interp.js';
import { Signal, StatementInterp } from './statements.js';
import { type Args, type ClassObj, type FuncObj, type Scope, type Value, isObj, list } from './values.js';

/** Functions and classes: definitions, lazily evaluated class bodies, and calls of pack functions. */
export abstract class Interp extends StatementInterp {
  private callDepth = 0;

  definition(node: Node, frame: Frame): void {
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
    const doc = docstring(def.childForFieldName('body'));
    if (doc) cls.body.set('__doc__', doc);
    this.collectClassBody(def.childForFieldName('body'), cls, bodyFrame);
    this.classCreated(cls);
    return cls;
  }

  /** Hook run once a class statement has been recorded (Enum classes build their members). */
  protected abstract classCreated(cls: ClassObj): void;

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
      // A generator runs to completion on the call; its values come back as a list to iterate.
      if (isGenerator(fn)) frame.yields = [];
      const sig = this.execBlock(body, frame);
      if (frame.yields) return list(frame.yields);
      return sig === Signal.Return ? frame.ret : null;
    } finally {
      this.callDepth--;
    }
  }
}

const generators = new WeakMap<FuncObj, boolean>();

function isGenerator(fn: FuncObj): boolean {
  let gen = generators.get(fn);
  if (gen !== undefined) return gen;
  gen = false;
  // The source text is a cheap filter; the tree walk confirms the yield belongs to this function.
  const body = /\byield\b/.test(fn.node.text) ? fn.node.childForFieldName('body') : null;
  for (const y of body?.descendantsOfType('yield') ?? []) {
    let p = y!.parent;
    while (p && p.type !== 'function_definition' && p.type !== 'lambda' && p.type !== 'class_definition') p = p.parent;
    if (p && p.id === fn.node.id) {
      gen = true;
      break;
    }
  }
  generators.set(fn, gen);
  return gen;
}

/** The string literal a class or function body starts with. */
export function docstring(block: Node | null): Node | null {
  // Walk siblings rather than namedChildren: a class body can hold hundreds of statements.
  let first = block?.firstNamedChild ?? null;
  while (first && first.type === 'comment') first = first.nextNamedSibling;
  if (first?.type !== 'expression_statement') return null;
  const expr = first.firstNamedChild;
  return expr?.type === 'string' ? expr : null;
}

function snapshot(frame: Frame): Scope {
  const s: Scope = new Map(frame.closure ?? []);
  for (let f: Frame | null = frame; f; f = f.parent) {
    if (f.locals) for (const [k, v] of f.locals) if (!s.has(k) || f === frame) s.set(k, v);
  }
  return s;
}
