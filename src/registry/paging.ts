import type { SelectQueryBuilder } from 'kysely';
import type { Database, NodeRow } from '../db/schema.js';

/** Beyond this page number the offset no longer fits a 64-bit integer for every page size. */
const MAX_PAGE_NUMBER = 1_000_000_000;

export interface PageWindow {
  page: number;
  limit: number;
  offset: number;
}

/** Paging never fails on a number: below 1 → the default (limit) or 1 (page), above max → max. */
export function pageWindow(page: number | undefined, limit: number | undefined, fallback: number, max: number): PageWindow {
  const p = page === undefined || page < 1 ? 1 : Math.min(Math.floor(page), MAX_PAGE_NUMBER);
  const l = limit === undefined || limit < 1 ? fallback : Math.min(Math.floor(limit), max);
  return { page: p, limit: l, offset: (p - 1) * l };
}

export const pageCount = (total: number, limit: number): number => Math.ceil(total / limit);

/** One page of the packs `base` selects, most downloaded first (the API's order), and how many in all. */
export async function pageOfNodes(
  base: SelectQueryBuilder<Database, 'nodes', object>,
  paging: PageWindow,
): Promise<{ rows: NodeRow[]; total: number }> {
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const rows = await base
    .selectAll('nodes')
    .orderBy('nodes.downloads', 'desc')
    .orderBy('nodes.id')
    .limit(paging.limit)
    .offset(paging.offset)
    .execute();
  return { rows, total: Number(total) };
}
