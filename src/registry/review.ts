import { LIVE_VERSION_STATUSES, fail, type VersionStatus } from '../contract/index.js';
import type { NodeVersionRow } from '../db/schema.js';
import { findVersion, refreshLatest } from './nodes.js';
import type { PageWindow } from './paging.js';
import type { Registry } from './registry.js';
import { announce, changed, watchPack } from './changes.js';

/** Versions waiting for an admin (review mode), oldest first. */
export async function listPendingVersions(reg: Registry, paging: PageWindow): Promise<{ rows: NodeVersionRow[]; total: number }> {
  const base = reg.db.selectFrom('node_versions').where('status', '=', 'NodeVersionStatusPending');
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const rows = await base.selectAll().orderBy('created_at').orderBy('id').limit(paging.limit).offset(paging.offset).execute();
  return { rows, total: Number(total) };
}

export interface VersionRef {
  nodeId: string;
  version: string;
}

/**
 * Sets the status (and reason) of several versions in one transaction: the review queue approves
 * or rejects many at once, and either all of them change or none.
 */
export async function setVersionsStatus(
  reg: Registry,
  refs: VersionRef[],
  status: VersionStatus,
  reason: string,
): Promise<NodeVersionRow[]> {
  if (refs.length === 0) return [];
  const { rows, list } = await reg.db.transaction().execute(async (trx) => {
    const rows: NodeVersionRow[] = [];
    const watchers = new Map<string, Awaited<ReturnType<typeof watchPack>>>();
    for (const ref of refs) {
      const node = await trx.selectFrom('nodes').select('id').where('key', '=', ref.nodeId.toLowerCase()).executeTakeFirst();
      const v = node ? await findVersion(trx, node.id, ref.version) : undefined;
      if (!node || !v) throw fail('VERSION_NOT_FOUND', ref.version, ref.nodeId);
      if (!watchers.has(node.id)) watchers.set(node.id, await watchPack(trx, node.id));
      await trx.updateTable('node_versions').set({ status, status_reason: reason }).where('id', '=', v.id).execute();
      rows.push({ ...v, status, status_reason: reason });
    }
    const list: string[] = [];
    for (const [nodeId, watched] of watchers) {
      await refreshLatest(trx, nodeId);
      list.push(...(await watched()));
    }
    return { rows, list: await announce(reg, trx, list) };
  });
  changed(reg, list);
  return rows;
}

/** Whether the public sees a version of this status. */
export const isLive = (status: VersionStatus): boolean => LIVE_VERSION_STATUSES.includes(status);
