import {
  LIVE_VERSION_STATUSES,
  REFUSED_EXTRACT_STATUS,
  VERSION_STATUSES,
  fail,
  type VersionStatus,
  type VersionStatusUpdate,
  type VersionUpdate,
} from '../contract/index.js';
import type { NodeRow, NodeVersionRow } from '../db/schema.js';
import { prepared } from '../db/prepared-statements.js';
import { VERSION_COLUMNS, prefixed, unprefixed } from './prefixed-rows.js';
import { findVersion, getNode, getVersion, ownedNode, refreshLatest } from './nodes.js';
import type { Principal } from './principals.js';
import type { Registry } from './registry.js';
import type { PageWindow } from './paging.js';
import { highestVersion } from './semver.js';
import { announce, announceCommitted, changed, keys, watchPack } from './changes.js';

/** A version of an owned node, by its id or its version number (upstream paths use either). */
async function ownedVersion(reg: Registry, p: Principal, publisherId: string, nodeId: string, versionId: string): Promise<NodeVersionRow> {
  const node = await ownedNode(reg, p, publisherId, nodeId);
  const byId = await reg.db
    .selectFrom('node_versions')
    .selectAll()
    .where('id', '=', versionId)
    .where('node_id', '=', node.id)
    .executeTakeFirst();
  const row = byId ?? (await findVersion(reg.db, node.id, versionId));
  if (!row || row.status === 'NodeVersionStatusDeleted') throw fail('VERSION_NOT_FOUND', versionId, nodeId);
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
  await announceCommitted(reg, [keys.pack(row.node_id)]);
  return { ...row, ...set };
}

/** deleteNodeVersion: the version is unpublished (status Deleted), its archive and rows kept for audit. */
export async function deleteVersion(reg: Registry, p: Principal, publisherId: string, nodeId: string, versionId: string): Promise<void> {
  const row = await ownedVersion(reg, p, publisherId, nodeId, versionId);
  const list = await reg.db.transaction().execute(async (trx) => {
    const watched = await watchPack(trx, row.node_id);
    await trx.updateTable('node_versions').set({ status: 'NodeVersionStatusDeleted' }).where('id', '=', row.id).execute();
    await refreshLatest(trx, row.node_id);
    return announce(reg, trx, await watched());
  });
  changed(reg, list);
}

const isVersionStatus = (s: string): s is VersionStatus => (VERSION_STATUSES as readonly string[]).includes(s);

/** An admin's decision on a version (approve a Pending one, flag, ban); hidden packs included. */
export async function setVersionStatus(
  reg: Registry,
  nodeId: string,
  version: string,
  input: VersionStatusUpdate,
): Promise<NodeVersionRow> {
  const status = input.status;
  if (!isVersionStatus(status)) throw fail('INVALID_VERSION_STATUS', VERSION_STATUSES.join(', '));
  const node = await getNode(reg, nodeId, { includeHidden: true });
  const reason = input.status_reason ?? '';
  const { row, list } = await reg.db.transaction().execute(async (trx) => {
    const v = await findVersion(trx, node.id, version);
    if (!v) throw fail('VERSION_NOT_FOUND', version, node.id);
    const watched = await watchPack(trx, node.id);
    await trx.updateTable('node_versions').set({ status, status_reason: reason }).where('id', '=', v.id).execute();
    await refreshLatest(trx, node.id);
    return { row: { ...v, status, status_reason: reason }, list: await announce(reg, trx, await watched()) };
  });
  changed(reg, list);
  return row;
}

/** A version whose archive the extractor refused (hostile or unreadable): never installed nor downloaded. */
export const isRefused = (v: Pick<NodeVersionRow, 'comfy_node_extract_status'>): boolean =>
  v.comfy_node_extract_status === REFUSED_EXTRACT_STATUS;

