import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Dialect } from '../db/database.js';
import { changeKeys, type ChangeFeed } from '../db/change-feed.js';
import { announce, changed } from './changes.js';

/** Packs counted per statement: two bound values each, far below SQLite's and PostgreSQL's limits. */
const PACKS_PER_STATEMENT = 500;
/** After a failed write, the next try is this far off at the soonest. */
const RETRY_MS = 1000;

export interface DownloadCountsOptions {
  db: Kysely<Database>;
  dialect: Dialect;
  changes: ChangeFeed;
  /**
   * How long counts gather in memory before one statement writes them all; 0 writes each install
   * before it is answered. A process killed outright loses the counts of the last interval.
   */
  flushMs: number;
}

/**
 * Download counts, written in batches. Installs are the most frequent write by far, and each one
 * written on its own cost a statement, a commit and (on PostgreSQL) two notifications to every
 * instance; gathered, a burst of installs costs one of each per interval. Counts are touched in
 * the change feed as they are counted, so no cached answer outlives them; readers that show counts
 * call `settle()` first and read them from the database.
 */
export class DownloadCounts {
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private failedAt = -Infinity;
  /** Told when a batch could not be written (it is kept and tried again). */
  onError: (err: unknown) => void = () => {};

  constructor(private readonly o: DownloadCountsOptions) {}

  /** True when counts gather before they are written; false when each is written before its install is answered. */
  get batched(): boolean {
    return this.o.flushMs > 0;
  }

  /** Packs with counts waiting to be written. */
  get waiting(): number {
    return this.pending.size;
  }

  /** One more download of `nodeId` (the pack's id as stored); resolves once it is written when `flushMs` is 0. */
  count(nodeId: string): Promise<void> {
    this.pending.set(nodeId, (this.pending.get(nodeId) ?? 0) + 1);
    changed(this.o, [changeKeys.counts(nodeId)]);
    if (this.o.flushMs === 0) return this.flush();
    this.flushIn(this.o.flushMs);
    return Promise.resolve();
  }

  /**
   * For a reader about to show counts: writes the counts gathered so far, unless the last write
   * failed less than a second ago. Then the reader goes on with what is written (the timer tries
   * again), rather than each request of an outage trying, failing and logging a write of its own.
   */
  async settle(): Promise<void> {
    if (performance.now() - this.failedAt < RETRY_MS) return;
    await this.flush();
  }

  /** A write in `ms`, unless one is due already. */
  private flushIn(ms: number): void {
    this.timer ??= setTimeout(() => void this.flush().catch(this.onError), ms).unref();
  }

  /** Writes every count gathered so far; resolves when they are in the database. */
  async flush(): Promise<void> {
    while (this.writing || this.pending.size > 0) {
      if (this.writing) {
        await this.writing;
        continue;
      }
      this.writing = this.write().finally(() => (this.writing = null));
      await this.writing;
    }
  }

  private async write(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = new Map();
    const entries = [...batch];
    const keys = entries.map(([id]) => changeKeys.counts(id));
    try {
      await this.o.db.transaction().execute(async (trx) => {
        for (let i = 0; i < entries.length; i += PACKS_PER_STATEMENT) {
          const values = sql.join(entries.slice(i, i + PACKS_PER_STATEMENT).map(([id, n]) => sql`(${id}, CAST(${n} AS integer))`));
          await sql`UPDATE nodes SET downloads = downloads + c.column2 FROM (VALUES ${values}) AS c WHERE nodes.id = c.column1`.execute(
            trx,
          );
        }
        // Other instances learn which packs' counters moved, at the commit.
        await announce(this.o, trx, keys);
      });
    } catch (err) {
      this.failedAt = performance.now();
      // Batched counts are kept for the next try; counted one by one, the install fails with them.
      if (this.o.flushMs > 0) {
        for (const [id, n] of batch) this.pending.set(id, (this.pending.get(id) ?? 0) + n);
        this.flushIn(Math.max(this.o.flushMs, RETRY_MS));
      }
      throw err;
    }
    this.failedAt = -Infinity;
    changed(this.o, keys);
  }
}
