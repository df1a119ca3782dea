import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import yauzl from 'yauzl';
import { ArchiveRefused } from './limits.js';
import type { Diagnostic, ExtractLimits } from './types.js';

/** The entries of a pack that matter, keyed by their path inside the archive ('a/b.py'). */
export interface RawPack {
  /** Contents of every .py file, node_list.json and the small data files code may read. */
  sources: Map<string, Buffer>;
  /** Every file path (so that os.listdir-style loops can be answered). */
  paths: string[];
  files: number;
  bytes: number;
  /** Bytes of data files kept in `sources`. */
  dataBytes: number;
  diagnostics: Diagnostic[];
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
/** Small entries compress extremely well (a 10 kB file of spaces); ratios only matter past this. */
const RATIO_FLOOR = 1024 * 1024;

/** Data files a pack's code reads while loading (configs, format definitions), kept when small. */
const DATA_FILE = /\.(json|ya?ml|txt|csv|toml|ini|cfg)(\.(default|example|sample|dist|template))?$/i;
const MAX_DATA_FILE = 1024 * 1024;
const MAX_DATA_TOTAL = 16 * 1024 * 1024;

function wanted(path: string, size: number, pack: RawPack): boolean {
  if (path.endsWith('.py') || path.split('/').pop() === 'node_list.json') return true;
  if (!DATA_FILE.test(path) || size > MAX_DATA_FILE || pack.dataBytes + size > MAX_DATA_TOTAL) return false;
  pack.dataBytes += size;
  return true;
}

/** Rejects paths that could escape an extraction folder or that no sane pack contains. */
export function checkEntryPath(name: string, limits: ExtractLimits): string {
  const shown = JSON.stringify(name.length > 200 ? name.slice(0, 200) + '…' : name);
  if (name.includes('\0')) throw new ArchiveRefused(`entry ${shown}: NUL byte in path`);
  if (name.includes('\\')) throw new ArchiveRefused(`entry ${shown}: backslash in path (path escape trick)`);
  if (name.startsWith('/')) throw new ArchiveRefused(`entry ${shown}: absolute path`);
  if (/^[a-zA-Z]:/.test(name)) throw new ArchiveRefused(`entry ${shown}: drive-letter path`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new ArchiveRefused(`entry ${shown}: path escapes the pack ("..")`);
  if (parts.length > limits.maxDepth) {
    throw new ArchiveRefused(`entry ${shown}: path depth ${parts.length} exceeds the limit of ${limits.maxDepth}`);
  }
  return parts.join('/');
}

function openZip(zip: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true }, (err, zf) => {
      if (err || !zf) reject(new ArchiveRefused(`not a readable zip archive: ${err?.message ?? 'unknown error'}`));
      else resolve(zf);
    });
  });
}

function entryName(entry: yauzl.Entry): string {
  const raw = entry.fileName as unknown as Buffer;
  // General purpose flag bit 11: the name is UTF-8; otherwise CP437, which latin1 approximates.
  return raw.toString((entry.generalPurposeBitFlag & 0x800) !== 0 ? 'utf8' : 'latin1');
}

