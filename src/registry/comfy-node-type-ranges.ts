import { sql, type Expression, type SqlBool } from 'kysely';
import type { Registry } from './registry.js';
import type { PageWindow } from './paging.js';

/*
 * How a type search reads the index. Every condition is a set of type members; one condition (or
 * one input and one output condition together, through the pairs table) is split into index
 * ranges of one member each, which hold their rows in name order, so a page is read from the front
 * of each range and merged, and the count is a walk of each range. A node in several ranges (an
 * IMAGE and a `*` input) is counted in the first only. The other conditions are checked by primary
 * key for each row.
 */

export interface Condition {
  direction: 'input' | 'output';
  members: string[];
}

export interface Scope {
  /** the listed marks searched: [1] for the public, [1, 2] for admins */
  listed: number[];
  /** the packs searched, when not all */
  nodeIds?: string[];
  name?: string;
  /** a filter on the comfy_nodes row (its text), which then is joined */
  rowFilter?: (eb: any) => Expression<SqlBool>;
}

/** A comfy node of a pack's newest extracted version. */
export interface Key {
  node_id: string;
  comfy_node_name: string;
}

type Table = 'comfy_node_types' | 'comfy_node_type_pairs';
interface Range {
  table: Table;
  fixed: [string, string][];
}

/** Enough to tell a rare type from a common one when choosing which condition walks the index. */
const ESTIMATE_CAP = 20_000;

const typeRange = (c: Condition, member: string): Range => ({
  table: 'comfy_node_types',
  fixed: [
    ['direction', c.direction],
    ['type', member],
  ],
});

