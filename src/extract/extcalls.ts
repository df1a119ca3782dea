import { posix } from 'node:path';
import type { Node } from 'web-tree-sitter';
import { DataFiles } from './datafiles.js';
import type { Frame } from './interp.js';
import { newModule } from './modules.js';
import type { Host } from './runtime.js';
import { callStdlib, runtimeReason } from './stdlib.js';
import { callText } from './textlib.js';
import { v3Call, v3Rest } from './v3.js';
import { type Args, type ModuleObj, type Value, asText, isObj, isUnknown, obj } from './values.js';

/** Calls of names from outside the pack: the V3 API, importlib, data files, pure stdlib, else unknown. */
export function callExternal(host: Host, path: string, args: Args, at: Node, frame: Frame): Value {
  const interp = host.interp;
  const rest = v3Rest(path);
  if (rest !== null) {
    const v = v3Call(rest, args);
    if (v !== undefined) return v;
  }
  switch (path) {
    case 'importlib.import_module': {
      const name = asText(args.pos[0] ?? null);
      const pkg = args.pos[1] ?? args.kw.get('package') ?? null;
      if (name !== undefined && (pkg === null || typeof pkg === 'string')) return host.importByName(name, pkg, at, frame);
      return interp.unk('importlib.import_module with a name not known statically', frame, at);
    }
    case 'importlib.util.spec_from_file_location': return specFromFile(host, args, at, frame);
    case 'importlib.util.module_from_spec': {
      const spec = args.pos[0] ?? null;
      if (!isObj(spec) || spec.t !== 'obj' || spec.kind !== 'ModuleSpec') return interp.unk('module_from_spec() of a spec not known statically', frame, at);
      const m = newModule(spec.attrs.get('name') as string, spec.attrs.get('origin') as string, false);
      m.state = 'new';
      return m;
    }
    default: break;
  }
  const data = host.data.call(path, args);
  if (data !== undefined) return data;
  const std = callStdlib(path, args, host.fs) ?? callText(path, args);
  if (std !== undefined) return std;
  // An argument already unknown explains the result better than the callee's name.
  const hidden = [...args.pos, ...args.kw.values()].find(isUnknown);
  return hidden ?? interp.unk(runtimeReason(path, true), frame, at);
}

/** importlib.util.spec_from_file_location(name, path): a spec whose loader runs that pack file. */
function specFromFile(host: Host, args: Args, at: Node, frame: Frame): Value {
  const name = asText(args.pos[0] ?? args.kw.get('name') ?? null);
  const where = args.pos[1] ?? args.kw.get('location') ?? null;
  const p = typeof where === 'string' ? where : isObj(where) && where.t === 'path' ? where.p : undefined;
  const rel = p === undefined ? null : DataFiles.rel(p);
  if (name === undefined || rel === null) return host.interp.unk('spec_from_file_location() of a path not known statically', frame, at);
  const file = host.sourceFile(rel) ? rel : host.sourceFile(posix.join(rel, '__init__.py')) ? posix.join(rel, '__init__.py') : null;
  if (file === null) return null;
  const execModule = {
    t: 'builtin' as const,
    name: 'loader.exec_module',
    call: (a: Args): Value => {
      const m = a.pos[0] ?? null;
      if (!isObj(m) || m.t !== 'module') return host.interp.unk('exec_module() of a module not known statically', frame, at);
      (m as ModuleObj).state = 'loading';
      host.run(m as ModuleObj);
      (m as ModuleObj).state = 'done';
      return null;
    },
  };
  return obj('ModuleSpec', { name, origin: file, loader: obj('Loader', { exec_module: execModule }) });
}
