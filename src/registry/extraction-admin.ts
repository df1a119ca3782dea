import { fail } from '../contract/index.js';
import { queueExtraction } from './extraction-queue.js';
import { timestamp, type Registry } from './registry.js';
import { announce, changed, keys } from './changes.js';
import type { PageWindow } from './paging.js';
import type { ExtractionJobRow } from '../db/schema.js';

/**
 * Re-runs extraction of a version that has no comfy nodes yet (pending, or failed for good): its
 * status goes back to pending and its job is queued afresh with no attempts counted. A version
 * already extracted keeps its comfy nodes (they are immutable), so it cannot be re-run.
 */
export async function rerunExtraction(reg: Registry, versionId: string): Promise<void> {
  const list = await reg.db.transaction().execute(async (trx) => {
    const v = await trx.selectFrom('node_versions').selectAll().where('id', '=', versionId).executeTakeFirst();
    if (!v) throw fail('VERSION_NOT_FOUND', versionId, 'any');
    if (!v.archive_key) throw fail('NOT_RERUNNABLE', v.version, v.node_id, 'it has no archive');
    if (v.comfy_node_extract_status !== 'pending' && v.comfy_node_extract_status !== 'failed')
      throw fail('NOT_RERUNNABLE', v.version, v.node_id, `its extraction ended as ${v.comfy_node_extract_status}`);
    await trx
      .updateTable('node_versions')
      .set({ comfy_node_extract_status: 'pending', comfy_node_extract_reason: '' })
      .where('id', '=', v.id)
      .execute();
    await queueExtraction(trx, v.id, timestamp(reg));
    return announce(reg, trx, [keys.pack(v.node_id)]);
  });
  changed(reg, list);
  reg.events.emit('jobQueued');
}

/** The extraction job of each of these versions that has one (a finished extraction has none). */
export async function extractionJobsOf(reg: Registry, versionIds: string[]): Promise<Map<string, ExtractionJobRow>> {
  if (versionIds.length === 0) return new Map();
  const rows = await reg.db.selectFrom('extraction_jobs').selectAll().where('node_version_id', 'in', versionIds).execute();
  return new Map(rows.map((j) => [j.node_version_id, j]));
}

/** The queue as the admin page shows it: each job with its pack, version and extraction status. */
export async function listJobsWithVersions(reg: Registry, paging: PageWindow) {
  const base = reg.db.selectFrom('extraction_jobs').leftJoin('node_versions', 'node_versions.id', 'extraction_jobs.node_version_id');
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const rows = await base
    .selectAll('extraction_jobs')
    .select([
      'node_versions.node_id',
      'node_versions.version',
      'node_versions.comfy_node_extract_status',
      'node_versions.comfy_node_extract_reason',
    ])
    .orderBy('extraction_jobs.created_at')
    .orderBy('extraction_jobs.node_version_id')
    .limit(paging.limit)
    .offset(paging.offset)
    .execute();
  return { rows, total: Number(total) };
}
