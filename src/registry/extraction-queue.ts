import type { Kysely, Transaction } from 'kysely';
import { fail, type LeasedJob } from '../contract/index.js';
import type { Database, ExtractionJobRow } from '../db/schema.js';
import type { PageWindow } from './paging.js';
import { timestamp, type Registry } from './registry.js';
import { announce, changed, keys } from './changes.js';

type Db = Kysely<Database> | Transaction<Database>;

/** A job fails for good after this many leases that did not end in a report. */
export const MAX_ATTEMPTS = 3;

/** Queues (or re-queues) extraction of one version at time `t`; a worker from src/jobs picks it up. */
export async function queueExtraction(db: Db, versionId: string, t: string): Promise<void> {
  await db
    .insertInto('extraction_jobs')
    .values({
      node_version_id: versionId,
      state: 'queued',
      attempts: 0,
      lease_owner: null,
      lease_until: null,
      last_error: '',
      created_at: t,
      updated_at: t,
    })
    .onConflict((oc) =>
      oc
        .column('node_version_id')
        .doUpdateSet({ state: 'queued', attempts: 0, lease_owner: null, lease_until: null, last_error: '', updated_at: t }),
    )
    .execute();
}

/** Ends a version's job: called in the transaction that stores the version's extraction result. */
export async function finishExtraction(db: Db, versionId: string): Promise<void> {
  await db.deleteFrom('extraction_jobs').where('node_version_id', '=', versionId).execute();
}

async function giveUp(reg: Registry, job: ExtractionJobRow, reason: string): Promise<void> {
  const list = await reg.db.transaction().execute(async (trx) => {
    const res = await trx
      .updateTable('extraction_jobs')
      .set({ state: 'failed', lease_owner: null, lease_until: null, last_error: reason, updated_at: timestamp(reg) })
      .where('node_version_id', '=', job.node_version_id)
      .where('state', '=', job.state)
      .where('attempts', '=', job.attempts)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return [];
    await trx
      .updateTable('node_versions')
      .set({ comfy_node_extract_status: 'failed', comfy_node_extract_reason: reason })
      .where('id', '=', job.node_version_id)
      .where('comfy_node_extract_status', '=', 'pending')
      .execute();
    const v = await trx.selectFrom('node_versions').select('node_id').where('id', '=', job.node_version_id).executeTakeFirst();
    return announce(reg, trx, v ? [keys.pack(v.node_id)] : []);
  });
  changed(reg, list);
}

type Claim =
  | { kind: 'none' }
  | { kind: 'again' }
  | { kind: 'exhausted'; job: ExtractionJobRow }
  | { kind: 'claimed'; job: ExtractionJobRow; until: string };

/** One attempt at claiming the oldest available job, in one transaction. */
async function claimOne(reg: Registry, worker: string, leaseSeconds: number): Promise<Claim> {
  return reg.db.transaction().execute(async (trx): Promise<Claim> => {
    const t = timestamp(reg);
    let next = trx
      .selectFrom('extraction_jobs')
      .selectAll()
      .where((eb) => eb.or([eb('state', '=', 'queued'), eb.and([eb('state', '=', 'running'), eb('lease_until', '<', t)])]))
      .orderBy('created_at')
      .orderBy('node_version_id')
      .limit(1);
    // PostgreSQL: workers on many instances each take a different row instead of queueing on one.
    if (reg.dialect === 'postgres') next = next.forUpdate().skipLocked();
    const job = await next.executeTakeFirst();
    if (!job) return { kind: 'none' };
    if (job.attempts >= MAX_ATTEMPTS) return { kind: 'exhausted', job };
    const until = timestamp(reg, leaseSeconds * 1000);
    const res = await trx
      .updateTable('extraction_jobs')
      .set({ state: 'running', lease_owner: worker, lease_until: until, attempts: job.attempts + 1, updated_at: t })
      .where('node_version_id', '=', job.node_version_id)
      .where('state', '=', job.state)
      .where('attempts', '=', job.attempts)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1 ? { kind: 'claimed', job, until } : { kind: 'again' };
  });
}

/**
 * Claims the oldest job that is queued or whose lease ran out: with `FOR UPDATE SKIP LOCKED` on
 * PostgreSQL, and a conditional update everywhere, so two workers (or two instances) never hold
 * the same job.
 */
export async function leaseJob(reg: Registry, worker: string, leaseSeconds: number): Promise<LeasedJob | null> {
  for (let round = 0; round < 20; round++) {
    const claim = await claimOne(reg, worker, leaseSeconds);
    if (claim.kind === 'none') return null;
    if (claim.kind === 'again') continue;
    if (claim.kind === 'exhausted') {
      const { job } = claim;
      await giveUp(reg, job, job.last_error || `extraction did not finish after ${MAX_ATTEMPTS} attempts (worker lease expired)`);
      continue;
    }
    const { job, until } = claim;
    const version = await reg.db
      .selectFrom('node_versions')
      .select(['node_id', 'version', 'archive_key'])
      .where('id', '=', job.node_version_id)
      .executeTakeFirst();
    if (!version?.archive_key) {
      await finishExtraction(reg.db, job.node_version_id);
      continue;
    }
    return {
      node_version_id: job.node_version_id,
      node_id: version.node_id,
      version: version.version,
      archive_key: version.archive_key,
      attempts: job.attempts + 1,
      lease_until: until,
    };
  }
  return null;
}

