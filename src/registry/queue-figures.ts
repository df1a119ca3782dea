import { sql } from 'kysely';
import { JOB_STATES, type JobState } from '../contract/index.js';
import { timestamp, type Registry } from './registry.js';

export interface QueueFigures {
  /** Jobs by state; every state is present, 0 when none. */
  byState: Record<JobState, number>;
  /** Jobs a worker could take now: queued, or running with a lease that ran out. */
  pending: number;
  /** How long the longest-waiting pending job has waited, in seconds; 0 when none waits. */
  oldestPendingSeconds: number;
}

/**
 * The extraction queue's figures for metrics, read at scrape time with two aggregate queries on
 * the (state, lease_until) index. Times are the registry clock's.
 */
export async function queueFigures(reg: Registry): Promise<QueueFigures> {
  const now = reg.clock.now();
  const t = timestamp(reg);
  const rows = await reg.db
    .selectFrom('extraction_jobs')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute();
  const byState = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
  for (const r of rows) if (r.state in byState) byState[r.state] = Number(r.n);
  // A queued job waits since it was (re)queued; a running one whose lease ran out, since it ran out.
  const waiting = await reg.db
    .selectFrom('extraction_jobs')
    .select([
      (eb) => eb.fn.countAll<number>().as('n'),
      sql<string | null>`min(case when state = 'queued' then updated_at else lease_until end)`.as('since'),
    ])
    .where((eb) => eb.or([eb('state', '=', 'queued'), eb.and([eb('state', '=', 'running'), eb('lease_until', '<', t)])]))
    .executeTakeFirstOrThrow();
  const since = waiting.since ? Date.parse(waiting.since) : NaN;
  return {
    byState,
    pending: Number(waiting.n),
    oldestPendingSeconds: Number.isFinite(since) ? Math.max(0, (now - since) / 1000) : 0,
  };
}
