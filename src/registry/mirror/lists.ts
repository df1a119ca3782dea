import { RegistryError, type Node } from '../../contract/index.js';
import { upstreamNodePage, type UpstreamNodePage } from '../../uplink/shapes.js';
import type { PageWindow } from '../paging.js';
import type { Registry } from '../registry.js';
import { cachedRead, type Freshness } from './cache.js';
import { servedNode } from './reads.js';

/*
 * `GET /nodes` and `/nodes/search` in mirror mode: one list, local packs first (in their own
 * order), then the uplink's (in its order). Page N of size L holds entries (N-1)·L … N·L-1 of that
 * list; `total` is the local count plus the uplink's total, so `totalPages` is ceil(total / L) and
 * every page up to it exists. An upstream pack whose id a local pack holds is left out of the page
 * it falls on (that page is then short by it): the local one is listed instead, among the local ones.
 */

export interface UpstreamListQuery {
  path: '/nodes' | '/nodes/search';
  /** Query parameters passed on (page and limit are the mirror's). */
  params: Record<string, string | undefined>;
}

const orderFree = (ids: string[]) => [...new Set(ids.map((i) => i.toLowerCase()))];

async function upstreamPage(reg: Registry, q: UpstreamListQuery, page: number, limit: number) {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(q.params)) if (v !== undefined && v !== '') search.set(k, v);
  search.set('page', String(page));
  search.set('limit', String(limit));
  const path = `${q.path}?${search}`;
  return cachedRead<UpstreamNodePage>(reg, `list:${path}`, path, upstreamNodePage);
}

const WORST: Freshness[] = ['stale', 'offline', 'revalidated', 'fresh'];
const worst = (a: Freshness, b: Freshness): Freshness => (WORST.indexOf(a) < WORST.indexOf(b) ? a : b);

export interface UpstreamListing {
  /** The uplink's entries on this page, after the local ones. */
  nodes: Node[];
  /** Local and upstream together. */
  total: number;
}

/** The uplink's part of a list page, as a read through the uplink. */
export async function mirrorNodeListing(
  reg: Registry,
  q: UpstreamListQuery,
  paging: PageWindow,
  local: { onPage: number; total: number },
): Promise<{ value: UpstreamListing; freshness: Freshness }> {
  const { nodes, total, freshness } = await mirrorNodeList(reg, q, paging, local);
  return { value: { nodes, total }, freshness };
}

async function mirrorNodeList(
  reg: Registry,
  q: UpstreamListQuery,
  paging: PageWindow,
  local: { onPage: number; total: number },
): Promise<{ nodes: Node[]; total: number; freshness: Freshness }> {
  const limit = paging.limit;
  const start = Math.max(0, paging.offset - local.total);
  const need = limit - local.onPage;
  const firstPage = Math.floor(start / limit) + 1;
  try {
    const first = await upstreamPage(reg, q, firstPage, limit);
    if (!first.found) return { nodes: [], total: local.total, freshness: first.freshness };
    let freshness = first.freshness;
    let nodes = need > 0 ? first.value.nodes.slice(start % limit) : [];
    if (need > 0 && nodes.length < need && start % limit > 0 && firstPage * limit < first.value.total) {
      const second = await upstreamPage(reg, q, firstPage + 1, limit);
      if (second.found) nodes = [...nodes, ...second.value.nodes];
      freshness = worst(freshness, second.freshness);
    }
    nodes = nodes.slice(0, Math.max(0, need));
    const ids = orderFree(nodes.map((n) => n.id!));
    const held = ids.length
      ? new Set((await reg.db.selectFrom('nodes').select('key').where('key', 'in', ids).execute()).map((r) => r.key))
      : new Set<string>();
    return {
      nodes: nodes.filter((n) => !held.has(n.id!.toLowerCase())).map((n) => servedNode(reg, n)),
      total: local.total + first.value.total,
      freshness,
    };
  } catch (err) {
    // Nothing kept and the uplink failed: the local packs alone, marked stale.
    if (err instanceof RegistryError && err.code === 'UPLINK_UNAVAILABLE') return { nodes: [], total: local.total, freshness: 'stale' };
    throw err;
  }
}
