import { basename } from 'node:path';
import { type RawPack, readDir, readZip } from './archive.js';
import { BudgetExceeded, PyRaise } from './interp.js';
import { ArchiveRefused, DEFAULT_LIMITS, resolveLimits } from './limits.js';
import { PackInterp } from './modules.js';
import { silentRegistration, summarizeDiagnostics } from './diagnose.js';
import { decodeSource, getParser } from './python.js';
import type { ComfyNodeBody, CreateComfyNodesBody, Diagnostic, ExtractLimits, ExtractResult, PackInput } from './types.js';
import { callClassMethod, defaultBody, nodeFromClass } from './v1.js';
import { schemaToBody } from './v3schema.js';
import { type Value, asText, isObj, isUnknown, iterItems } from './values.js';

export type { ComfyNodeBody, CreateComfyNodesBody, Diagnostic, ExtractLimits, ExtractResult, PackInput } from './types.js';
export { DEFAULT_LIMITS };
export { summarizeDiagnostics, unresolvedFields } from './diagnose.js';

/** The folder of the pack inside the archive: the shallowest one holding __init__.py. */
export function findPackRoot(paths: string[]): string {
  const inits = paths.filter((p) => p === '__init__.py' || p.endsWith('/__init__.py'));
  inits.sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1));
  if (inits.length > 0) return inits[0]!.slice(0, -'__init__.py'.length).replace(/\/$/, '');
  const tops = new Set(paths.map((p) => p.split('/')[0]));
  if (tops.size === 1 && paths.every((p) => p.includes('/'))) return [...tops][0]!;
  return '';
}

function under(raw: RawPack, root: string): { sources: Map<string, Buffer>; paths: string[] } {
  if (!root) return { sources: raw.sources, paths: raw.paths };
  const prefix = root + '/';
  const sources = new Map<string, Buffer>();
  for (const [p, b] of raw.sources) if (p.startsWith(prefix)) sources.set(p.slice(prefix.length), b);
  return { sources, paths: raw.paths.filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length)) };
}

const failure = (status: string, reason: string): CreateComfyNodesBody => ({ success: false, status, reason, nodes: {} });

/**
 * Statically extracts the comfy nodes of a pack (a folder or zip bytes) without running it.
 * Bad pack content never throws: hostile archives give `invalid_format`, packs without nodes `failed`.
 */
export async function extractPack(input: PackInput, opts?: { limits?: Partial<ExtractLimits> }): Promise<ExtractResult> {
  const limits = resolveLimits(opts?.limits);
  let raw: RawPack;
  try {
    if ('zip' in input) raw = await readZip(input.zip, limits);
    else if ('dir' in input) raw = await readDir(input.dir, limits);
    else throw new TypeError('extractPack: input must be { dir } or { zip }');
  } catch (e) {
    if (e instanceof ArchiveRefused) {
      return { body: failure('invalid_format', e.message), diagnostics: [], stats: { files: 0, bytes: 0, parsedFiles: 0 } };
    }
    if (e instanceof TypeError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    return {
      body: failure('invalid_format', `unreadable pack: ${message}`),
      diagnostics: [],
      stats: { files: 0, bytes: 0, parsedFiles: 0 },
    };
  }
  const root = findPackRoot(raw.paths);
  const { sources, paths } = under(raw, root);
  const name = root ? root.split('/').pop()! : 'dir' in input ? basename(input.dir) : 'pack';
  const parser = await getParser();
  const interp = new PackInterp(parser, { sources, paths, name: name.replace(/[^\w-]/g, '_') || 'pack' });
  const diagnostics: Diagnostic[] = [...raw.diagnostics];
  const nodes: Record<string, ComfyNodeBody> = {};
  try {
    collect(interp, nodes, diagnostics);
  } finally {
    interp.dispose();
  }
  addNodeList(sources.get('node_list.json'), nodes, diagnostics);
  diagnostics.unshift(...interp.diagnostics);
  const stats = { files: raw.files, bytes: raw.bytes, parsedFiles: interp.parsedFiles };
  const count = Object.keys(nodes).length;
  if (count === 0) {
    const init = sources.get('__init__.py');
    const silent = silentRegistration(init === undefined ? undefined : (decodeSource(init) ?? undefined), '__init__.py');
    if (silent) diagnostics.unshift(silent);
  }
  const reason = diagnostics.length > 0 ? `no comfy nodes found: ${summarizeDiagnostics(diagnostics)}` : 'no comfy nodes found';
  const body: CreateComfyNodesBody = count > 0 ? { success: true, nodes } : failure('failed', reason);
  return { body, diagnostics, stats };
}

function guard(diags: Diagnostic[], file: string, what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof PyRaise) diags.push({ file: e.file || file, line: e.line, message: `${what}: ${e.excType} (${e.message})` });
    else if (e instanceof BudgetExceeded) diags.push({ file, line: 0, message: `${what}: ${e.message}` });
    // A stack overflow somewhere the depth budget does not reach is the pack's problem, not ours.
    else if (e instanceof RangeError) diags.push({ file, line: 0, message: `${what}: too deep or too large to evaluate (${e.message})` });
    else throw e;
  }
}

