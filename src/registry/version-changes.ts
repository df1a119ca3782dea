import { LIVE_VERSION_STATUSES, NOT_EXTRACTED_STATUSES, fail } from '../contract/index.js';
import type { ComfyNodeChanges } from '../contract/comfy-node-changes.js';
import type { ComfyNodeRow, NodeVersionRow } from '../db/schema.js';
import { compareComfyNodes, type ComparedComfyNode } from './comfy-node-changes.js';
import { isExtracted } from './comfy-node-reads.js';
import { getVersion } from './nodes.js';
import { isAdmin, type Principal } from './principals.js';
import type { Registry } from './registry.js';
import { compareVersions, highestVersion } from './semver.js';

export const comparedComfyNode = (row: ComfyNodeRow): ComparedComfyNode => ({
  input_types: row.input_types,
  return_types: row.return_types,
  return_names: row.return_names,
  output_is_list: JSON.parse(row.output_is_list) as boolean[],
  deprecated: row.deprecated === 1,
  experimental: row.experimental === 1,
  display_name: row.display_name,
  category: row.category,
  output_node: row.output_node === 1,
});

/** A version's comfy nodes as the caller may read them (the public never sees banned ones). */
async function comfyNodesOf(reg: Registry, p: Principal, v: NodeVersionRow): Promise<Map<string, ComparedComfyNode>> {
  let q = reg.db.selectFrom('comfy_nodes').selectAll().where('node_version_id', '=', v.id);
  if (!isAdmin(p)) q = q.where('policy', '!=', 'ComfyNodePolicyBanned');
  const rows = await q.execute();
  return new Map(rows.map((r) => [r.comfy_node_name, comparedComfyNode(r)]));
}

/** The highest extracted version below `v` that the caller may read, if any. */
async function previousVersion(reg: Registry, p: Principal, v: NodeVersionRow): Promise<NodeVersionRow | undefined> {
  let q = reg.db
    .selectFrom('node_versions')
    .selectAll()
    .where('node_id', '=', v.node_id)
    .where('comfy_node_extract_status', 'not in', NOT_EXTRACTED_STATUSES);
  if (!isAdmin(p)) q = q.where('status', 'in', LIVE_VERSION_STATUSES);
  const rows = await q.execute();
  return highestVersion(rows.filter((r) => compareVersions(r.version, v.version) < 0));
}

/**
 * What changed in a pack's comfy nodes from `since` (default: the previous extracted version in
 * semver order) to `version`, and whether it breaks saved workflows.
 */
export async function versionComfyNodeChanges(
  reg: Registry,
  p: Principal,
  nodeId: string,
  version: string,
  since?: string,
): Promise<ComfyNodeChanges> {
  const to = await getVersion(reg, nodeId, version, p);
  if (!isExtracted(to)) throw fail('COMFY_NODES_NOT_EXTRACTED', to.version, nodeId);
  const from = since === undefined ? await previousVersion(reg, p, to) : await getVersion(reg, nodeId, since, p);
  if (from && !isExtracted(from)) throw fail('COMFY_NODES_NOT_EXTRACTED', from.version, nodeId);
  const before = from ? await comfyNodesOf(reg, p, from) : new Map<string, ComparedComfyNode>();
  return compareComfyNodes(from?.version ?? null, to.version, before, await comfyNodesOf(reg, p, to));
}
