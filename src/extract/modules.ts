import { posix } from 'node:path';
import type { Node, Parser, Tree } from 'web-tree-sitter';
import { type Frame, PyRaise, type Runtime } from './interp.js';
import { decodeSource, firstSyntaxError, parseSource } from './python.js';
import { makeBuiltins } from './builtins.js';
import { type Host, callValue, classAttr, getAttr, ownAttr } from './runtime.js';
import { Interp } from './definitions.js';
import { ComfyTable } from './comfyui.js';
import { DataFiles } from './datafiles.js';
import { buildEnum } from './enums.js';
import { moduleFrame } from './statements.js';
import { PACK_ROOT, type PackFS, WELL_KNOWN } from './stdlib.js';
import { v3Resolve, v3Rest } from './v3.js';
import { type Args, type ClassObj, type ModuleObj, type Value, isObj, isUnknown, iterItems } from './values.js';

/** Top-level modules of ComfyUI itself: an absolute import of these never means a pack file. */
const COMFY_MODULES = new Set([
  'nodes',
  'folder_paths',
  'comfy',
  'comfy_extras',
  'comfy_api',
  'comfy_execution',
  'server',
  'execution',
  'node_helpers',
  'latent_preview',
  'comfy_config',
  'app',
]);

export interface PackSources {
  /** Source bytes by path relative to the pack root. */
  sources: Map<string, Buffer>;
  /** All file paths relative to the pack root. */
  paths: string[];
  /** Python package name the pack is imported under (its folder name). */
  name: string;
  /** The sources are ComfyUI's own (the table generator): its modules are in-pack and keep their names. */
  comfyui?: boolean;
}

/** The interpreter for one pack: module loading and import resolution on top of Interp. */
export class PackInterp extends Interp implements Host {
  readonly rt: Runtime;
  readonly fs: PackFS;
  readonly data: DataFiles;
  readonly comfy = new ComfyTable();
  readonly interp = this;
  parsedFiles = 0;
  private readonly modules = new Map<string, ModuleObj>();
  private readonly trees = new Map<string, Tree>();
  private readonly files = new Set<string>();
  private readonly dirs = new Map<string, Set<string>>();
  private readonly builtins: Map<string, Value>;
  private frame: Frame | null = null;

  constructor(
    private readonly parser: Parser,
    private readonly pack: PackSources,
  ) {
    super();
    for (const p of pack.paths) {
      this.files.add(p);
      const parts = p.split('/');
      for (let i = 0; i < parts.length; i++) {
        const dir = parts.slice(0, i).join('/');
        let set = this.dirs.get(dir);
        if (!set) this.dirs.set(dir, (set = new Set()));
        set.add(parts[i]!);
      }
    }
    const rel = (p: string): string | null => (p === PACK_ROOT ? '' : p.startsWith(PACK_ROOT + '/') ? p.slice(PACK_ROOT.length + 1) : null);
    this.data = new DataFiles(pack.sources, (r) => this.files.has(r));
    this.fs = {
      isFile: (p) => {
        const r = rel(p);
        return r !== null && (this.files.has(r) || this.data.isWritten(r));
      },
      isDir: (p) => {
        const r = rel(p);
        return r !== null && this.dirs.has(r);
      },
      list: (p) => {
        const r = rel(p);
        const s = r === null ? undefined : this.dirs.get(r);
        return s ? [...s].sort() : undefined;
      },
    };
    this.builtins = makeBuiltins(this, () => this.frame ?? moduleFrame(this.loadModule('')!));
    this.rt = {
      lookupBuiltin: (name) => this.builtins.get(name),
      getAttr: (v, name, at, frame) => getAttr(this, v, name, at, frame),
      call: (fn, args, at, frame) => this.callValue(fn, args, at, frame),
      makeLambda: (node, frame) => ({
        t: 'func',
        name: '<lambda>',
        node,
        module: frame.module,
        closure: frame.locals ? new Map([...(frame.closure ?? []), ...frame.locals]) : frame.closure,
        kind: 'function',
        isAsync: false,
        owner: null,
      }),
      // `CATEGORY = CATEGORY` in a class body reads the enclosing scope's name, as Python does.
      classAttrInScope: (cls, name) => (cls.resolving.has(name) ? undefined : ownAttr(this, cls, name)),
    };
  }

