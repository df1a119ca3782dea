import { sql, type Kysely } from 'kysely';
import { DatabaseUnreachable } from './unreachable.js';

export { DatabaseUnreachable };

/*
 * Database faults a request can meet that say nothing about the request: the server is down or
 * restarting, a connection was terminated (failover, idle timeout, pg_terminate_backend), the pool
 * could not connect in time, or SQLite stayed locked. Such a request gets 503 with Retry-After and
 * the next one succeeds once the database answers.
 */
const UNAVAILABLE_PG_CODES = new Set(['57P01', '57P02', '57P03', '53300', '40P01', '40001']);
const UNAVAILABLE_NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed|terminating connection/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (code.startsWith('08') || UNAVAILABLE_PG_CODES.has(code) || UNAVAILABLE_NET_CODES.has(code)) return true;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return true;
  return typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message);
}

const describeError = (err: unknown): string => {
  const e = err as { code?: string; message?: string };
  return e?.code && !String(e.message).includes(e.code) ? `${e.code}: ${e.message}` : String(e?.message ?? err);
};

/**
 * Waits for a database that is starting (or restarting) with the service: retries `SELECT 1` until
 * `waitMs` has passed, telling `onWait` once, then gives up with `DatabaseUnreachable`.
 */
export async function waitUntilReachable(db: Kysely<any>, where: string, waitMs: number, onWait: (message: string) => void): Promise<void> {
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    try {
      await sql`SELECT 1`.execute(db);
      return;
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      const reason = describeError(err);
      if (Date.now() >= deadline)
        throw new DatabaseUnreachable(`the database at ${where} did not answer within ${Math.round(waitMs / 1000)} s (${reason})`);
      if (!told) onWait(`waiting for the database at ${where} (${reason}); retrying for up to ${Math.round(waitMs / 1000)} s`);
      told = true;
      await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, deadline - Date.now()))));
    }
  }
}
