import type { Kysely, Transaction } from 'kysely';
import { LIVE_VERSION_STATUSES, fail, type NodeInput, type NodeStatus } from '../contract/index.js';
import { syncTypeIndex, type FreshVersion } from '../db/comfy-node-types.js';
import { isUniqueViolation } from '../db/database.js';
import type { Database, NodeRow, NodeVersionRow, PublisherRow } from '../db/schema.js';
import { pageOfNodes, type PageWindow } from './paging.js';
import { assertPublisherOwner, isAdmin, type Principal } from './principals.js';
import { assertPublisherActive, getPublisher } from './publishers.js';
import { timestamp, type Registry } from './registry.js';
import { announce, announceCommitted, changed, keys, namesOfPack } from './changes.js';
import { compareVersions, highestVersion, normalizeVersion } from './semver.js';
import { assertIdFreeUpstream } from './mirror/ownership.js';

export const NODE_ID = /^[a-zA-Z0-9](?:[a-zA-Z0-9._-]*[a-zA-Z0-9])?$/;

type Db = Kysely<Database> | Transaction<Database>;

/** The node fields a client sends (admin-only ones are refused by the route gate). */
export type NodeFields = Omit<NodeInput, 'id'>;

const URL_FIELDS = ['icon', 'banner_url', 'repository'] as const;
const TEXT_FIELDS = [
  'name',
  'description',
  'author',
  'icon',
  'banner_url',
  'repository',
  'supported_comfyui_version',
  'supported_comfyui_frontend_version',
] as const;
const LIST_FIELDS = ['tags', 'supported_os', 'supported_accelerators', 'preempted_comfy_node_names'] as const;

export function assertNodeId(id: string): void {
  if (id.length > 100 || !NODE_ID.test(id)) throw fail('INVALID_NODE_ID');
}

/** Turns API fields into column values; an empty string means unset and is never validated. */
export function nodeColumns(input: NodeFields): Partial<NodeRow> {
  const out: Partial<NodeRow> = {};
  for (const k of URL_FIELDS) {
    const v = input[k];
    if (v && !/^https?:\/\/\S+$/i.test(v)) throw fail('INVALID_URL', k);
  }
  for (const k of TEXT_FIELDS) if (input[k] !== undefined) out[k] = input[k]!;
  for (const k of LIST_FIELDS) if (input[k] !== undefined) out[k] = JSON.stringify(input[k]);
  if (input.license !== undefined) out.license = typeof input.license === 'string' ? input.license : JSON.stringify(input.license);
  if (input.search_ranking !== undefined) out.search_ranking = input.search_ranking;
  return out;
}

export async function findNode(db: Db, id: string): Promise<NodeRow | undefined> {
  return db.selectFrom('nodes').selectAll().where('key', '=', id.toLowerCase()).executeTakeFirst();
}

export async function getNode(reg: Registry, id: string, opts: { includeHidden?: boolean } = {}): Promise<NodeRow> {
  const node = await findNode(reg.db, id);
  if (!node || (!opts.includeHidden && node.status !== 'NodeStatusActive')) throw fail('NODE_NOT_FOUND', id);
  return node;
}

export function newNodeRow(id: string, publisherId: string, columns: Partial<NodeRow>, createdAt: string): NodeRow {
  return {
    id,
    key: id.toLowerCase(),
    publisher_id: publisherId,
    name: id,
    description: '',
    author: '',
    license: '',
    icon: '',
    banner_url: '',
    repository: '',
    tags: '[]',
    downloads: 0,
    rating: 0,
    status: 'NodeStatusActive',
    status_detail: '',
    preempted_comfy_node_names: '[]',
    search_ranking: null,
    supported_os: '[]',
    supported_accelerators: '[]',
    supported_comfyui_version: '',
    supported_comfyui_frontend_version: '',
    latest_version_id: null,
    latest_extracted_version_id: null,
    created_at: createdAt,
    ...columns,
  };
}

