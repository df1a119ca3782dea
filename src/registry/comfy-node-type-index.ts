import { sql, type Expression, type SqlBool, type Transaction } from 'kysely';
import { LIVE_VERSION_STATUSES, fail } from '../contract/index.js';
import { WILDCARD, comfyNodeTypes, queryMembers, wildcardMatches } from '../contract/comfy-node-types.js';
import { comfyNodeTypeRows, insertComfyNodeTypes, markListed } from '../db/comfy-node-types.js';
import type { Database } from '../db/schema.js';
import { isAdmin, type Principal } from './principals.js';
import type { Registry } from './registry.js';
import { normalizeVersion } from './semver.js';
import type { PageWindow } from './paging.js';
import { rangeSearch, type Condition, type Key } from './comfy-node-type-ranges.js';
import { containsPattern, type ComfyNodeWithVersion } from './comfy-node-reads.js';

/** Extract statuses whose rows are never served (as in comfy-node-reads). */
const NOT_EXTRACTED = ['pending', 'failed'];
/** Type conditions one search may carry, per direction. */
export const MAX_TYPE_FILTERS = 8;

/** Re-indexes one comfy node after UpdateComfyNode changed its types or its policy. */
export async function reindexComfyNode(trx: Transaction<Database>, nodeId: string, versionId: string, name: string): Promise<void> {
  await trx.deleteFrom('comfy_node_types').where('node_version_id', '=', versionId).where('comfy_node_name', '=', name).execute();
  const row = await trx
    .selectFrom('comfy_nodes')
    .select(['node_version_id', 'comfy_node_name', 'input_types', 'return_types'])
    .where('node_version_id', '=', versionId)
    .where('comfy_node_name', '=', name)
    .executeTakeFirst();
  if (row) await insertComfyNodeTypes(trx, comfyNodeTypeRows(nodeId, row));
  await markListed(trx, nodeId);
}

export interface TypeSearch {
  nodeId?: string;
  nodeVersion?: string;
  comfyNodeName?: string;
  /** each must be matched by one input (a `*` input matches any) */
  inputTypes: string[];
  /** each must be matched by one output */
  outputTypes: string[];
  /** substring of name, display name or category, case-insensitive */
  q?: string;
}

export type TypeMatch = ComfyNodeWithVersion & { wildcard_input_types?: string[] };

function conditions(s: TypeSearch): Condition[] {
  const out: Condition[] = [];
  for (const [direction, values] of [
    ['input', s.inputTypes],
    ['output', s.outputTypes],
  ] as const) {
    for (const value of values) {
      const members = queryMembers(value);
      if (members.length === 0) throw fail('BAD_REQUEST', `${direction}_type "${value}" names no type`);
      if (direction === 'input' && !members.includes(WILDCARD)) members.push(WILDCARD);
      out.push({ direction, members });
    }
  }
  return out;
}

const likeAny = (pattern: string) => (eb: any) =>
  eb.or(
    (['comfy_nodes.comfy_node_name', 'comfy_nodes.display_name', 'comfy_nodes.category'] as const).map((col) =>
      eb(sql`lower(${eb.ref(col)})`, 'like', sql`${pattern} escape '\\'`),
    ),
  );

/**
 * Type search (ListAllComfyNodes with `input_type`, `output_type` or `q`): the comfy nodes of each
 * pack's newest extracted version (of the versions `nodeVersion` names, when given) that have an
 * input of each asked input type and an output of each asked output type, by name.
 */
