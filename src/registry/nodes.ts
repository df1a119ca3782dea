import type { Kysely, Transaction } from 'kysely';
import type { Database, NodeRow, NodeVersionRow } from '../db/schema.js';
import { badRequest, forbidden, isUniqueViolation, notFound } from './errors.js';
import { isAdmin, requirePublisherOwner, requireRole, type Principal } from './principals.js';
import { assertPublisherActive, getPublisher } from './publishers.js';
import type { Registry } from './registry.js';
import { now } from './registry.js';
import { compareVersions, highestVersion, normalizeVersion } from './semver.js';

export const NODE_ACTIVE = 'NodeStatusActive';
export const NODE_DELETED = 'NodeStatusDeleted';
export const NODE_BANNED = 'NodeStatusBanned';
export const VERSION_ACTIVE = 'NodeVersionStatusActive';
export const VERSION_DELETED = 'NodeVersionStatusDeleted';
export const VERSION_BANNED = 'NodeVersionStatusBanned';
export const VERSION_PENDING = 'NodeVersionStatusPending';
export const VERSION_FLAGGED = 'NodeVersionStatusFlagged';
export const VERSION_STATUSES = [VERSION_ACTIVE, VERSION_DELETED, VERSION_BANNED, VERSION_PENDING, VERSION_FLAGGED];
/** Versions that count for `latest_version`. */
export const LIVE_VERSION_STATUSES = [VERSION_ACTIVE, VERSION_FLAGGED, VERSION_PENDING];

export const NODE_ID = /^[a-zA-Z0-9](?:[a-zA-Z0-9._-]*[a-zA-Z0-9])?$/;

type Db = Kysely<Database> | Transaction<Database>;

export interface NodeFields {
  name?: string;
  description?: string;
  author?: string;
  license?: string | Record<string, unknown>;
  icon?: string;
  banner_url?: string;
  repository?: string;
  tags?: string[];
  supported_os?: string[];
  supported_accelerators?: string[];
  supported_comfyui_version?: string;
  supported_comfyui_frontend_version?: string;
  preempted_comfy_node_names?: string[];
  search_ranking?: number;
}

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
const ADMIN_FIELDS = ['preempted_comfy_node_names', 'search_ranking'] as const;

export function assertNodeId(id: string): void {
  if (id.length > 100 || !NODE_ID.test(id)) {
    throw badRequest(
      'node id must be 1-100 letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
      'INVALID_NODE_ID',
    );
  }
}

/** Turns API fields into column values; an empty string means unset and is never validated. */
export function nodeColumns(input: NodeFields, p: Principal): Partial<NodeRow> {
  const out: Partial<NodeRow> = {};
  for (const k of URL_FIELDS) {
    const v = input[k];
    if (v && !/^https?:\/\/\S+$/i.test(v)) throw badRequest(`${k} must be an http(s) URL`, 'INVALID_URL');
  }
  for (const k of TEXT_FIELDS) if (input[k] !== undefined) out[k] = input[k]!;
  for (const k of LIST_FIELDS) if (input[k] !== undefined) out[k] = JSON.stringify(input[k]);
  if (input.license !== undefined) out.license = typeof input.license === 'string' ? input.license : JSON.stringify(input.license);
  if (input.search_ranking !== undefined) out.search_ranking = input.search_ranking;
  if (!isAdmin(p)) {
    const tried = ADMIN_FIELDS.filter((k) => input[k] !== undefined);
    if (tried.length > 0) throw forbidden(`only an admin may set ${tried.join(', ')}`, 'ADMIN_FIELD');
  }
  return out;
}

export async function findNode(db: Db, id: string): Promise<NodeRow | undefined> {
  return db.selectFrom('nodes').selectAll().where('key', '=', id.toLowerCase()).executeTakeFirst();
}

export async function getNode(reg: Registry, id: string, opts: { includeHidden?: boolean } = {}): Promise<NodeRow> {
  const node = await findNode(reg.db, id);
  if (!node || (!opts.includeHidden && node.status !== NODE_ACTIVE)) throw notFound(`node ${id} not found`, 'NODE_NOT_FOUND');
  return node;
}

export function newNodeRow(id: string, publisherId: string, columns: Partial<NodeRow>): NodeRow {
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
    status: NODE_ACTIVE,
    status_detail: '',
    preempted_comfy_node_names: '[]',
    search_ranking: null,
    supported_os: '[]',
    supported_accelerators: '[]',
    supported_comfyui_version: '',
    supported_comfyui_frontend_version: '',
    latest_version_id: null,
    latest_extracted_version_id: null,
    created_at: now(),
    ...columns,
  };
}