export async function createNode(reg: Registry, p: Principal, publisherId: string, input: NodeFields & { id: string }): Promise<NodeRow> {
  const publisher = await getPublisher(reg, publisherId);
  await assertPublisherOwner(reg, p, publisherId);
  assertPublisherActive(publisher);
  assertNodeId(input.id);
  if (!(await findNode(reg.db, input.id))) await assertIdFreeUpstream(reg, input.id);
  const row = newNodeRow(input.id, publisherId, nodeColumns(input), timestamp(reg));
  try {
    await reg.db.insertInto('nodes').values(row).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw fail('NODE_EXISTS', input.id);
    throw err;
  }
  await announceCommitted(reg, [keys.pack(row.id)]);
  return row;
}

/** The node of `publisherId`, for owner operations: 404 when missing, 403 when another's. */
export async function ownedNode(reg: Registry, p: Principal, publisherId: string, nodeId: string): Promise<NodeRow> {
  await getPublisher(reg, publisherId);
  await assertPublisherOwner(reg, p, publisherId);
  const node = await findNode(reg.db, nodeId);
  if (!node || (node.status === 'NodeStatusDeleted' && !isAdmin(p))) throw fail('NODE_NOT_FOUND', nodeId);
  if (node.publisher_id !== publisherId) throw fail('NODE_OF_OTHER_PUBLISHER', nodeId);
  return node;
}

export async function updateNode(reg: Registry, p: Principal, publisherId: string, nodeId: string, input: NodeFields): Promise<NodeRow> {
  const node = await ownedNode(reg, p, publisherId, nodeId);
  const columns = nodeColumns(input);
  if (Object.keys(columns).length > 0) {
    await reg.db.updateTable('nodes').set(columns).where('id', '=', node.id).execute();
    // Preempted names and search ranking decide which pack the resolver picks for its names.
    const ranking = columns.preempted_comfy_node_names !== undefined || columns.search_ranking !== undefined;
    await announceCommitted(reg, [keys.pack(node.id), ...(ranking ? await namesOfPack(reg.db, node.id) : [])]);
  }
  return (await findNode(reg.db, node.id))!;
}

async function setNodeStatus(reg: Registry, p: Principal, publisherId: string, nodeId: string, status: NodeStatus): Promise<void> {
  const node = await ownedNode(reg, p, publisherId, nodeId);
  const list = await reg.db.transaction().execute(async (trx) => {
    await trx.updateTable('nodes').set({ status }).where('id', '=', node.id).execute();
    await syncTypeIndex(trx, node.id);
    return announce(reg, trx, [keys.pack(node.id), ...(await namesOfPack(trx, node.id))]);
  });
  changed(reg, list);
}

export const deleteNode = (reg: Registry, p: Principal, publisherId: string, nodeId: string) =>
  setNodeStatus(reg, p, publisherId, nodeId, 'NodeStatusDeleted');

/** Admin only (the route gate): the pack is no longer listed, installed, resolved or published to. */
export const banNode = (reg: Registry, p: Principal, publisherId: string, nodeId: string) =>
  setNodeStatus(reg, p, publisherId, nodeId, 'NodeStatusBanned');

export interface NodeFilter {
  nodeIds?: string[];
  publisherId?: string;
}

/** Active packs, most downloaded first, a page at a time. */
export async function listNodes(reg: Registry, filter: NodeFilter, paging: PageWindow): Promise<{ rows: NodeRow[]; total: number }> {
  let base = reg.db.selectFrom('nodes').where('status', '=', 'NodeStatusActive');
  if (filter.nodeIds && filter.nodeIds.length > 0)
    base = base.where(
      'key',
      'in',
      filter.nodeIds.map((i) => i.toLowerCase()),
    );
  if (filter.publisherId) base = base.where('publisher_id', '=', filter.publisherId);
  return pageOfNodes(base, paging);
}

