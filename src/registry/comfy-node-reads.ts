import { sql } from 'kysely';
import { LIVE_VERSION_STATUSES, NOT_EXTRACTED_STATUSES, fail, type ComfyNodeUpdate } from '../contract/index.js';
import type { ComfyNodeRow, NodeRow, NodeVersionRow } from '../db/schema.js';
import { assertJsonTextFields } from './comfy-node-ingest.js';
import { syncTypeIndex } from '../db/comfy-node-types.js';
import { findVersion, getNode, getVersion } from './nodes.js';
import { isAdmin, type Principal } from './principals.js';
import type { Registry } from './registry.js';
import { normalizeVersion } from './semver.js';
import { announceCommitted, keys } from './changes.js';
import { pageOfNodes, type PageWindow } from './paging.js';

/** Case-insensitive substring pattern for `lower(column) LIKE ? ESCAPE '\'`, the same on both dialects. */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Whether a version's comfy nodes are served: its extraction is neither pending nor failed. */
export const isExtracted = (v: NodeVersionRow): boolean => !NOT_EXTRACTED_STATUSES.includes(v.comfy_node_extract_status);

/** ListComfyNodes: one version's comfy nodes by name; an unextracted version has none. */
export async function listVersionComfyNodes(
  reg: Registry,
  p: Principal,
  nodeId: string,
  version: string,
  paging: PageWindow,
): Promise<{ rows: ComfyNodeRow[]; total: number }> {
  const v = await getVersion(reg, nodeId, version, p);
  if (!isExtracted(v)) return { rows: [], total: 0 };
  let base = reg.db.selectFrom('comfy_nodes').where('node_version_id', '=', v.id);
  if (!isAdmin(p)) base = base.where('policy', '!=', 'ComfyNodePolicyBanned');
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const rows = await base.selectAll().orderBy('comfy_node_name').limit(paging.limit).offset(paging.offset).execute();
  return { rows, total: Number(total) };
}

/** GetComfyNode: 404 for an unknown or unextracted version, a missing name, or (for the public) a ban. */
export async function getComfyNode(reg: Registry, p: Principal, nodeId: string, version: string, name: string): Promise<ComfyNodeRow> {
  const v = await getVersion(reg, nodeId, version, p);
  const row = isExtracted(v)
    ? await reg.db
        .selectFrom('comfy_nodes')
        .selectAll()
        .where('node_version_id', '=', v.id)
        .where('comfy_node_name', '=', name)
        .executeTakeFirst()
    : undefined;
  if (!row || (row.policy === 'ComfyNodePolicyBanned' && !isAdmin(p)))
    throw fail('COMFY_NODE_NOT_FOUND', `${name} in version ${version} of node ${nodeId}`);
  return row;
}

/** Column values of an UpdateComfyNode body; absent fields stay as they are. */
function comfyNodeColumns(input: ComfyNodeUpdate): Partial<ComfyNodeRow> {
  const out: Partial<ComfyNodeRow> = {};
  for (const k of ['category', 'description', 'function', 'input_types', 'return_types', 'return_names', 'display_name'] as const) {
    if (input[k] !== undefined) out[k] = input[k];
  }
  if (input.policy !== undefined) out.policy = input.policy;
  for (const k of ['deprecated', 'experimental', 'output_node'] as const) if (input[k] !== undefined) out[k] = input[k] ? 1 : 0;
  if (input.output_is_list !== undefined) out.output_is_list = JSON.stringify(input.output_is_list);
  return out;
}

/** UpdateComfyNode (admin only, by the route gate): partial, `policy` included; the name never changes. */
export async function updateComfyNode(
  reg: Registry,
  nodeId: string,
  version: string,
  name: string,
  input: ComfyNodeUpdate,
): Promise<ComfyNodeRow> {
  assertJsonTextFields(name, input);
  const node = await getNode(reg, nodeId, { includeHidden: true });
  const v = await findVersion(reg.db, node.id, version);
  if (!v) throw fail('VERSION_NOT_FOUND', version, nodeId);
  const columns = comfyNodeColumns(input);
  if (Object.keys(columns).length > 0) {
    await reg.db.transaction().execute(async (trx) => {
      await trx.updateTable('comfy_nodes').set(columns).where('node_version_id', '=', v.id).where('comfy_node_name', '=', name).execute();
      const indexed = columns.input_types !== undefined || columns.return_types !== undefined || columns.policy !== undefined;
      // The type index holds the newest extracted version only.
      if (indexed && v.id === node.latest_extracted_version_id) await syncTypeIndex(trx, node.id);
    });
    await announceCommitted(reg, [keys.pack(node.id), keys.name(name)]);
  }
  const row = await reg.db
    .selectFrom('comfy_nodes')
    .selectAll()
    .where('node_version_id', '=', v.id)
    .where('comfy_node_name', '=', name)
    .executeTakeFirst();
  if (!row) throw fail('COMFY_NODE_NOT_FOUND', `${name} in version ${version} of node ${nodeId}`);
  return row;
}

