import type { NodeVersionRow } from '../db/schema.js';
import { notFound } from './errors.js';
import { VERSION_DELETED, findVersion, ownedNode, refreshLatest } from './nodes.js';
import type { Principal } from './principals.js';
import type { Registry } from './registry.js';

export interface VersionUpdate {
  changelog?: string;
  deprecated?: boolean;
}

/** A version of an owned node, by its id or its version number (upstream paths use either). */
async function ownedVersion(reg: Registry, p: Principal, publisherId: string, nodeId: string, versionId: string): Promise<NodeVersionRow> {
  const node = await ownedNode(reg, p, publisherId, nodeId);
  const byId = await reg.db.selectFrom('node_versions').selectAll().where('id', '=', versionId).where('node_id', '=', node.id).executeTakeFirst();
  const row = byId ?? (await findVersion(reg.db, node.id, versionId));
  if (!row || row.status === VERSION_DELETED) throw notFound(`version ${versionId} of node ${nodeId} not found`, 'VERSION_NOT_FOUND');
  return row;
}

/** updateNodeVersion: only the changelog and the deprecation flag (owner or admin). */
export async function updateVersion(
  reg: Registry,
  p: Principal,
  publisherId: string,
  nodeId: string,
  versionId: string,
  input: VersionUpdate,
): Promise<NodeVersionRow> {
  const row = await ownedVersion(reg, p, publisherId, nodeId, versionId);
  const set: Partial<NodeVersionRow> = {};
  if (input.changelog !== undefined) set.changelog = input.changelog;
  if (input.deprecated !== undefined) set.deprecated = input.deprecated ? 1 : 0;
  if (Object.keys(set).length === 0) return row;
  await reg.db.updateTable('node_versions').set(set).where('id', '=', row.id).execute();
  return { ...row, ...set };
}

/** deleteNodeVersion: the version is unpublished (status Deleted), its archive and rows kept for audit. */
export async function deleteVersion(reg: Registry, p: Principal, publisherId: string, nodeId: string, versionId: string): Promise<void> {
  const row = await ownedVersion(reg, p, publisherId, nodeId, versionId);
  await reg.db.transaction().execute(async (trx) => {
    await trx.updateTable('node_versions').set({ status: VERSION_DELETED }).where('id', '=', row.id).execute();
    await refreshLatest(trx, row.node_id);
  });
}