  callValue(fn: Value, args: Args, at: Node, frame: Frame): Value {
    const saved = this.frame;
    this.frame = frame;
    try {
      return callValue(this, fn, args, at, frame);
    } finally {
      this.frame = saved;
    }
  }

  /** Model folders the pack registers with ComfyUI that point into the pack itself. */
  readonly folders = new Map<string, { dirs: string[]; exts: string[] }>();

  /** Attributes the pack sets on ComfyUI's modules (`nodes.VHSLoadFormats = {}`), read back by later code. */
  private readonly externalAttrs = new Map<string, Value>();

  protected externalItemSet(path: string, key: Value, value: Value, attribute = false): void {
    if (attribute && typeof key === 'string') {
      this.externalAttrs.set(`${path}.${key}`, value);
      return;
    }
    if (path !== 'folder_paths.folder_names_and_paths' || typeof key !== 'string') return;
    const pair = iterItems(value, 2);
    const dirs = pair && pair.length === 2 ? iterItems(pair[0]!, 64) : undefined;
    const exts = pair && pair.length === 2 ? iterItems(pair[1]!, 64) : undefined;
    const paths = dirs?.map((d) => (typeof d === 'string' ? d : isObj(d) && d.t === 'path' ? d.p : null));
    if (!paths || !exts || paths.some((p) => p === null) || exts.some((e) => typeof e !== 'string')) {
      this.folders.delete(key);
      return;
    }
    this.folders.set(key, { dirs: paths as string[], exts: exts as string[] });
  }

  protected classCreated(cls: ClassObj): void {
    buildEnum(this, cls);
  }

  classAttr(cls: Extract<Value, { t: 'class' }>, name: string): Value | undefined {
    return classAttr(this, cls, name);
  }

  /** Frees the parse trees (they live in the WebAssembly heap). */
  dispose(): void {
    for (const t of this.trees.values()) t.delete();
    this.trees.clear();
  }

  private fileOf(key: string): { file: string; isPackage: boolean } | null {
    const base = key === '' ? '' : key.split('.').join('/');
    const init = base ? `${base}/__init__.py` : '__init__.py';
    if (this.pack.sources.has(init)) return { file: init, isPackage: true };
    if (base && this.pack.sources.has(`${base}.py`)) return { file: `${base}.py`, isPackage: false };
    if (this.dirs.has(base)) return { file: base, isPackage: true };
    return null;
  }

  moduleExists(key: string): boolean {
    return this.modules.has(key) || this.fileOf(key) !== null;
  }

  /** Loads (once) and runs an in-pack module; null when no such module exists. */
  loadModule(key: string): ModuleObj | null {
    const existing = this.modules.get(key);
    if (existing) return existing;
    const where = this.fileOf(key);
    if (!where) return null;
    const name = this.pack.comfyui ? key : key ? `${this.pack.name}.${key}` : this.pack.name;
    const module = newModule(name, where.file, where.isPackage);
    this.modules.set(key, module);
    const parentKey = key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : key ? '' : null;
    if (this.pack.sources.has(where.file)) this.run(module);
    module.state = 'done';
    if (parentKey !== null) this.modules.get(parentKey)?.ns.set(key.split('.').pop()!, module);
    return module;
  }

  /** Runs a pack file as the body of `module` (an import, or importlib's `exec_module`). */
  run(module: ModuleObj): void {
    let tree = this.trees.get(module.file);
    if (!tree) {
      const text = decodeSource(this.pack.sources.get(module.file)!);
      if (text === null) {
        this.diag({ file: module.file, line: 1, message: 'file is not valid UTF-8 (and declares no other encoding); not evaluated' });
        module.state = 'failed';
        throw new PyRaise('SyntaxError', `${module.file} is not valid UTF-8`);
      }
      tree = parseSource(this.parser, text);
      this.trees.set(module.file, tree);
      this.parsedFiles++;
      const err = firstSyntaxError(tree.rootNode);
      if (err) {
        this.diag({
          file: module.file,
          line: err.line,
          message: `syntax error near ${JSON.stringify(err.text)}; evaluated what could be recovered`,
        });
      }
    }
    this.execModule(module, tree.rootNode);
  }

