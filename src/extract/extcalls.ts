import { posix } from 'node:path';
import type { Node } from 'web-tree-sitter';
import { DataFiles } from './datafiles.js';
import type { Frame } from './interp.js';
import { newModule } from './modules.js';
import type { Host } from './runtime.js';
import { PACK_ROOT, callStdlib, runtimeReason } from './stdlib.js';
import { callText } from './textlib.js';
import { v3Call, v3Rest } from './v3.js';
import { type Args, type ModuleObj, type Value, asText, isObj, isUnknown, list, obj } from './values.js';

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
    case 'importlib.util.spec_from_file_location':
      return specFromFile(host, args, at, frame);
    case 'importlib.util.module_from_spec': {
      const spec = args.pos[0] ?? null;
      if (!isObj(spec) || spec.t !== 'obj' || spec.kind !== 'ModuleSpec')
        return interp.unk('module_from_spec() of a spec not known statically', frame, at);
      const m = newModule(spec.attrs.get('name') as string, spec.attrs.get('origin') as string, false);
      m.state = 'new';
      return m;
    }
    case 'folder_paths.add_model_folder_path': {
      const [name, dir] = args.pos;
      const p =
        typeof dir === 'string' ? dir : isObj(dir ?? null) && (dir as { t: string }).t === 'path' ? (dir as { p: string }).p : undefined;
      if (typeof name === 'string' && p !== undefined) {
        const cur = host.folders.get(name);
        host.folders.set(name, { dirs: [...(cur?.dirs ?? []), p], exts: cur?.exts ?? [] });
      }
      return null;
    }
    case 'folder_paths.get_filename_list': {
      const listed = typeof args.pos[0] === 'string' ? packFolderList(host, args.pos[0], at, frame) : undefined;
      if (listed) return listed;
      break;
    }
    default:
      break;
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

/**
 * folder_paths.get_filename_list(name) for a folder name the pack registered itself, pointing into
 * the pack (format definitions, presets shipped with it): the files ComfyUI would list there.
 */
function packFolderList(host: Host, name: string, at: Node, frame: Frame): Value | undefined {
  const entry = host.folders.get(name);
  // No folder of the pack's own: the user's configured folders decide (VHS's format folders).
  if (!entry || entry.dirs.length === 0) return undefined;
  const out = new Set<string>();
  for (const dir of entry.dirs) {
    const root = DataFiles.rel(dir);
    if (root === null) return undefined;
    const walk = (rel: string, prefix: string): void => {
      for (const n of host.fs.list(posix.join(PACK_ROOT, rel)) ?? []) {
        const full = rel ? `${rel}/${n}` : n;
        if (host.fs.isDir(posix.join(PACK_ROOT, full))) {
          if (n !== '.git') walk(full, prefix + n + '/');
        } else if (entry.exts.length === 0 || entry.exts.some((e) => n.toLowerCase().endsWith(e.toLowerCase()))) out.add(prefix + n);
      }
    };
    walk(root, '');
  }
  host.interp.diag({
    file: frame.module.file,
    line: at.startPosition.row + 1,
    severity: 'info',
    message: `folder_paths.get_filename_list(${JSON.stringify(name)}) listed from the pack's own folder (${entry.dirs.map((d) => DataFiles.rel(d)).join(', ')}); a user could add more files there`,
  });
  return list([...out].sort());
}