/** Conditions from the rarest: a capped count of each; on a tie outputs first (inputs also match `*`), then fewer members. */
async function rarestFirst(reg: Registry, conds: Condition[], scope: Scope): Promise<Condition[]> {
  const inputs = conds.filter((c) => c.direction === 'input').length;
  // One input and one output condition: their pairs drive, whatever the sizes.
  if (conds.length <= 1 || (inputs === 1 && conds.length === 2)) return conds;
  const sizes = await Promise.all(
    conds.map(async (c) => {
      const probe = within(
        reg.db.selectFrom('comfy_node_types as r').select('r.type').where('r.direction', '=', c.direction).where('r.type', 'in', c.members),
        { table: 'comfy_node_types', fixed: [] },
        scope,
      ).limit(ESTIMATE_CAP);
      const row: { n: number | string } = await (reg.db as any)
        .selectFrom(probe.as('p'))
        .select((eb: any) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    }),
  );
  const ranked = conds.map((c, i) => ({ c, r: [sizes[i]!, c.direction === 'output' ? 0 : 1, c.members.length] }));
  ranked.sort((a, b) => a.r[0]! - b.r[0]! || a.r[1]! - b.r[1]! || a.r[2]! - b.r[2]!);
  return ranked.map((x) => x.c);
}

/** A range's fixed columns and the scope on alias `r`. */
function within(q: any, range: Range, scope: Scope, alias = 'r'): any {
  for (const [column, value] of range.fixed) q = q.where(`${alias}.${column}`, '=', value);
  q = q.where(`${alias}.listed`, 'in', scope.listed);
  if (scope.nodeIds) q = q.where(`${alias}.node_id`, 'in', scope.nodeIds);
  if (scope.name !== undefined) q = q.where(`${alias}.comfy_node_name`, '=', scope.name);
  return q;
}

/**
 * EXISTS a row of `range` for the node of `r`. The probe must walk the range's own index, by name
 * as `r` is walked, so that consecutive probes read neighbouring pages: SQLite would otherwise
 * pick the index that leads with node_id (just as selective, but a random read per probe, ~5×
 * slower on 1M rows), so there node_id is kept out of index choice with a unary plus.
 */
function inRange(reg: Registry, eb: any, range: Range, alias: string): Expression<SqlBool> {
  const nodeId = sql.ref(`${alias}.node_id`);
  let q = eb
    .selectFrom(`${range.table} as ${alias}`)
    .select(`${alias}.node_id`)
    .where(reg.dialect === 'sqlite' ? sql`+${nodeId}` : nodeId, '=', eb.ref('r.node_id'))
    .whereRef(`${alias}.comfy_node_name`, '=', 'r.comfy_node_name')
    // A node's rows share its mark; naming it lets a probe of the pairs key reach the node.
    .whereRef(`${alias}.listed`, '=', 'r.listed');
  for (const [column, value] of range.fixed) q = q.where(`${alias}.${column}`, '=', value);
  return eb.exists(q);
}

/** The ranges that drive the search, and the conditions left to check. */
function plan(ordered: Condition[], scope: Scope): { ranges: Range[]; rest: Condition[] } {
  const input = ordered.find((c) => c.direction === 'input');
  const output = ordered.find((c) => c.direction === 'output');
  if (input && output) {
    const ranges = input.members.flatMap((i) =>
      output.members.map((o): Range => ({
        table: 'comfy_node_type_pairs',
        fixed: [
          ['input_type', i],
          ['output_type', o],
        ],
      })),
    );
    return { ranges, rest: ordered.filter((c) => c !== input && c !== output) };
  }
  const [lead, ...rest] = ordered;
  return { ranges: lead!.members.map((m) => typeRange(lead!, m)), rest };
}

/** The keys of range `k` that meet everything, and are in no earlier range. */
function rangeQuery(reg: Registry, ranges: Range[], k: number, rest: Condition[], scope: Scope): any {
  const range = ranges[k]!;
  let q = within((reg.db as any).selectFrom(`${range.table} as r`), range, scope).select(['r.node_id', 'r.comfy_node_name']);
  for (let j = 0; j < k; j++) q = q.where((eb: any) => eb.not(inRange(reg, eb, ranges[j]!, `e${j}`)));
  rest.forEach((c, i) => {
    q = q.where((eb: any) => eb.or(c.members.map((m, n) => inRange(reg, eb, typeRange(c, m), `c${i}_${n}`))));
  });
  if (scope.rowFilter) {
    q = q
      .innerJoin('nodes as rn', 'rn.id', 'r.node_id')
      .innerJoin('comfy_nodes', (j: any) =>
        j
          .onRef('comfy_nodes.node_version_id', '=', 'rn.latest_extracted_version_id')
          .onRef('comfy_nodes.comfy_node_name', '=', 'r.comfy_node_name'),
      )
      .where(scope.rowFilter);
  }
  return q;
}

const byName = (a: Key, b: Key) =>
  a.comfy_node_name < b.comfy_node_name
    ? -1
    : a.comfy_node_name > b.comfy_node_name
      ? 1
      : a.node_id < b.node_id
        ? -1
        : a.node_id > b.node_id
          ? 1
          : 0;

/** The number of nodes that meet every condition, and the keys of the page asked, by name. */
export async function rangeSearch(
  reg: Registry,
  conds: Condition[],
  scope: Scope,
  paging: PageWindow,
): Promise<{ total: number; keys: Key[] }> {
  const { ranges, rest } = plan(await rarestFirst(reg, conds, scope), scope);
  let total = 0;
  const fronts: Key[] = [];
  for (let k = 0; k < ranges.length; k++) {
    const q = rangeQuery(reg, ranges, k, rest, scope);
    const counted = await reg.db
      .selectFrom(q.as('m'))
      .select((eb: any) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    const n = Number((counted as { n: number | string }).n);
    total += n;
    if (n === 0) continue;
    // The first offset + limit of each range hold the first offset + limit of their union.
    fronts.push(
      ...((await q
        .orderBy('r.comfy_node_name')
        .orderBy('r.node_id')
        .limit(paging.offset + paging.limit)
        .execute()) as Key[]),
    );
  }
  fronts.sort(byName);
  return { total, keys: fronts.slice(paging.offset, paging.offset + paging.limit) };
}
