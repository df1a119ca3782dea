import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fail } from '../contract/index.js';
import { buildRepository, type HistoryCommit } from '../git/build.js';
import { gitFile, packsListing } from '../git/dumb-http.js';
import { keys } from './changes.js';
import { findNode } from './nodes.js';
import { packHistory } from './pack-history.js';
import { upstreamHistory } from './mirror/git-history.js';
import type { Registry } from './registry.js';

/*
 * Every pack as a git repository, built from its stored archives with the system git and kept
 * under a folder: one bare repository per history ("generation"), named by a hash of what makes
 * the history, so a rebuild after any change lands beside the old one and appears by rename.
 * A clone that read the old refs while a publish rewrote the history finds its objects in the
 * previous generation, which stays listed for a grace period unless a version left the history.
 */

/** Bumped when the layout of commits changes, so that old generations are rebuilt. */
const FORMAT = 1;
const GENERATION = /^[0-9a-f]{20}\.git$/;
const HISTORY_FILE = 'comfyreg-history.json';
/** How long a superseded generation stays listed for clones that began before the change. */
export const GRACE_MS = 10 * 60_000;
/** Builds at a time in one process (each is a git process busy with a pack's archives). */
const MAX_CONCURRENT_BUILDS = 2;
/** Packs whose generation is remembered between requests. */
const MAX_FOUND = 10_000;

export interface Warn {
  warn(obj: object, msg: string): void;
}

/** What an HTTP answer for a git file holds: bytes, or a file to stream. */
export type GitAnswer =
  | { kind: 'bytes'; body: Buffer; contentType: string }
  /** An open file (it stays readable if a rebuild removes it meanwhile); the reader closes it. */
  | { kind: 'file'; handle: fs.promises.FileHandle; size: number; contentType: string };

interface Generation {
  dir: string;
  versionIds: string[];
}

/** One commit of a planned history: a version, and where its archive is in the archive store. */
export interface PlannedCommit extends Omit<HistoryCommit, 'zipPath'> {
  /** Names the version in the generation's history file; a rebuild drops generations holding an id no longer planned. */
  id: string;
  archiveKey: string;
}

/** What a pack's repository is built from: where its generations live, and its commits, oldest first. */
export interface PlannedHistory {
  nodeId: string;
  packDir: string;
  commits: PlannedCommit[];
}

/** A generation's name: a hash of everything that makes its history. */
const historyId = (plan: PlannedHistory) =>
  createHash('sha256')
    .update(
      JSON.stringify({
        FORMAT,
        node: plan.nodeId,
        commits: plan.commits.map((c) => [c.id, c.version, c.archiveKey, c.authorName, c.authorEmail, c.time, c.message]),
      }),
    )
    .digest('hex')
    .slice(0, 20);

const exists = (p: string) =>
  fs.promises.stat(p).then(
    () => true,
    () => false,
  );

