import { sql } from 'kysely';
import type { NodeRow } from '../db/schema.js';
import { containsPattern } from './comfy-node-reads.js';
import { pageOfNodes, type PageWindow } from './paging.js';
import { isAdmin, type Principal } from './principals.js';
import type { Registry } from './registry.js';

/**
 * The web UI's search: Active packs whose id, name or description contain `text`, or whose newest
 * extracted version has a comfy node whose name contains it (a ban hides the name from the public).
 * Sorted as the API's searchNodes sorts: most downloaded first, then id.
 */
export async function searchPacks(
  reg: Registry,
  p: Principal,
  text: string,
  paging: PageWindow,
): Promise<{ rows: NodeRow[]; total: number }> {
  let base = reg.db.selectFrom('nodes').where('nodes.status', '=', 'NodeStatusActive');
  const trimmed = text.trim();
  if (trimmed) {
    const pattern = containsPattern(trimmed);
    const like = sql`${pattern} escape '\\'`;
    base = base.where((eb) => {
      let provides = eb
        .selectFrom('comfy_nodes')
        .select(sql.lit(1).as('one'))
        .whereRef('comfy_nodes.node_version_id', '=', 'nodes.latest_extracted_version_id')
        .where(sql`lower(comfy_nodes.comfy_node_name)`, 'like', like);
      if (!isAdmin(p)) provides = provides.where('comfy_nodes.policy', '!=', 'ComfyNodePolicyBanned');
      return eb.or([
        ...(['nodes.id', 'nodes.name', 'nodes.description'] as const).map((col) => eb(sql`lower(${eb.ref(col)})`, 'like', like)),
        eb.exists(provides),
      ]);
    });
  }
  return pageOfNodes(base, paging);
}

/** Comfy-node names the resolver can answer that contain `text`, with how many packs provide each. */
export async function searchComfyNodeNames(
  reg: Registry,
  p: Principal,
  text: string,
  paging: PageWindow,
): Promise<{ rows: { name: string; providers: number }[]; total: number }> {
  let base = reg.db
    .selectFrom('comfy_nodes')
    .innerJoin('nodes', 'nodes.latest_extracted_version_id', 'comfy_nodes.node_version_id')
    .where('nodes.status', '=', 'NodeStatusActive');
  if (!isAdmin(p)) base = base.where('comfy_nodes.policy', '!=', 'ComfyNodePolicyBanned');
  if (text.trim()) base = base.where(sql`lower(comfy_nodes.comfy_node_name)`, 'like', sql`${containsPattern(text.trim())} escape '\\'`);
  const { total } = await base
    .select((eb) => eb.fn.count<number>('comfy_nodes.comfy_node_name').distinct().as('total'))
    .executeTakeFirstOrThrow();
  const rows = await base
    .select(['comfy_nodes.comfy_node_name as name', (eb) => eb.fn.countAll<number>().as('providers')])
    .groupBy('comfy_nodes.comfy_node_name')
    .orderBy('comfy_nodes.comfy_node_name')
    .limit(paging.limit)
    .offset(paging.offset)
    .execute();
  return { rows: rows.map((r) => ({ name: r.name, providers: Number(r.providers) })), total: Number(total) };
}