export interface ComfyNodeFilter {
  nodeId?: string;
  nodeVersion?: string;
  comfyNodeName?: string;
}

export type ComfyNodeWithVersion = ComfyNodeRow & { node_id: string; version: string };

/** ListAllComfyNodes: every served comfy node, filtered exactly, in (name, version id) order. */
export async function listAllComfyNodes(
  reg: Registry,
  p: Principal,
  filter: ComfyNodeFilter,
  paging: PageWindow,
): Promise<{ rows: ComfyNodeWithVersion[]; total: number }> {
  let base = reg.db
    .selectFrom('comfy_nodes')
    .innerJoin('node_versions', 'node_versions.id', 'comfy_nodes.node_version_id')
    .innerJoin('nodes', 'nodes.id', 'node_versions.node_id')
    .where('node_versions.comfy_node_extract_status', 'not in', NOT_EXTRACTED_STATUSES);
  if (!isAdmin(p)) {
    base = base
      .where('comfy_nodes.policy', '!=', 'ComfyNodePolicyBanned')
      .where('nodes.status', '=', 'NodeStatusActive')
      .where('node_versions.status', 'in', LIVE_VERSION_STATUSES);
  }
  if (filter.nodeId) base = base.where('nodes.key', '=', filter.nodeId.toLowerCase());
  if (filter.nodeVersion) {
    const forms = [...new Set([filter.nodeVersion, normalizeVersion(filter.nodeVersion) ?? filter.nodeVersion])];
    base = base.where('node_versions.version', 'in', forms);
  }
  if (filter.comfyNodeName !== undefined) base = base.where('comfy_nodes.comfy_node_name', '=', filter.comfyNodeName);
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const rows = await base
    .selectAll('comfy_nodes')
    .select(['nodes.id as node_id', 'node_versions.version as version'])
    .orderBy('comfy_nodes.comfy_node_name')
    .orderBy('comfy_nodes.node_version_id')
    .limit(paging.limit)
    .offset(paging.offset)
    .execute();
  return { rows, total: Number(total) };
}

export interface NodeSearchQuery {
  comfyNodeSearch?: string;
  search?: string;
}

/**
 * searchNodes: Active packs whose newest extracted version has comfy node `comfyNodeSearch`
 * (exact name; a ban hides it from the public), whose id, name or description contain `search`.
 */
export async function searchNodes(
  reg: Registry,
  p: Principal,
  q: NodeSearchQuery,
  paging: PageWindow,
): Promise<{ rows: NodeRow[]; total: number }> {
  let base = reg.db.selectFrom('nodes').where('nodes.status', '=', 'NodeStatusActive');
  if (q.comfyNodeSearch !== undefined) {
    const name = q.comfyNodeSearch;
    base = base.where(({ exists, selectFrom }) => {
      let provides = selectFrom('comfy_nodes')
        .select(sql.lit(1).as('one'))
        .where('comfy_nodes.comfy_node_name', '=', name)
        .whereRef('comfy_nodes.node_version_id', '=', 'nodes.latest_extracted_version_id');
      if (!isAdmin(p)) provides = provides.where('comfy_nodes.policy', '!=', 'ComfyNodePolicyBanned');
      return exists(provides);
    });
  }
  if (q.search) {
    const pattern = containsPattern(q.search);
    base = base.where((eb) =>
      eb.or(
        (['nodes.id', 'nodes.name', 'nodes.description'] as const).map((col) =>
          eb(sql`lower(${eb.ref(col)})`, 'like', sql`${pattern} escape '\\'`),
        ),
      ),
    );
  }
  return pageOfNodes(base, paging);
}