export async function readZip(zip: Buffer, limits: ExtractLimits): Promise<RawPack> {
  if (zip.length > limits.maxCompressedBytes) {
    throw new ArchiveRefused(`archive is ${zip.length} bytes, over the compressed size limit of ${limits.maxCompressedBytes}`);
  }
  const zf = await openZip(zip);
  const pack: RawPack = { sources: new Map(), paths: [], files: 0, bytes: 0, dataBytes: 0, diagnostics: [] };
  let entries = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      zf.on('error', (e: Error) => reject(e instanceof ArchiveRefused ? e : new ArchiveRefused(`corrupt zip: ${e.message}`)));
      zf.on('end', () => resolve());
      zf.on('entry', (entry: yauzl.Entry) => {
        onEntry(entry).then(() => zf.readEntry(), reject);
      });
      zf.readEntry();
    });
  } finally {
    zf.close();
  }
  return pack;

  async function onEntry(entry: yauzl.Entry): Promise<void> {
    entries++;
    if (entries > limits.maxEntries) throw new ArchiveRefused(`archive has more than ${limits.maxEntries} entries (entry count limit)`);
    const name = entryName(entry);
    const path = checkEntryPath(name, limits);
    const shown = JSON.stringify(name);
    const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
    if (mode === S_IFLNK) throw new ArchiveRefused(`entry ${shown}: symbolic links are refused`);
    if (mode !== 0 && mode !== S_IFREG && mode !== S_IFDIR) {
      throw new ArchiveRefused(`entry ${shown}: special file (mode 0o${mode.toString(8)}) refused`);
    }
    if (name.endsWith('/') || mode === S_IFDIR) return;
    if (entry.uncompressedSize > limits.maxFileBytes) {
      throw new ArchiveRefused(
        `entry ${shown}: declares ${entry.uncompressedSize} bytes, over the single-file limit of ${limits.maxFileBytes}`,
      );
    }
    if (entry.uncompressedSize > RATIO_FLOOR && entry.uncompressedSize > Math.max(entry.compressedSize, 1) * limits.maxRatio) {
      throw new ArchiveRefused(`entry ${shown}: compression ratio over the limit of ${limits.maxRatio}`);
    }
    if ((entry.generalPurposeBitFlag & 0x1) !== 0) throw new ArchiveRefused(`entry ${shown}: encrypted entries are refused`);
    pack.files++;
    pack.paths.push(path);
    const keep = wanted(path, entry.uncompressedSize, pack);
    const chunks: Buffer[] = [];
    let size = 0;
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => {
      zf.openReadStream(entry, (err, s) =>
        err || !s ? reject(new ArchiveRefused(`entry ${shown}: ${err?.message ?? 'unreadable'}`)) : resolve(s),
      );
    });
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error): void => {
        (stream as unknown as { destroy(): void }).destroy();
        reject(e);
      };
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        pack.bytes += chunk.length;
        // Counted on real inflated bytes: headers of a bomb can lie.
        if (size > limits.maxFileBytes)
          return fail(new ArchiveRefused(`entry ${shown}: inflates past the single-file limit of ${limits.maxFileBytes} bytes`));
        if (pack.bytes > limits.maxTotalBytes)
          return fail(new ArchiveRefused(`entry ${shown}: archive inflates past the total size limit of ${limits.maxTotalBytes} bytes`));
        if (size > RATIO_FLOOR && size > Math.max(entry.compressedSize, 1) * limits.maxRatio) {
          return fail(new ArchiveRefused(`entry ${shown}: compression ratio over the limit of ${limits.maxRatio}`));
        }
        if (pack.bytes > RATIO_FLOOR && pack.bytes > zip.length * limits.maxRatio) {
          return fail(new ArchiveRefused(`entry ${shown}: archive-wide compression ratio over the limit of ${limits.maxRatio}`));
        }
        if (keep) chunks.push(chunk);
      });
      stream.on('error', (e: Error) => {
        if (e instanceof ArchiveRefused) return fail(e);
        // yauzl counts inflated bytes against the header and stops at the first byte too many.
        const lying = /too (many|few) bytes/.test(e.message);
        fail(
          new ArchiveRefused(
            lying
              ? `entry ${shown}: inflates past its declared size of ${entry.uncompressedSize} bytes (zip bomb); size limit check refused it`
              : `entry ${shown}: ${e.message}`,
          ),
        );
      });
      stream.on('end', () => resolve());
    });
    if (keep) pack.sources.set(path, Buffer.concat(chunks));
  }
}

const SKIPPED_DIRS = new Set(['.git', '__pycache__', 'node_modules', '.venv', 'venv', '.mypy_cache']);

/** Reads a pack folder under the same limits; symlinks are skipped (never followed). */
export async function readDir(dir: string, limits: ExtractLimits): Promise<RawPack> {
  const top = await lstat(dir).catch(() => null);
  if (!top || !top.isDirectory()) throw new ArchiveRefused(`not a readable folder: ${dir}`);
  const pack: RawPack = { sources: new Map(), paths: [], files: 0, bytes: 0, dataBytes: 0, diagnostics: [] };
  let entries = 0;
  const walk = async (abs: string, rel: string[]): Promise<void> => {
    if (rel.length > limits.maxDepth) throw new ArchiveRefused(`path ${rel.join('/')}: depth over the limit of ${limits.maxDepth}`);
    const items = await readdir(abs, { withFileTypes: true });
    items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const item of items) {
      entries++;
      if (entries > limits.maxEntries) throw new ArchiveRefused(`folder has more than ${limits.maxEntries} entries (entry count limit)`);
      const path = [...rel, item.name].join('/');
      if (item.isSymbolicLink()) {
        pack.diagnostics.push({ file: path, line: 0, message: 'symbolic link skipped' });
      } else if (item.isDirectory()) {
        if (!SKIPPED_DIRS.has(item.name)) await walk(join(abs, item.name), [...rel, item.name]);
      } else if (item.isFile()) {
        const st = await lstat(join(abs, item.name));
        if (st.size > limits.maxFileBytes)
          throw new ArchiveRefused(`file ${path}: ${st.size} bytes, over the single-file limit of ${limits.maxFileBytes}`);
        pack.bytes += st.size;
        if (pack.bytes > limits.maxTotalBytes)
          throw new ArchiveRefused(`folder exceeds the total size limit of ${limits.maxTotalBytes} bytes`);
        pack.files++;
        pack.paths.push(path);
        if (wanted(path, st.size, pack)) pack.sources.set(path, await readFile(join(abs, item.name)));
      }
    }
  };
  await walk(dir, []);
  return pack;
}
