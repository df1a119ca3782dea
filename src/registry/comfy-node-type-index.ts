import { sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Database } from '../db/schema.js';
import { LIVE_VERSION_STATUSES, NOT_EXTRACTED_STATUSES, fail } from '../contract/index.js';
import { WILDCARD, comfyNodeTypes, queryMembers, wildcardMatches } from '../contract/comfy-node-types.js';
import { isAdmin, type Principal } from './principals.js';
import type { Registry } from './registry.js';
import { normalizeVersion } from './semver.js';
import type { PageWindow } from './paging.js';
import { rangeSearch, type Condition, type Key } from './comfy-node-type-ranges.js';
import { containsPattern, type ComfyNodeWithVersion } from './comfy-node-reads.js';

/** Type conditions one search may carry, per direction. */
export const MAX_TYPE_FILTERS = 8;

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
  if (s.nodeVersion !== undefined) return searchNamedVersions(reg, conds, s, admin, paging);
  let nodeIds: string[] | undefined;
  if (s.nodeId) {
    const node = await reg.db.selectFrom('nodes').select('id').where('key', '=', s.nodeId.toLowerCase()).executeTakeFirst();
    if (!node) return { rows: [], total: 0 };
    nodeIds = [node.id];
  }
  if (conds.length > 0) {
    const scope = {
      listed: admin ? [1, 2] : [1],
      nodeIds,
      name: s.comfyNodeName,
      rowFilter: s.q !== undefined ? textFilter(s, true) : undefined,
    };
    const { total, keys } = await rangeSearch(reg, conds, scope, paging);
    return { rows: await pageRows(reg, await newestVersionKeys(reg, keys), s.inputTypes), total };
  }
  // q alone: the rows of the newest versions, read from comfy_nodes.
  let rows = reg.db
    .selectFrom('comfy_nodes')
    .innerJoin('nodes', 'nodes.latest_extracted_version_id', 'comfy_nodes.node_version_id')
    .where(textFilter(s, admin));
  if (nodeIds) rows = rows.where('nodes.id', 'in', nodeIds);
  if (!admin) rows = rows.where('nodes.status', '=', 'NodeStatusActive');
  if (s.comfyNodeName !== undefined) rows = rows.where('comfy_nodes.comfy_node_name', '=', s.comfyNodeName);
  return countedPage(reg, rows, 'nodes.id', paging);
}

/** The number of comfy nodes `rows` selects, and the page asked of them by name, then `tiebreak`. */
async function countedPage(
  reg: Registry,
  rows: SelectQueryBuilder<Database, 'comfy_nodes' | 'nodes', object>,
  tiebreak: 'nodes.id' | 'comfy_nodes.node_version_id',
  paging: PageWindow,
): Promise<{ rows: TypeMatch[]; total: number }> {
  const { total } = await rows.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const keys = await rows
    .select(['comfy_nodes.node_version_id', 'comfy_nodes.comfy_node_name'])
    .orderBy('comfy_nodes.comfy_node_name')
    .orderBy(tiebreak)
    .limit(paging.limit)
    .offset(paging.offset)
    .execute();
  return { rows: await pageRows(reg, keys, []), total: Number(total) };
}

/** The filter on comfy_nodes rows: `q`, and the ban (which the index's marks already say). */
const textFilter = (s: TypeSearch, admin: boolean) => (eb: any) => {
  const filters: Expression<SqlBool>[] = [];
  if (s.q !== undefined) filters.push(likeAny(containsPattern(s.q))(eb));
  if (!admin) filters.push(eb('comfy_nodes.policy', '!=', 'ComfyNodePolicyBanned'));
  return eb.and(filters);
};

const SCAN_PAGE = 1000;

/**
 * A search in the versions `nodeVersion` names: the index holds newest versions only, so these
 * versions' comfy nodes are read in name order, a page at a time, and their types checked here.
 */
