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
export function startCheckpoints(db: Kysely<any>, walFile: string): { written(): void; stop(): void } {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const run = async () => {
    timer = null;
    if (stopped) return;
    let size = 0;
    try {
      size = fs.statSync(walFile).size;
    } catch {
      return;
    }
    if (size > WAL_LIMIT) await sql`PRAGMA wal_checkpoint(PASSIVE)`.execute(db).catch(() => {});
  };
  const later = (ms: number) => {
    if (!timer && !stopped) timer = setTimeout(() => void run(), ms).unref();
  };
  const sweep = setInterval(() => later(0), 30_000).unref();
  return {
    written: () => later(20),
    stop: () => {
      stopped = true;
      clearInterval(sweep);
      if (timer) clearTimeout(timer);
    },
  };
}