  /** A pack-relative .py file, or null. */
  sourceFile(rel: string): boolean {
    return rel.endsWith('.py') && this.pack.sources.has(rel);
  }

  /** In-pack key of a module name (`pack.sub.mod` → `sub.mod`), or null for a name outside the pack. */
  private keyOfName(name: string): string | null {
    if (this.pack.comfyui) return name;
    if (name === this.pack.name) return '';
    return name.startsWith(this.pack.name + '.') ? name.slice(this.pack.name.length + 1) : null;
  }

  /** Key of the package `level` dots above a module. */
  private relativeBase(from: ModuleObj, level: number): string | null {
    const key = this.keyOfName(from.name);
    if (key === null) return null;
    let parts = key === '' ? [] : key.split('.');
    if (!from.isPackage) parts = parts.slice(0, -1);
    for (let i = 1; i < level; i++) {
      if (parts.length === 0) return null;
      parts = parts.slice(0, -1);
    }
    return parts.join('.');
  }

  /** In-pack key of an absolute dotted name, or null when the name is outside the pack. */
  private absoluteKey(dotted: string): string | null {
    const parts = dotted.split('.');
    if (this.pack.comfyui) return this.moduleExists(dotted) ? dotted : null;
    if (COMFY_MODULES.has(parts[0]!)) return null;
    const norm = (s: string): string => s.toLowerCase().replace(/-/g, '_');
    const own = norm(this.pack.name);
    if (norm(parts[0]!) === own || own.replace(/_(main|master)$/, '') === norm(parts[0]!)) return parts.slice(1).join('.');
    // Packs that put their own folder on sys.path import their modules absolutely.
    return this.moduleExists(dotted) && this.pack.sources.size > 0 ? dotted : null;
  }

  private loadChain(key: string): ModuleObj | null {
    const parts = key === '' ? [] : key.split('.');
    let m = this.loadModule('');
    for (let i = 1; i <= parts.length; i++) m = this.loadModule(parts.slice(0, i).join('.'));
    return m;
  }

  /** A name from outside the pack: a known constant, ComfyUI's own (the table), the V3 API, or opaque. */
  external(path: string): Value {
    const set = this.externalAttrs.get(path);
    if (set !== undefined) return set;
    if (WELL_KNOWN[path] !== undefined) return WELL_KNOWN[path]!;
    const comfy = this.comfy.resolve(path);
    if (comfy !== undefined) return comfy;
    const rest = v3Rest(path);
    const known = rest !== null ? v3Resolve(rest) : undefined;
    return known ?? { t: 'ext', path };
  }

  importByName(name: string, pkg: string | null, at: Node, frame: Frame): Value {
    let key: string | null;
    if (name.startsWith('.')) {
      const level = /^\.+/.exec(name)![0].length;
      const pkgKey = pkg === null ? null : this.keyOfName(pkg);
      if (pkgKey === null) return this.unk(`relative import of ${name} from an unknown package`, frame, at);
      let parts = pkgKey ? pkgKey.split('.') : [];
      parts = parts.slice(0, parts.length - (level - 1));
      const rest = name.slice(level);
      key = [...parts, ...(rest ? rest.split('.') : [])].join('.');
    } else key = this.absoluteKey(name);
    if (key === null) return this.external(name);
    const m = this.loadChain(key);
    if (!m) throw new PyRaise('ModuleNotFoundError', `no module ${name} in the pack`);
    return m;
  }