function collect(interp: PackInterp, nodes: Record<string, ComfyNodeBody>, diags: Diagnostic[]): void {
  let rootModule: ReturnType<PackInterp['loadModule']> = null;
  guard(diags, '__init__.py', 'loading the pack', () => {
    rootModule = interp.loadModule('');
  });
  const root = rootModule as ReturnType<PackInterp['loadModule']>;
  if (!root) return;
  const read = (name: string): Value | undefined => {
    const v = root.ns.get(name);
    return v === undefined ? undefined : interp.force(v);
  };
  const mappings = read('NODE_CLASS_MAPPINGS');
  const display = read('NODE_DISPLAY_NAME_MAPPINGS');
  const displayOf = (k: string): Value | undefined => {
    const v =
      isObj(display ?? null) && (display as { t: string }).t === 'dict'
        ? (display as Extract<Value, { t: 'dict' }>).entries.get('s:' + k)?.[1]
        : undefined;
    return v === undefined ? undefined : (asText(v) ?? v);
  };
  const where = { file: root.file, line: 1 };
  if (mappings !== undefined) {
    if (isObj(mappings) && mappings.t === 'dict') {
      for (const [key, cls] of mappings.entries.values()) {
        const k = asText(key);
        if (k === undefined) continue;
        guard(diags, root.file, `node ${k}`, () => {
          nodes[k] = nodeFromClass(interp, k, cls, displayOf(k), diags, where);
        });
        nodes[k] ??= { ...defaultBody(k), display_name: typeof displayOf(k) === 'string' ? (displayOf(k) as string) : k };
      }
      if (mappings.partial) {
        const u = mappings.partial;
        diags.push({
          file: u.file || root.file,
          line: u.line,
          field: 'NODE_CLASS_MAPPINGS',
          message: `some entries are not known statically: ${u.reason}`,
        });
      }
    } else {
      const u = isUnknown(mappings) ? mappings : null;
      diags.push({
        file: u?.file || root.file,
        line: u?.line ?? 0,
        field: 'NODE_CLASS_MAPPINGS',
        message: `not known statically${u ? ': ' + u.reason : ''}`,
      });
    }
  }
  const entry = read('comfy_entrypoint');
  if (entry !== undefined) guard(diags, root.file, 'comfy_entrypoint', () => collectV3(interp, entry, nodes, diags, root.file));
}

/** comfy_entrypoint() → extension.get_node_list() → each class's define_schema(). */
function collectV3(interp: PackInterp, entry: Value, nodes: Record<string, ComfyNodeBody>, diags: Diagnostic[], file: string): void {
  if (!isObj(entry) || entry.t !== 'func') return;
  const ext = interp.callFunction(entry, { pos: [], kw: new Map() }, entry.node, undefined);
  const fail = (message: string): void => {
    diags.push({ file: entry.module.file, line: entry.node.startPosition.row + 1, field: 'comfy_entrypoint', message });
  };
  if (!isObj(ext) || ext.t !== 'inst')
    return fail(`did not return an extension known statically${isUnknown(ext) ? ': ' + ext.reason : ''}`);
  const list = interp.classAttr(ext.cls, 'get_node_list');
  if (!isObj(list ?? null) || (list as { t: string }).t !== 'func') return fail('extension has no get_node_list()');
  const fn = list as Extract<Value, { t: 'func' }>;
  const classes = interp.callFunction(fn, { pos: [], kw: new Map() }, fn.node, ext);
  const items = iterItems(classes, 10_000);
  if (!items) return fail(`get_node_list() is not known statically${isUnknown(classes) ? ': ' + classes.reason : ''}`);
  for (const cls of items) {
    if (!isObj(cls) || cls.t !== 'class') {
      diags.push({ file, line: 0, field: 'get_node_list', message: 'an entry of get_node_list() is not a class known statically' });
      continue;
    }
    guard(diags, cls.module.file, `V3 class ${cls.name}`, () => {
      const schema = callClassMethod(interp, cls, 'define_schema');
      if (!isObj(schema ?? null) || (schema as { t: string }).t !== 'obj') {
        diags.push({
          file: cls.module.file,
          line: cls.line,
          field: 'define_schema',
          message: `${cls.name}.define_schema() is not known statically`,
        });
        return;
      }
      const s = schema as Extract<Value, { t: 'obj' }>;
      const id = asText(s.attrs.get('node_id') ?? null);
      if (id === undefined) {
        diags.push({ file: cls.module.file, line: cls.line, field: 'node_id', message: `${cls.name}: node_id is not known statically` });
        return;
      }
      if (nodes[id]) return; // V1 registration of the same name wins.
      const exec = interp.classAttr(cls, 'execute');
      const isAsync = isObj(exec ?? null) && (exec as { t: string }).t === 'func' && (exec as { isAsync: boolean }).isAsync;
      nodes[id] = schemaToBody(s, {
        nodeId: id,
        isAsync,
        onUnknown: (path, u) =>
          diags.push({
            file: u.file || cls.module.file,
            line: u.line || cls.line,
            node: id,
            field: path.slice(0, 3).join('.'),
            message: `${path.length > 3 ? `option ${path.slice(3).join('.')}: ` : ''}${u.reason}`,
          }),
      });
    });
  }
}

/** node_list.json declares names (with descriptions) that ComfyUI-Manager trusts; it fills gaps only. */
function addNodeList(bytes: Buffer | undefined, nodes: Record<string, ComfyNodeBody>, diags: Diagnostic[]): void {
  if (!bytes) return;
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString('utf8'));
  } catch {
    diags.push({ file: 'node_list.json', line: 0, message: 'node_list.json is not valid JSON; ignored' });
    return;
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    diags.push({ file: 'node_list.json', line: 0, message: 'node_list.json is not an object; ignored' });
    return;
  }
  for (const [name, desc] of Object.entries(data as Record<string, unknown>)) {
    if (nodes[name] || !name) continue;
    nodes[name] = defaultBody(name, typeof desc === 'string' ? desc : '');
    diags.push({
      file: 'node_list.json',
      line: 0,
      node: name,
      message: 'known only from node_list.json (not found in the code); fields defaulted',
    });
  }
}
