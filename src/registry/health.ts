import { sql } from 'kysely';
import { pendingMigrations } from '../db/migrations.js';
import type { Registry } from './registry.js';

/** What `/readyz` checks: each must pass for an instance to take traffic. */
export const READINESS_CHECKS = ['database', 'migrations', 'archiveStore'] as const;
export type ReadinessCheck = (typeof READINESS_CHECKS)[number];

export interface Readiness {
  ready: boolean;
  checks: Record<ReadinessCheck, 'ok' | 'failed'>;
  /** Why each failed check failed, for the log (never for the answer: it may name hosts and buckets). */
  causes: Partial<Record<ReadinessCheck, string>>;
}

/** A check that does not answer within `ms` has failed: a probe must get an answer, not a hang. */
async function within<T>(ms: number, what: string, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Whether this instance can serve: the database answers `SELECT 1`, every migration this build
 * knows has run (an instance of a newer build waits for its migrations), and the archive store
 * answers. The checks run together, each bounded by `timeoutMs`.
 */
export async function checkReadiness(reg: Registry, timeoutMs = 5_000): Promise<Readiness> {
  const run: Record<ReadinessCheck, () => Promise<void>> = {
    database: async () => {
      await sql`SELECT 1`.execute(reg.db);
    },
    migrations: async () => {
      const pending = await pendingMigrations(reg.db);
      if (pending.length > 0) throw new Error(`migrations not run: ${pending.join(', ')}`);
    },
    archiveStore: () => reg.store.check(),
  };
  const results = await Promise.allSettled(READINESS_CHECKS.map((c) => within(timeoutMs, c, run[c])));
  const checks = {} as Readiness['checks'];
  const causes: Readiness['causes'] = {};
  READINESS_CHECKS.forEach((c, i) => {
    const r = results[i]!;
    checks[c] = r.status === 'fulfilled' ? 'ok' : 'failed';
    if (r.status === 'rejected') causes[c] = reason(r.reason);
  });
  return { ready: Object.values(checks).every((v) => v === 'ok'), checks, causes };
}