async function searchNamedVersions(
  reg: Registry,
  conds: Condition[],
  s: TypeSearch,
  admin: boolean,
  paging: PageWindow,
): Promise<{ rows: TypeMatch[]; total: number }> {
  const forms = [...new Set([s.nodeVersion!, normalizeVersion(s.nodeVersion!) ?? s.nodeVersion!])];
  let named = reg.db
    .selectFrom('node_versions')
    .innerJoin('nodes', 'nodes.id', 'node_versions.node_id')
    .select('node_versions.id')
    .where('node_versions.version', 'in', forms)
    .where('node_versions.comfy_node_extract_status', 'not in', NOT_EXTRACTED_STATUSES);
  if (!admin) named = named.where('nodes.status', '=', 'NodeStatusActive').where('node_versions.status', 'in', LIVE_VERSION_STATUSES);
  if (s.nodeId) named = named.where('nodes.key', '=', s.nodeId.toLowerCase());
  const versionIds = (await named.execute()).map((r) => r.id);
  if (versionIds.length === 0) return { rows: [], total: 0 };
  let rows = reg.db.selectFrom('comfy_nodes').where('comfy_nodes.node_version_id', 'in', versionIds).where(textFilter(s, admin));
  if (s.comfyNodeName !== undefined) rows = rows.where('comfy_nodes.comfy_node_name', '=', s.comfyNodeName);
  if (conds.length === 0) return countedPage(reg, rows, 'comfy_nodes.node_version_id', paging);
  const meets = (inputs: string[], outputs: string[]) =>
    conds.every((c) => (c.direction === 'input' ? inputs : outputs).some((t) => c.members.includes(t)));
  let total = 0;
  const page: VersionKey[] = [];
  let after: VersionKey | undefined;
  for (;;) {
    let q = rows
      .select(['comfy_nodes.node_version_id', 'comfy_nodes.comfy_node_name', 'comfy_nodes.input_types', 'comfy_nodes.return_types'])
      .orderBy('comfy_nodes.comfy_node_name')
      .orderBy('comfy_nodes.node_version_id')
      .limit(SCAN_PAGE);
    if (after) {
      const { node_version_id: v, comfy_node_name: n } = after;
      q = q.where((eb) =>
        eb.or([
          eb('comfy_nodes.comfy_node_name', '>', n),
          eb.and([eb('comfy_nodes.comfy_node_name', '=', n), eb('comfy_nodes.node_version_id', '>', v)]),
        ]),
      );
    }
    const scanned = await q.execute();
    for (const r of scanned) {
      const { inputs, outputs } = comfyNodeTypes(r.input_types, r.return_types);
      if (!meets(inputs, outputs)) continue;
      if (total >= paging.offset && page.length < paging.limit) page.push(r);
      total++;
    }
    if (scanned.length < SCAN_PAGE) break;
    after = scanned[scanned.length - 1]!;
  }
  return { rows: await pageRows(reg, page, s.inputTypes), total };
}

interface VersionKey {
  node_version_id: string;
  comfy_node_name: string;
}

/** The index's keys (pack, name) as (newest extracted version, name). */
async function newestVersionKeys(reg: Registry, keys: Key[]): Promise<VersionKey[]> {
  if (keys.length === 0) return [];
  const nodes = await reg.db
    .selectFrom('nodes')
    .select(['id', 'latest_extracted_version_id'])
    .where('id', 'in', [...new Set(keys.map((k) => k.node_id))])
    .execute();
  const newest = new Map(nodes.map((n) => [n.id, n.latest_extracted_version_id]));
  return keys.flatMap((k) => {
    const v = newest.get(k.node_id);
    return v ? [{ node_version_id: v, comfy_node_name: k.comfy_node_name }] : [];
  });
}

/** The full rows of a page of keys, with their pack and version, in the page's order. */
async function pageRows(reg: Registry, page: VersionKey[], asked: string[]): Promise<TypeMatch[]> {
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
