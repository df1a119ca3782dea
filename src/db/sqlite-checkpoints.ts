import fs from 'node:fs';
import { sql, type Kysely } from 'kysely';

/** WAL size above which a checkpoint is worth running (SQLite's own default is about 4 MB). */
const WAL_LIMIT = 4 * 1024 * 1024;

/**
 * SQLite checkpoints its write-ahead log inside the commit that crosses the limit, so one write in
 * a few pays for everyone's (tens of milliseconds with the fsync). Here the automatic checkpoint is
 * off and one runs shortly after writes, between transactions (through Kysely, which holds the
 * connection), so no request waits for it inside its own commit.
 */
export interface Checkpoints {
  /** A write happened: check the log shortly. */
  written(): void;
  /** Resolves once no check is scheduled or running (for operators' backups and for tests). */
  settled(): Promise<void>;
  stop(): void;
}

export function startCheckpoints(db: Kysely<any>, walFile: string, onError: (err: unknown) => void): Checkpoints {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let running: Promise<void> | null = null;
  let waiters: (() => void)[] = [];
  const check = async () => {
    let size = 0;
    try {
      size = fs.statSync(walFile).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onError(err);
      return;
    }
    // A checkpoint that cannot run now (a reader holds the log) is retried after the next write.
    if (size > WAL_LIMIT) await sql`PRAGMA wal_checkpoint(PASSIVE)`.execute(db).catch(onError);
  };
  const run = async () => {
    timer = null;
    if (!stopped) {
      running = check();
      await running;
      running = null;
    }
    if (!timer) {
      const done = waiters;
      waiters = [];
      for (const w of done) w();
    }
  };
  const later = (ms: number) => {
    if (!timer && !stopped) timer = setTimeout(() => void run(), ms).unref();
  };
  const sweep = setInterval(() => later(0), 30_000).unref();
  return {
    written: () => later(20),
    settled: () => {
      if (!timer && !running) return Promise.resolve();
      // Someone waits for it now: the check must run even if nothing else keeps the process up.
      timer?.ref();
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
    stop: () => {
      stopped = true;
      clearInterval(sweep);
      if (timer) clearTimeout(timer);
    },
  };
}
