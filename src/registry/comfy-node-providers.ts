import type { ComfyNodeRow, NodeRow } from '../db/schema.js';
import { isAdmin, type Principal } from './principals.js';
import type { Registry } from './registry.js';
import { compareProviders, resolveComfyNodeName } from './resolve.js';

/** One pack whose newest extracted version provides a comfy-node name, as the resolver weighs it. */
export interface ComfyNodeProvider {
  node: NodeRow;
  version: string;
  comfyNode: ComfyNodeRow;
  /** The resolver answers this pack for the name. */
  picked: boolean;
}

/**
 * Every Active pack providing `name`, in the resolver's order, the one it answers marked. Banned
 * comfy nodes never resolve: admins see them last (to lift the ban), the public not at all.
 */
export async function comfyNodeProviders(reg: Registry, p: Principal, name: string): Promise<ComfyNodeProvider[]> {
  let q = reg.db
    .selectFrom('comfy_nodes')
    .innerJoin('nodes', 'nodes.latest_extracted_version_id', 'comfy_nodes.node_version_id')
    .innerJoin('node_versions', 'node_versions.id', 'comfy_nodes.node_version_id')
    .where('comfy_nodes.comfy_node_name', '=', name)
    .where('nodes.status', '=', 'NodeStatusActive');
  if (!isAdmin(p)) q = q.where('comfy_nodes.policy', '!=', 'ComfyNodePolicyBanned');
  const rows = await q.selectAll('comfy_nodes').select(['nodes.id as pack_id', 'node_versions.version as pack_version']).execute();
  const packIds = rows.map((r) => r.pack_id);
  const nodes = packIds.length ? await reg.db.selectFrom('nodes').selectAll().where('id', 'in', packIds).execute() : [];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const picked = await resolveComfyNodeName(reg, name);
  const out = rows.map(({ pack_id, pack_version, ...comfyNode }) => ({
    node: byId.get(pack_id)!,
    version: pack_version,
    comfyNode,
    picked: picked?.node.id === pack_id,
  }));
  const banned = (x: ComfyNodeProvider) => (x.comfyNode.policy === 'ComfyNodePolicyBanned' ? 1 : 0);
  return out.sort((a, b) => banned(a) - banned(b) || compareProviders(name, a.node, b.node));
}