/** The highest live version that is not refused, when the latest one is. */
async function latestInstallable(reg: Registry, nodeId: string): Promise<NodeVersionRow | undefined> {
  const rows = await reg.db
    .selectFrom('node_versions')
    .selectAll()
    .where('node_id', '=', nodeId)
    .where('status', 'in', LIVE_VERSION_STATUSES)
    .where('comfy_node_extract_status', '!=', REFUSED_EXTRACT_STATUS)
    .execute();
  return highestVersion(rows);
}

/** An active pack and its latest version, in one query (installs are the most frequent request after resolves). */
async function nodeWithLatest(reg: Registry, nodeId: string): Promise<{ node: NodeRow; latest?: NodeVersionRow }> {
  const query = reg.db
    .selectFrom('nodes')
    .leftJoin('node_versions as latest', 'latest.id', 'nodes.latest_version_id')
    .selectAll('nodes')
    .select(prefixed('latest', VERSION_COLUMNS, 'v__'))
    .where('nodes.key', '=', nodeId.toLowerCase());
  const [row] = (await reg.db.executeQuery(prepared(query.compile()))).rows;
  if (!row || row.status !== 'NodeStatusActive') throw fail('NODE_NOT_FOUND', nodeId);
  const joined = row as unknown as Record<string, unknown>;
  return { node: row, latest: joined.v__id == null ? undefined : unprefixed<NodeVersionRow>(joined, VERSION_COLUMNS, 'v__') };
}

/**
 * The version a client installs (`version`, or the latest installable one), counting one download.
 * The count is the only write: it changes the pack's counters and nothing a resolver answers.
 */
export async function installVersion(reg: Registry, p: Principal, nodeId: string, version?: string): Promise<NodeVersionRow> {
  const { node, latest } = await nodeWithLatest(reg, nodeId);
  let row = version ? await getVersion(reg, node.id, version, p) : latest;
  if (row && isRefused(row)) {
    if (version) throw fail('VERSION_REFUSED', row.version, node.id, row.comfy_node_extract_reason);
    row = await latestInstallable(reg, node.id);
  }
  if (!row) throw fail('NO_INSTALLABLE_VERSION', node.id);
  // Only the counters: the resolver's answers and the version listings stay cached.
  await reg.downloads.count(node.id);
  return row;
}

/** Versions whose archives the extractor refused and that no admin removed yet, newest first. */
export async function listRefusedVersions(reg: Registry, paging: PageWindow): Promise<{ rows: NodeVersionRow[]; total: number }> {
  const base = reg.db
    .selectFrom('node_versions')
    .where('comfy_node_extract_status', '=', REFUSED_EXTRACT_STATUS)
    .where('status', '!=', 'NodeVersionStatusDeleted');
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const rows = await base.selectAll().orderBy('created_at', 'desc').orderBy('id').limit(paging.limit).offset(paging.offset).execute();
  return { rows, total: Number(total) };
}

/**
 * An admin removes a version for good: it is unpublished (kept as a Deleted row for the record) and
 * its archive is deleted from the store, after the commit.
 */
export async function removeVersion(reg: Registry, nodeId: string, version: string): Promise<NodeVersionRow> {
  const node = await getNode(reg, nodeId, { includeHidden: true });
  const { row, list } = await reg.db.transaction().execute(async (trx) => {
    const v = await findVersion(trx, node.id, version);
    if (!v) throw fail('VERSION_NOT_FOUND', version, node.id);
    const watched = await watchPack(trx, node.id);
    await trx.updateTable('node_versions').set({ status: 'NodeVersionStatusDeleted', archive_key: null }).where('id', '=', v.id).execute();
    await trx.deleteFrom('extraction_jobs').where('node_version_id', '=', v.id).execute();
    await refreshLatest(trx, node.id);
    return { row: v, list: await announce(reg, trx, await watched()) };
  });
  changed(reg, list);
  if (row.archive_key) await reg.store.delete(row.archive_key);
  return { ...row, status: 'NodeVersionStatusDeleted', archive_key: null };
}