export async function createNode(reg: Registry, p: Principal, publisherId: string, input: NodeFields & { id: string }): Promise<NodeRow> {
  const publisher = await getPublisher(reg, publisherId);
  await requirePublisherOwner(reg, p, publisherId);
  assertPublisherActive(publisher);
  assertNodeId(input.id);
  const row = newNodeRow(input.id, publisherId, nodeColumns(input, p));
  try {
    await reg.db.insertInto('nodes').values(row).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw badRequest(`node id ${input.id} is already taken`, 'NODE_EXISTS');
    throw err;
  }
  return row;
}

/** The node of `publisherId`, for owner operations: 404 when missing, 403 when another's. */
export async function ownedNode(reg: Registry, p: Principal, publisherId: string, nodeId: string): Promise<NodeRow> {
  await getPublisher(reg, publisherId);
  await requirePublisherOwner(reg, p, publisherId);
  const node = await findNode(reg.db, nodeId);
  if (!node || (node.status === NODE_DELETED && !isAdmin(p))) throw notFound(`node ${nodeId} not found`, 'NODE_NOT_FOUND');
  if (node.publisher_id !== publisherId) throw forbidden(`node ${nodeId} belongs to another publisher`, 'NODE_OF_OTHER_PUBLISHER');
  return node;
}

export async function updateNode(reg: Registry, p: Principal, publisherId: string, nodeId: string, input: NodeFields): Promise<NodeRow> {
  const node = await ownedNode(reg, p, publisherId, nodeId);
  const columns = nodeColumns(input, p);
  if (Object.keys(columns).length > 0) await reg.db.updateTable('nodes').set(columns).where('id', '=', node.id).execute();
  return (await findNode(reg.db, node.id))!;
}

export async function deleteNode(reg: Registry, p: Principal, publisherId: string, nodeId: string): Promise<void> {
  const node = await ownedNode(reg, p, publisherId, nodeId);
  await reg.db.updateTable('nodes').set({ status: NODE_DELETED }).where('id', '=', node.id).execute();
}

export async function banNode(reg: Registry, p: Principal, publisherId: string, nodeId: string): Promise<void> {
  requireRole(p);
  const node = await ownedNode(reg, p, publisherId, nodeId);
  await reg.db.updateTable('nodes').set({ status: NODE_BANNED }).where('id', '=', node.id).execute();
}

export interface NodeListQuery {
  page: number;
  limit: number;
  nodeIds?: string[];
  publisherId?: string;
}

export async function listNodes(reg: Registry, q: NodeListQuery): Promise<{ rows: NodeRow[]; total: number }> {
  let base = reg.db.selectFrom('nodes').where('status', '=', NODE_ACTIVE);
  if (q.nodeIds && q.nodeIds.length > 0)
    base = base.where(
      'key',
      'in',
      q.nodeIds.map((i) => i.toLowerCase()),
    );
  if (q.publisherId) base = base.where('publisher_id', '=', q.publisherId);
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const rows = await base
    .selectAll()
    .orderBy('downloads', 'desc')
    .orderBy('id')
    .limit(q.limit)
    .offset((q.page - 1) * q.limit)
    .execute();
  return { rows, total: Number(total) };
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
  if (!row || (!isAdmin(p) && !LIVE_VERSION_STATUSES.includes(row.status))) {
    throw notFound(`version ${version} of node ${nodeId} not found`, 'VERSION_NOT_FOUND');
  }
  return row;
}

export async function listVersions(reg: Registry, nodeId: string, p: Principal): Promise<NodeVersionRow[]> {
  const node = await getNode(reg, nodeId, { includeHidden: isAdmin(p) });
  let q = reg.db.selectFrom('node_versions').selectAll().where('node_id', '=', node.id);
  if (!isAdmin(p)) q = q.where('status', 'in', LIVE_VERSION_STATUSES);
  const rows = await q.execute();
  return rows.sort((a, b) => compareVersions(b.version, a.version));
}

/** Re-derives the two denormalised version pointers of a node; call inside the writing transaction. */
export async function refreshLatest(db: Db, nodeId: string): Promise<void> {
  // Take the node's row lock first (a no-op update works on both databases): two transactions
  // changing versions of one pack then re-derive the pointers one after the other, each seeing the
  // other's committed versions, instead of the later commit writing a pointer read before it.
  await db.updateTable('nodes').set((eb) => ({ latest_version_id: eb.ref('latest_version_id') })).where('id', '=', nodeId).execute();
  const rows = await db
    .selectFrom('node_versions')
    .select(['id', 'version', 'status', 'comfy_node_extract_status'])
    .where('node_id', '=', nodeId)
    .where('status', 'in', LIVE_VERSION_STATUSES)
    .execute();
  const latest = highestVersion(rows);
  const extracted = highestVersion(rows.filter((r) => r.comfy_node_extract_status === 'success'));
  await db
    .updateTable('nodes')
    .set({ latest_version_id: latest?.id ?? null, latest_extracted_version_id: extracted?.id ?? null })
    .where('id', '=', nodeId)
    .execute();
}