export async function searchComfyNodes(
  reg: Registry,
  p: Principal,
  s: TypeSearch,
  paging: PageWindow,
): Promise<{ rows: TypeMatch[]; total: number }> {
  const conds = conditions(s);
  const admin = isAdmin(p);
  const db = reg.db;

  // Which versions: the listed marks, or the versions nodeVersion names.
  let versionIds: string[] | undefined;
  if (s.nodeVersion !== undefined) {
    const forms = [...new Set([s.nodeVersion, normalizeVersion(s.nodeVersion) ?? s.nodeVersion])];
    let q = db
      .selectFrom('node_versions')
      .innerJoin('nodes', 'nodes.id', 'node_versions.node_id')
      .select('node_versions.id')
      .where('node_versions.version', 'in', forms)
      .where('node_versions.comfy_node_extract_status', 'not in', NOT_EXTRACTED);
    if (!admin) q = q.where('nodes.status', '=', 'NodeStatusActive').where('node_versions.status', 'in', LIVE_VERSION_STATUSES);
    if (s.nodeId) q = q.where('nodes.key', '=', s.nodeId.toLowerCase());
    versionIds = (await q.execute()).map((r) => r.id);
  } else if (s.nodeId) {
    const node = await db
      .selectFrom('nodes')
      .select('latest_extracted_version_id')
      .where('key', '=', s.nodeId.toLowerCase())
      .executeTakeFirst();
    versionIds = node?.latest_extracted_version_id ? [node.latest_extracted_version_id] : [];
  }
  if (versionIds?.length === 0) return { rows: [], total: 0 };
  const listed = s.nodeVersion === undefined ? (admin ? [1, 2] : [1]) : undefined;
  // Public reads in named versions check the ban on the row itself; listed marks already say it.
  const needsRow = s.q !== undefined || (listed === undefined && !admin);

  const rowFilter = (eb: any) => {
    const filters: Expression<SqlBool>[] = [];
    if (s.q !== undefined) filters.push(likeAny(containsPattern(s.q))(eb));
    if (!admin) filters.push(eb('comfy_nodes.policy', '!=', 'ComfyNodePolicyBanned'));
    return eb.and(filters);
  };
  if (conds.length > 0) {
    const scope = { listed, versionIds, name: s.comfyNodeName, rowFilter: needsRow ? rowFilter : undefined };
    const { total, keys } = await rangeSearch(reg, conds, scope, paging);
    return { rows: await pageRows(reg, keys, s.inputTypes), total };
  }
  // q alone: the rows of the chosen versions, read from comfy_nodes.
  let rows = db
    .selectFrom('comfy_nodes')
    .innerJoin('node_versions', 'node_versions.id', 'comfy_nodes.node_version_id')
    .innerJoin('nodes', 'nodes.id', 'node_versions.node_id')
    .where(rowFilter);
  if (versionIds) rows = rows.where('comfy_nodes.node_version_id', 'in', versionIds);
  else {
    rows = rows.whereRef('nodes.latest_extracted_version_id', '=', 'comfy_nodes.node_version_id');
    if (!admin) rows = rows.where('nodes.status', '=', 'NodeStatusActive');
  }
  if (s.comfyNodeName !== undefined) rows = rows.where('comfy_nodes.comfy_node_name', '=', s.comfyNodeName);
  const { total } = await rows.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const keys = await rows
    .select(['comfy_nodes.node_version_id', 'comfy_nodes.comfy_node_name'])
    .orderBy('comfy_nodes.comfy_node_name')
    .orderBy('comfy_nodes.node_version_id')
    .limit(paging.limit)
    .offset(paging.offset)
    .execute();
  return { rows: await pageRows(reg, keys, []), total: Number(total) };
}

/** The full rows of a page of keys, with their pack and version, in the page's order. */
async function pageRows(reg: Registry, page: Key[], asked: string[]): Promise<TypeMatch[]> {
  if (page.length === 0) return [];
  const rows = await reg.db
    .selectFrom('comfy_nodes')
    .innerJoin('node_versions', 'node_versions.id', 'comfy_nodes.node_version_id')
    .innerJoin('nodes', 'nodes.id', 'node_versions.node_id')
    .selectAll('comfy_nodes')
    .select(['nodes.id as node_id', 'node_versions.version as version'])
    .where((eb) =>
      eb.or(
        page.map((k) =>
          eb.and([eb('comfy_nodes.node_version_id', '=', k.node_version_id), eb('comfy_nodes.comfy_node_name', '=', k.comfy_node_name)]),
        ),
      ),
    )
    .execute();
  const byKey = new Map(rows.map((r) => [`${r.node_version_id}\u0000${r.comfy_node_name}`, r]));
  return page.flatMap((k) => {
    const row = byKey.get(`${k.node_version_id}\u0000${k.comfy_node_name}`);
    if (!row) return [];
    if (asked.length === 0) return [row];
    const wild = wildcardMatches(comfyNodeTypes(row.input_types, '[]').inputs, asked);
    return [wild.length > 0 ? { ...row, wildcard_input_types: wild } : row];
  });
}
