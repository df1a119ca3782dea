import { posix } from 'node:path';
import { EVAL_BUDGET } from './limits.js';
import { type Args, type PathObj, type Value, isObj, iterItems, list, obj, tuple } from './values.js';

/** The pack seen as a read-only file system rooted at PACK_ROOT, for os.listdir-style loops. */
export interface PackFS {
  isFile(p: string): boolean;
  isDir(p: string): boolean;
  list(dir: string): string[] | undefined;
}

export const PACK_ROOT = '/pack';

/**
 * Values of ComfyUI's own modules that are constants in every ComfyUI release, so that
 * `nodes.MAX_RESOLUTION` (a pack's most common import from ComfyUI) is known.
 */
export const WELL_KNOWN: Record<string, Value> = {
  'nodes.MAX_RESOLUTION': 16384,
  'sys.maxsize': 9223372036854775807n,
  'math.pi': Math.PI,
  'math.e': Math.E,
  'os.sep': '/',
  'os.path.sep': '/',
  'os.name': 'posix',
};

/** Modules whose values exist only at run time; named in diagnostics. */
const RUNTIME_HINT: Record<string, string> = {
  folder_paths: 'depends on the files installed in ComfyUI',
  'comfy.samplers': 'comes from the running ComfyUI',
  comfy: 'comes from the running ComfyUI',
  torch: 'comes from torch at run time',
};

export function runtimeReason(path: string, called: boolean): string {
  const top = Object.keys(RUNTIME_HINT).find((k) => path === k || path.startsWith(k + '.'));
  const shown = called ? `${path}(...)` : path;
  return top ? `${shown} ${RUNTIME_HINT[top]}; only known at run time` : `${shown} is only known at run time`;
}

const norm = (p: string): string => posix.normalize(p).replace(/\/$/, '') || '/';
const asPath = (v: Value | undefined): string | undefined =>
  typeof v === 'string' ? v : isObj(v ?? null) && (v as PathObj).t === 'path' ? (v as PathObj).p : undefined;

function globIn(fs: PackFS, pattern: string): string[] | undefined {
  const p = norm(pattern);
  const dir = posix.dirname(p);
  const base = posix.basename(p);
  if (/[*?[]/.test(dir)) return undefined;
  const re = new RegExp(
    '^' +
      base
        .replace(/[.+^${}()|\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]') +
      '$',
  );
  return (fs.list(dir) ?? []).filter((n) => re.test(n) && !(n.startsWith('.') && !base.startsWith('.'))).map((n) => posix.join(dir, n));
}

/** os.path / os / glob / pkgutil over the pack's file list. undefined: not handled here. */
export function callStdlib(path: string, a: Args, fs: PackFS): Value | undefined {
  const p0 = asPath(a.pos[0]);
  switch (path) {
    case 'os.path.join': {
      const parts = a.pos.map(asPath);
      return parts.every((x) => x !== undefined) ? posix.join(...(parts as string[])) : undefined;
    }
    case 'os.path.dirname':
      return p0 === undefined ? undefined : posix.dirname(p0);
    case 'os.path.basename':
      return p0 === undefined ? undefined : posix.basename(p0);
    case 'os.path.splitext': {
      if (p0 === undefined) return undefined;
      const ext = posix.extname(p0);
      return tuple([p0.slice(0, p0.length - ext.length), ext]);
    }
    case 'os.path.abspath':
    case 'os.path.realpath':
    case 'os.path.normpath':
      return p0 === undefined ? undefined : norm(p0);
    case 'os.path.exists':
      return p0 === undefined ? undefined : fs.isFile(norm(p0)) || fs.isDir(norm(p0));
    case 'os.path.isfile':
      return p0 === undefined ? undefined : fs.isFile(norm(p0));
    case 'os.path.isdir':
      return p0 === undefined ? undefined : fs.isDir(norm(p0));
    case 'os.scandir': {
      const dir = p0 === undefined ? undefined : norm(p0);
      const entries = dir === undefined ? undefined : fs.list(dir);
      if (!entries) return undefined;
      return list(
        entries.map((n) => {
          const full = posix.join(dir!, n);
          const test = (v: boolean): Value => ({ t: 'builtin', name: 'DirEntry.is', call: () => v });
          return obj('DirEntry', { name: n, path: full, is_file: test(fs.isFile(full)), is_dir: test(fs.isDir(full)) });
        }),
      );
    }
    case 'os.listdir': {
      const entries = p0 === undefined ? undefined : fs.list(norm(p0));
      return entries ? list(entries) : undefined;
    }
    case 'glob.glob':
    case 'glob.iglob': {
      const hits = p0 === undefined ? undefined : globIn(fs, p0);
      return hits ? list(hits) : undefined;
    }
    case 'pkgutil.iter_modules': {
      const dirs = iterItems(a.pos[0] ?? null, 64);
      if (!dirs) return undefined;
      const out: Value[] = [];
      for (const d of dirs) {
        const dir = asPath(d);
        if (dir === undefined) return undefined;
        for (const n of fs.list(norm(dir)) ?? []) {
          const full = posix.join(norm(dir), n);
          if (n.endsWith('.py') && fs.isFile(full) && n !== '__init__.py') out.push(tuple([null, n.slice(0, -3), false]));
          else if (fs.isFile(posix.join(full, '__init__.py'))) out.push(tuple([null, n, true]));
        }
      }
      return list(out);
    }
    case 'pathlib.Path':
    case 'pathlib.PurePath':
    case 'pathlib.PosixPath': {
      const parts = a.pos.map(asPath);
      if (parts.length === 0) return undefined;
      return parts.every((x) => x !== undefined) ? { t: 'path', p: norm(posix.join(...(parts as string[]))) } : undefined;
    }
    default:
      return undefined;
  }
}

/** Attributes and methods of pathlib paths. */
export function pathAttr(p: PathObj, name: string, fs: PackFS): Value | undefined {
  const mk = (s: string): PathObj => ({ t: 'path', p: norm(s) });
  const method = (call: (a: Args) => Value | undefined): Value => ({
    t: 'builtin',
    name: `Path.${name}`,
    call: (a) => call(a) ?? { t: 'unknown', reason: `Path.${name} not evaluated`, file: '', line: 0 },
  });
  switch (name) {
    case 'parent':
      return mk(posix.dirname(p.p));
    case 'name':
      return posix.basename(p.p);
    case 'stem':
      return posix.basename(p.p, posix.extname(p.p));
    case 'suffix':
      return posix.extname(p.p);
    case 'parts':
      return tuple(p.p.split('/').filter(Boolean));
    case 'resolve':
    case 'absolute':
      return method(() => p);
    case 'exists':
      return method(() => fs.isFile(p.p) || fs.isDir(p.p));
    case 'is_file':
      return method(() => fs.isFile(p.p));
    case 'is_dir':
      return method(() => fs.isDir(p.p));
    case 'joinpath':
      return method((a) => {
        const parts = a.pos.map(asPath);
        return parts.every((x) => x !== undefined) ? mk(posix.join(p.p, ...(parts as string[]))) : undefined;
      });
    case 'iterdir':
      return method(() => {
        const entries = fs.list(p.p);
        return entries ? list(entries.slice(0, EVAL_BUDGET.loopIterations).map((n) => mk(posix.join(p.p, n)))) : undefined;
      });
    case 'glob':
    case 'rglob':
      return method((a) => {
        const pat = asPath(a.pos[0]);
        const hits = pat === undefined ? undefined : globIn(fs, posix.join(p.p, pat));
        return hits ? list(hits.map(mk)) : undefined;
      });
    default:
      return undefined;
  }
}