/**
 * A worker that stops before finishing gives its job back: queued again at once, and the lease
 * it took does not count as an attempt.
 */
export async function releaseJob(reg: Registry, versionId: string, worker: string): Promise<void> {
  await reg.db
    .updateTable('extraction_jobs')
    .set((eb) => ({ state: 'queued', lease_owner: null, lease_until: null, attempts: eb('attempts', '-', 1), updated_at: timestamp(reg) }))
    .where('node_version_id', '=', versionId)
    .where('state', '=', 'running')
    .where('lease_owner', '=', worker)
    .where('attempts', '>', 0)
    .execute();
}

/**
 * At start, leases held by an earlier run of this instance (`{instance}/{pid}/…` whose process is
 * gone) are orphaned: queue them again now instead of waiting out their lease. The lease they took
 * stays counted. Returns how many were reclaimed.
 */
export async function reclaimOrphanedLeases(reg: Registry, instance: string, isAlive: (pid: number) => boolean): Promise<number> {
  // Running jobs are few (one per worker): filter by owner here rather than with a LIKE pattern.
  const prefix = `${instance}/`;
  const running = (
    await reg.db.selectFrom('extraction_jobs').select(['node_version_id', 'lease_owner']).where('state', '=', 'running').execute()
  ).filter((j) => j.lease_owner?.startsWith(prefix));
  let reclaimed = 0;
  for (const job of running) {
    const pid = Number(job.lease_owner!.slice(instance.length + 1).split('/')[0]);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) continue;
    const res = await reg.db
      .updateTable('extraction_jobs')
      .set({ state: 'queued', lease_owner: null, lease_until: null, updated_at: timestamp(reg) })
      .where('node_version_id', '=', job.node_version_id)
      .where('state', '=', 'running')
      .where('lease_owner', '=', job.lease_owner)
      .executeTakeFirst();
    reclaimed += Number(res.numUpdatedRows);
  }
  if (reclaimed > 0) reg.events.emit('jobQueued');
  return reclaimed;
}

/** A worker could not finish: retry later, or give up after MAX_ATTEMPTS with the reason on the version. */
export async function failJob(reg: Registry, versionId: string, worker: string, reason: string): Promise<void> {
  const job = await reg.db
    .selectFrom('extraction_jobs')
    .selectAll()
    .where('node_version_id', '=', versionId)
    .where('state', '=', 'running')
    .where('lease_owner', '=', worker)
    .executeTakeFirst();
  if (!job) throw fail('JOB_NOT_FOUND');
  if (job.attempts >= MAX_ATTEMPTS) return giveUp(reg, job, reason);
  await reg.db
    .updateTable('extraction_jobs')
    .set({ state: 'queued', lease_owner: null, lease_until: null, last_error: reason, updated_at: timestamp(reg) })
    .where('node_version_id', '=', versionId)
    .where('lease_owner', '=', worker)
    .execute();
}

/** Queues up to `max` versions that are still pending, have an archive and no live job. */
export async function backfill(reg: Registry, max: number): Promise<number> {
  const rows = await reg.db
    .selectFrom('node_versions')
    .leftJoin('extraction_jobs', 'extraction_jobs.node_version_id', 'node_versions.id')
    .select('node_versions.id')
    .where('node_versions.comfy_node_extract_status', '=', 'pending')
    .where('node_versions.archive_key', 'is not', null)
    .where((eb) => eb.or([eb('extraction_jobs.state', 'is', null), eb('extraction_jobs.state', '=', 'failed')]))
    .orderBy('node_versions.created_at')
    .limit(max)
    .execute();
  const t = timestamp(reg);
  for (const r of rows) await queueExtraction(reg.db, r.id, t);
  if (rows.length > 0) reg.events.emit('jobQueued');
  return rows.length;
}

/** Ends a job whose version already has its comfy nodes (a worker's report met a 409). */
export async function completeJob(reg: Registry, versionId: string): Promise<void> {
  await finishExtraction(reg.db, versionId);
}

/** The queue, oldest first, a page at a time. */
export async function listJobs(reg: Registry, paging: PageWindow): Promise<{ rows: ExtractionJobRow[]; total: number }> {
  const { total } = await reg.db
    .selectFrom('extraction_jobs')
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow();
  const rows = await reg.db
    .selectFrom('extraction_jobs')
    .selectAll()
    .orderBy('created_at')
    .orderBy('node_version_id')
    .limit(paging.limit)
    .offset(paging.offset)
    .execute();
  return { rows, total: Number(total) };
}