export class GitRepositories {
  /** Builds under way, by target folder: concurrent requests wait for the one build. */
  private readonly building = new Map<string, Promise<void>>();
  /**
   * The generation found for a pack, with the change-feed epoch it was read at: a clone's dozen
   * requests read the database once, and any write to the pack or its publisher reads it again.
   */
  private readonly found = new Map<string, { readAt: number; keys: string[]; packDir: string; current: Generation }>();
  /** Builds running now, and those waiting for one to end: a burst of first clones does not start a git per pack at once. */
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly reg: Registry,
    /** The folder holding every pack's repositories (`{data}/git`). */
    readonly root: string,
    private readonly log: Warn,
  ) {}

  /** The answer for `file` of a pack's repository: 404s for unknown packs, paths and objects. */
  async read(nodeId: string, file: string): Promise<GitAnswer> {
    const what = gitFile(file);
    if (!what || what.kind === 'absent') throw fail('GIT_PATH_NOT_FOUND', file);
    const { current, previous } = await this.open(nodeId);
    if (what.kind === 'refs' || what.kind === 'head') {
      const name = what.kind === 'refs' ? 'info/refs' : 'HEAD';
      return { kind: 'bytes', body: await fs.promises.readFile(path.join(current.dir, name)), contentType: 'text/plain; charset=utf-8' };
    }
    const dirs = [current, ...previous].map((g) => g.dir);
    if (what.kind === 'packs') {
      const names: string[] = [];
      for (const d of dirs) for (const n of await this.packNames(d)) if (!names.includes(n)) names.push(n);
      return { kind: 'bytes', body: Buffer.from(packsListing(names)), contentType: 'text/plain; charset=utf-8' };
    }
    for (const d of dirs) {
      const handle = await fs.promises.open(path.join(d, what.file)).catch(() => null);
      if (!handle) continue;
      const stat = await handle.stat();
      if (stat.isFile()) return { kind: 'file', handle, size: stat.size, contentType: what.contentType };
      await handle.close();
    }
    throw fail('GIT_PATH_NOT_FOUND', file);
  }

  private async packNames(dir: string): Promise<string[]> {
    const names = await fs.promises.readdir(path.join(dir, 'objects', 'pack')).catch(() => [] as string[]);
    return names.filter((n) => n.endsWith('.pack')).sort();
  }

  /** The pack's current generation (built if needed) and the superseded ones still listed. */
  async open(nodeId: string): Promise<{ current: Generation; previous: Generation[] }> {
    const { packDir, current } = await this.currentGeneration(nodeId);
    return { current, previous: await this.superseded(packDir, current) };
  }

  private async currentGeneration(nodeId: string): Promise<{ packDir: string; current: Generation }> {
    const { changes } = this.reg;
    const known = this.found.get(nodeId.toLowerCase());
    if (known && changes.trusted && changes.isFresh(known.readAt, known.keys) && (await exists(known.current.dir))) return known;
    const readAt = changes.now;
    const node = await findNode(this.reg.db, nodeId);
    if (!node && this.reg.uplink) return this.ensureBuilt(await upstreamHistory(this.reg, this.root, nodeId));
    if (!node || node.status !== 'NodeStatusActive') {
      if (node) await this.forget(node.key);
      throw fail('NODE_NOT_FOUND', nodeId);
    }
    const versions = await packHistory(this.reg.db, node.id);
    if (versions.length === 0) {
      await this.forget(node.key);
      throw fail('NO_INSTALLABLE_VERSION', node.id);
    }
    const publisher = await this.reg.db
      .selectFrom('publishers')
      .select(['id', 'name'])
      .where('id', '=', node.publisher_id)
      .executeTakeFirstOrThrow();
    const found = await this.ensureBuilt({
      nodeId: node.id,
      packDir: path.join(this.root, node.key),
      commits: versions.map((v) => ({
        id: v.id,
        archiveKey: v.archive_key!,
        version: v.version,
        authorName: publisher.name || publisher.id,
        authorEmail: `${publisher.id}@comfyreg`,
        time: Math.floor(Date.parse(v.created_at) / 1000),
        message: v.changelog.trim() || `Version ${v.version}`,
      })),
    });
    if (this.found.size >= MAX_FOUND) this.found.clear();
    this.found.set(node.key, { readAt, keys: [keys.pack(node.id), keys.publisher(node.publisher_id)], ...found });
    return found;
  }

  /** The planned history's generation, built now unless it exists; concurrent requests share one build. */
  private async ensureBuilt(plan: PlannedHistory): Promise<{ packDir: string; current: Generation }> {
    const dir = path.join(plan.packDir, `${historyId(plan)}.git`);
    if (!(await exists(dir))) {
      let build = this.building.get(dir);
      if (!build) {
        build = this.limited(() => this.build(dir, plan)).finally(() => this.building.delete(dir));
        this.building.set(dir, build);
      }
      await build;
    }
    return { packDir: plan.packDir, current: { dir, versionIds: plan.commits.map((c) => c.id) } };
  }

  /** Other generations listed for in-flight clones: recent, and holding no version that left. */
  private async superseded(packDir: string, current: Generation): Promise<Generation[]> {
    const out: { g: Generation; mtime: number }[] = [];
    for (const name of await fs.promises.readdir(packDir).catch(() => [] as string[])) {
      const dir = path.join(packDir, name);
      if (!GENERATION.test(name) || dir === current.dir) continue;
      const g = await this.generation(dir);
      const stat = await fs.promises.stat(dir).catch(() => null);
      if (!g || !stat || Date.now() - stat.mtimeMs > GRACE_MS) continue;
      if (g.versionIds.every((id) => current.versionIds.includes(id))) out.push({ g, mtime: stat.mtimeMs });
    }
    return out.sort((a, b) => b.mtime - a.mtime).map((x) => x.g);
  }

  private async generation(dir: string): Promise<Generation | null> {
    try {
      const ids: unknown = JSON.parse(await fs.promises.readFile(path.join(dir, HISTORY_FILE), 'utf8'));
      return Array.isArray(ids) ? { dir, versionIds: ids.map(String) } : null;
    } catch {
      return null;
    }
  }

  /** A banned, deleted or emptied pack: its repositories go (clones under way fail, as they should). */
  private async forget(key: string): Promise<void> {
    await fs.promises.rm(path.join(this.root, key), { recursive: true, force: true });
  }

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    // A finished build hands its slot straight to the next waiting one.
    if (this.running >= MAX_CONCURRENT_BUILDS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  private async build(target: string, plan: PlannedHistory): Promise<void> {
    const { packDir } = plan;
    const scratch = path.join(packDir, `.build-${randomBytes(6).toString('hex')}`);
    await fs.promises.mkdir(scratch, { recursive: true });
    try {
      const commits: HistoryCommit[] = [];
      for (const c of plan.commits) {
        const zipPath = path.join(scratch, `${commits.length}.zip`);
        await this.fetchArchive(plan.nodeId, c, zipPath);
        const { id: _id, archiveKey: _key, ...commit } = c;
        commits.push({ ...commit, zipPath });
      }
      const repo = path.join(scratch, 'repo.git');
      try {
        await buildRepository(repo, commits);
      } catch (err) {
        this.log.warn({ err, node: plan.nodeId }, 'building a git repository failed');
        throw fail('GIT_REPOSITORY_UNAVAILABLE', plan.nodeId);
      }
      const ids = plan.commits.map((c) => c.id);
      await fs.promises.writeFile(path.join(repo, HISTORY_FILE), JSON.stringify(ids));
      await this.retire(packDir, target, ids);
      await fs.promises.rename(repo, target).catch(async (err: NodeJS.ErrnoException) => {
        // Another process built the same history first: theirs is identical.
        if (!(await exists(target))) throw err;
      });
    } finally {
      await fs.promises.rm(scratch, { recursive: true, force: true });
    }
  }

  private async fetchArchive(nodeId: string, c: PlannedCommit, to: string): Promise<void> {
    let found;
    try {
      found = await this.reg.store.get(c.archiveKey);
    } catch (err) {
      throw Object.assign(fail('ARCHIVE_STORE_UNAVAILABLE'), { cause: err });
    }
    if (!found) {
      this.log.warn({ node: nodeId, version: c.version, key: c.archiveKey }, 'an archive of the git history is missing from the store');
      throw fail('GIT_REPOSITORY_UNAVAILABLE', nodeId);
    }
    await pipeline(found.stream, fs.createWriteStream(to));
  }

  /**
   * Before a new generation appears: the newest other one (the current one until now) starts its
   * grace period; those holding a version no longer in the history, and those past their grace, go.
   */
  private async retire(packDir: string, target: string, ids: string[]): Promise<void> {
    const keep = new Set(ids);
    const others: { dir: string; mtime: number }[] = [];
    for (const name of await fs.promises.readdir(packDir)) {
      const dir = path.join(packDir, name);
      const stat = await fs.promises.stat(dir).catch(() => null);
      if (!stat) continue;
      if (name.startsWith('.build-') && Date.now() - stat.mtimeMs > GRACE_MS) await fs.promises.rm(dir, { recursive: true, force: true });
      if (!GENERATION.test(name) || dir === target) continue;
      const g = await this.generation(dir);
      if (!g || !g.versionIds.every((id) => keep.has(id))) await fs.promises.rm(dir, { recursive: true, force: true });
      else others.push({ dir, mtime: stat.mtimeMs });
    }
    others.sort((a, b) => b.mtime - a.mtime);
    const now = new Date();
    for (const [i, o] of others.entries()) {
      if (i === 0) await fs.promises.utimes(o.dir, now, now);
      else if (Date.now() - o.mtime > GRACE_MS) await fs.promises.rm(o.dir, { recursive: true, force: true });
    }
  }
}
