import type { Writable } from 'node:stream';
import yauzl from 'yauzl';
import { GitError, runGit, startGit } from './process.js';

/*
 * A bare repository made from version archives with `git fast-import`: one commit per version,
 * its tree the archive's files laid out as Python's zipfile extracts them (what a registry install
 * does), never running anything from the pack. Same input, same commit ids.
 */

export interface HistoryCommit {
  version: string;
  authorName: string;
  authorEmail: string;
  /** Seconds since the epoch. */
  time: number;
  message: string;
  /** The path of the version's zip archive on this machine. */
  zipPath: string;
}

export const BRANCH = 'main';
/** Beyond these an archive is not laid out (a zip bomb's headers); the build fails. */
export const MAX_ENTRIES = 100_000;
export const MAX_TREE_BYTES = 2 * 1024 * 1024 * 1024;

/** Where Python's zipfile puts an entry: empty, `.` and `..` parts dropped, a leading `/` ignored. */
export function extractedPath(name: string): string | null {
  if (name.includes('\0') || name.endsWith('/')) return null;
  const parts = name.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  // git refuses a `.git` path part on checkout; such a file would break every clone.
  if (parts.length === 0 || parts.some((p) => p.toLowerCase() === '.git')) return null;
  return parts.join('/');
}

/** A git ref name part is safe when it is a plain semver-like version. */
export const isTaggable = (version: string): boolean => /^[0-9A-Za-z][0-9A-Za-z.+-]*$/.test(version) && !/\.\.|\.lock$|\.$/.test(version);

/** fast-import's C-style quoted path. */
function quotePath(path: string): string {
  const escaped = path.replace(/[\\"\x00-\x1f\x7f]/g, (c) =>
    c === '\\' ? '\\\\' : c === '"' ? '\\"' : c === '\n' ? '\\n' : `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`,
  );
  return `"${escaped}"`;
}

const safeIdent = (s: string): string => s.replace(/[<>\n\r\0]/g, '').trim() || 'unknown';

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false }, (err, zf) =>
      err || !zf ? reject(new GitError(`${path}: not a readable zip: ${err?.message}`)) : resolve(zf),
    ),
  );
}

function entryName(entry: yauzl.Entry): string {
  const raw = entry.fileName as unknown as Buffer;
  // General purpose flag bit 11: UTF-8; otherwise CP437, of which latin1 is the usual reading.
  return raw.toString((entry.generalPurposeBitFlag & 0x800) !== 0 ? 'utf8' : 'latin1');
}

/** The zip's file entries (later duplicates win, as on extraction), checked against the limits. */
async function listEntries(zf: yauzl.ZipFile): Promise<Map<string, yauzl.Entry>> {
  const files = new Map<string, yauzl.Entry>();
  let count = 0;
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    zf.on('error', reject);
    zf.on('end', () => resolve());
    zf.on('entry', (entry: yauzl.Entry) => {
      count++;
      bytes += entry.uncompressedSize;
      if (count > MAX_ENTRIES) return reject(new GitError(`over ${MAX_ENTRIES} entries`));
      if (bytes > MAX_TREE_BYTES) return reject(new GitError(`over ${MAX_TREE_BYTES} bytes unpacked`));
      const path = extractedPath(entryName(entry));
      if (path !== null) {
        files.delete(path);
        files.set(path, entry);
      }
      zf.readEntry();
    });
    zf.readEntry();
  });
  return files;
}

async function write(out: Writable, chunk: string | Buffer): Promise<void> {
  if (out.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const settle = (err?: Error) => {
      out.off('drain', drained);
      out.off('close', closed);
      if (err) reject(err);
      else resolve();
    };
    const drained = () => settle();
    const closed = () => settle(new GitError('git fast-import closed its input'));
    out.once('drain', drained);
    out.once('close', closed);
  });
}

function readStream(zf: yauzl.ZipFile, entry: yauzl.Entry, path: string): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) =>
    zf.openReadStream(entry, (err, s) => (err || !s ? reject(new GitError(`${path}: ${err?.message}`)) : resolve(s))),
  );
}