  importStatement(node: Node, frame: Frame): void {
    const bind = (name: string, v: Value): void => this.assignName(name, v, frame);
    if (node.type === 'import_statement') {
      for (const n of node.childrenForFieldName('name')) {
        const aliased = n!.type === 'aliased_import';
        const dotted = (aliased ? n!.childForFieldName('name')! : n!).text.replace(/\s+/g, '');
        const key = this.absoluteKey(dotted);
        if (key === null) {
          const top = dotted.split('.')[0]!;
          // `import pkg.missing` still binds the package when `pkg` itself is in the pack.
          const topKey = aliased ? null : this.absoluteKey(top);
          bind(
            aliased ? n!.childForFieldName('alias')!.text : top,
            topKey !== null ? (this.loadChain(topKey) ?? this.external(top)) : this.external(aliased ? dotted : top),
          );
          continue;
        }
        const m = this.loadChain(key);
        if (!m) throw new PyRaise('ModuleNotFoundError', `no module ${dotted} in the pack`);
        const top = key === dotted ? this.loadModule(key.split('.')[0]!) : this.loadModule('');
        bind(aliased ? n!.childForFieldName('alias')!.text : dotted.split('.')[0]!, aliased ? m : (top ?? m));
      }
      return;
    }
    const modNode = node.childForFieldName('module_name')!;
    let key: string | null;
    let shown = modNode.text;
    if (modNode.type === 'relative_import') {
      const level = modNode.namedChildren.find((c) => c!.type === 'import_prefix')!.text.length;
      const base = this.relativeBase(frame.module, level);
      if (base === null) throw new PyRaise('ImportError', `relative import ${shown} beyond the pack`);
      const dotted = modNode.namedChildren.find((c) => c!.type === 'dotted_name')?.text;
      key = [base, dotted].filter((s) => s).join('.');
    } else key = this.absoluteKey(modNode.text);
    if (modNode.text === '__future__') return;
    const names = node.childrenForFieldName('name') as Node[];
    const wildcard = node.namedChildren.some((c) => c!.type === 'wildcard_import');
    if (key === null) {
      for (const n of names) {
        const aliased = n.type === 'aliased_import';
        const name = (aliased ? n.childForFieldName('name')! : n).text;
        bind(aliased ? n.childForFieldName('alias')!.text : name, this.external(`${modNode.text}.${name}`));
      }
      return;
    }
    const m = this.loadChain(key);
    if (!m) {
      const line = node.startPosition.row + 1;
      this.diag({ file: frame.module.file, line, message: `import of ${shown}: no such module in the pack` });
      throw new PyRaise('ModuleNotFoundError', `no module ${shown} in the pack`);
    }
    if (wildcard) {
      const all = m.ns.get('__all__');
      const listed = all !== undefined ? iterItems(this.force(all), 100_000) : undefined;
      const allowed = listed ? new Set(listed) : undefined;
      for (const [k, v] of m.ns) {
        if (allowed ? allowed.has(k) : !k.startsWith('_')) bind(k, v);
      }
      return;
    }
    for (const n of names) {
      const aliased = n.type === 'aliased_import';
      const name = (aliased ? n.childForFieldName('name')! : n).text;
      let v = m.ns.get(name);
      if (v === undefined) {
        const sub = this.loadModule(key ? `${key}.${name}` : name);
        if (sub) v = sub;
      }
      if (v === undefined) {
        if (m.state === 'loading') v = this.unk(`${name} not yet defined in ${shown} (circular import)`, frame, n);
        else throw new PyRaise('ImportError', `cannot import name ${name} from ${shown}`);
      }
      bind(aliased ? n.childForFieldName('alias')!.text : name, v);
    }
  }

  private assignName(name: string, v: Value, frame: Frame): void {
    const scope = frame.locals && !(frame.globalNames && frame.globalNames.has(name)) ? frame.locals : frame.module.ns;
    scope.set(name, v);
  }
}

export function newModule(name: string, file: string, isPackage: boolean): ModuleObj {
  const module: ModuleObj = { t: 'module', name, file, ns: new Map(), isPackage, state: 'loading' };
  module.ns.set('__name__', name);
  module.ns.set('__file__', posix.join(PACK_ROOT, file));
  module.ns.set('__package__', isPackage ? name : name.split('.').slice(0, -1).join('.'));
  return module;
}

export { isObj, isUnknown };