export async function versionsByIds(db: Db, ids: (string | null)[]): Promise<Map<string, NodeVersionRow>> {
  const wanted = [...new Set(ids.filter((i): i is string => !!i))];
  if (wanted.length === 0) return new Map();
  const rows = await db.selectFrom('node_versions').selectAll().where('id', 'in', wanted).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** Exact match first, then the semver-normalised form (`v1.0` finds `1.0.0`). */
export async function findVersion(db: Db, nodeId: string, version: string): Promise<NodeVersionRow | undefined> {
  const exact = await db
    .selectFrom('node_versions')
    .selectAll()
    .where('node_id', '=', nodeId)
    .where('version', '=', version)
    .executeTakeFirst();
  if (exact) return exact;
  const normal = normalizeVersion(version);
  if (!normal || normal === version) return undefined;
  return db.selectFrom('node_versions').selectAll().where('node_id', '=', nodeId).where('version', '=', normal).executeTakeFirst();
}

export async function getVersion(reg: Registry, nodeId: string, version: string, p: Principal): Promise<NodeVersionRow> {
  const node = await getNode(reg, nodeId, { includeHidden: isAdmin(p) });
  const row = await findVersion(reg.db, node.id, version);
  if (!row || (!isAdmin(p) && !LIVE_VERSION_STATUSES.includes(row.status))) throw fail('VERSION_NOT_FOUND', version, nodeId);
  return row;
}

export async function listVersions(reg: Registry, nodeId: string, p: Principal): Promise<NodeVersionRow[]> {
  const node = await getNode(reg, nodeId, { includeHidden: isAdmin(p) });
  let q = reg.db.selectFrom('node_versions').selectAll().where('node_id', '=', node.id);
  if (!isAdmin(p)) q = q.where('status', 'in', LIVE_VERSION_STATUSES);
  const rows = await q.execute();
  return rows.sort((a, b) => compareVersions(b.version, a.version));
}

/**
 * Re-derives the two denormalised version pointers of a node; call inside the writing transaction.
 * `fresh`: the comfy nodes a caller just stored, so the type index need not read them back.
 */
export async function refreshLatest(db: Db, nodeId: string, fresh?: FreshVersion): Promise<void> {
  // Take the node's row lock first (a no-op update works on both databases): two transactions
  // changing versions of one pack then re-derive the pointers one after the other, each seeing the
  // other's committed versions, instead of the later commit writing a pointer read before it.
  await db
    .updateTable('nodes')
    .set((eb) => ({ latest_version_id: eb.ref('latest_version_id') }))
    .where('id', '=', nodeId)
    .execute();
  const rows = await db
    .selectFrom('node_versions')
    .select(['id', 'version', 'status', 'comfy_node_extract_status'])
    .where('node_id', '=', nodeId)
    .where('status', 'in', LIVE_VERSION_STATUSES)
    .execute();
  const latest = highestVersion(rows);
  const extracted = highestVersion(rows.filter((r) => r.comfy_node_extract_status === 'success'));
  const before = await db.selectFrom('nodes').select('latest_extracted_version_id').where('id', '=', nodeId).executeTakeFirst();
  await db
    .updateTable('nodes')
    .set({ latest_version_id: latest?.id ?? null, latest_extracted_version_id: extracted?.id ?? null })
    .where('id', '=', nodeId)
    .execute();
  // The type index holds the newest extracted version's comfy nodes: sync only when it moved.
  if ((before?.latest_extracted_version_id ?? null) !== (extracted?.id ?? null)) await syncTypeIndex(db, nodeId, fresh);
}

/** A node with what its API shape shows: its publisher and latest version. */
export interface NodeDetails {
  node: NodeRow;
  publisher?: PublisherRow;
  latest?: NodeVersionRow;
}

/** Publishers and latest versions of `rows`, in two queries however many nodes. */
export async function nodeDetails(reg: Registry, rows: NodeRow[]): Promise<NodeDetails[]> {
  const pubIds = [...new Set(rows.map((r) => r.publisher_id))];
  const pubs = pubIds.length ? await reg.db.selectFrom('publishers').selectAll().where('id', 'in', pubIds).execute() : [];
  const byId = new Map(pubs.map((x) => [x.id, x]));
  const latest = await versionsByIds(
    reg.db,
    rows.map((r) => r.latest_version_id),
  );
  return rows.map((node) => ({
    node,
    publisher: byId.get(node.publisher_id),
    latest: node.latest_version_id ? latest.get(node.latest_version_id) : undefined,
  }));
}