interface OpenVersion {
  commit: HistoryCommit;
  zip: yauzl.ZipFile;
  files: Map<string, yauzl.Entry>;
  /** The blob mark of each path. */
  marks: Map<string, number>;
}

const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Blobs go path by path, each path's versions one after the other: fast-import stores a blob as a
 * delta against the blob written just before it, so a file that changes a little between versions
 * costs a little (a 20-version history of a 5 MB pack packs to about one archive's size, not 20).
 */
async function writeBlobs(out: Writable, versions: OpenVersion[], nextMark: () => number): Promise<void> {
  const paths = [...new Set(versions.flatMap((v) => [...v.files.keys()]))].sort(byPath);
  for (const path of paths) {
    // Newest first: the latest version's blob is whole and older ones are deltas against newer
    // ones, so checking out the default branch applies no delta chain (as `git gc` lays it out).
    for (const v of [...versions].reverse()) {
      const entry = v.files.get(path);
      if (!entry) continue;
      const mark = nextMark();
      v.marks.set(path, mark);
      await write(out, `blob\nmark :${mark}\ndata ${entry.uncompressedSize}\n`);
      for await (const chunk of (await readStream(v.zip, entry, path)) as AsyncIterable<Buffer>) await write(out, chunk);
      await write(out, '\n');
    }
  }
}

async function writeCommit(out: Writable, v: OpenVersion, mark: number): Promise<void> {
  const c = v.commit;
  const who = `${safeIdent(c.authorName)} <${safeIdent(c.authorEmail)}> ${Math.floor(c.time)} +0000`;
  const message = Buffer.from(c.message.endsWith('\n') ? c.message : `${c.message}\n`);
  await write(out, `commit refs/heads/${BRANCH}\nmark :${mark}\nauthor ${who}\ncommitter ${who}\ndata ${message.length}\n`);
  await write(out, Buffer.concat([message, Buffer.from('deleteall\n')]));
  for (const path of [...v.files.keys()].sort(byPath)) await write(out, `M 100644 :${v.marks.get(path)} ${quotePath(path)}\n`);
  await write(out, '\n');
  if (isTaggable(c.version)) {
    for (const tag of [`v${c.version}`, c.version]) await write(out, `reset refs/tags/${tag}\nfrom :${mark}\n\n`);
  }
}

/** Versions laid out together (their archives open at once); deltas do not cross a window. */
const WINDOW = 32;

async function writeHistory(out: Writable, commits: HistoryCommit[]): Promise<void> {
  let mark = 0;
  const nextMark = () => ++mark;
  for (let start = 0; start < commits.length; start += WINDOW) {
    const open: OpenVersion[] = [];
    try {
      for (const commit of commits.slice(start, start + WINDOW)) {
        const zip = await openZip(commit.zipPath);
        open.push({ commit, zip, files: new Map(), marks: new Map() });
        open[open.length - 1]!.files = await listEntries(zip);
      }
      await writeBlobs(out, open, nextMark);
      for (const v of open) await writeCommit(out, v, nextMark());
    } finally {
      for (const v of open) v.zip.close();
    }
  }
}

/**
 * Builds the bare repository of `commits` (oldest first) at `gitDir`, which must not exist; the
 * branch `main` points at the last commit. Ready for git's dumb HTTP protocol.
 */
export async function buildRepository(gitDir: string, commits: HistoryCommit[]): Promise<void> {
  await runGit(gitDir, ['init', '--quiet', '--bare', '--template=', `--initial-branch=${BRANCH}`]);
  const { child, done } = startGit(gitDir, ['-c', 'fastimport.unpackLimit=1', 'fast-import', '--quiet', '--done']);
  const exited = done.catch((err: unknown) => err as Error);
  try {
    await writeHistory(child.stdin, commits);
    await write(child.stdin, 'done\n');
    child.stdin.end();
  } catch (err) {
    child.kill();
    await exited;
    throw err instanceof GitError ? err : new GitError(String((err as Error)?.message ?? err));
  }
  const result = await exited;
  if (result) throw result;
  await runGit(gitDir, ['update-server-info']);
}
