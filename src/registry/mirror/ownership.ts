import { fail } from '../../contract/index.js';
import type { ReservedIdsTable } from '../../db/schema.js';
import { upstreamNode } from '../../uplink/shapes.js';
import { timestamp, type Registry } from '../registry.js';
import { cachedRead } from './cache.js';
import { cacheKeys } from './reads.js';

/*
 * No dependency confusion: a new local pack may not take an id the uplink has (it would shadow the
 * public pack for every client of this registry), unless an admin reserved the id for local use.
 */

export const ID_PATTERN = /^[A-Za-z0-9._*-]{1,100}$/;

/** `*` stands for any run of characters; ids compare case-insensitively, as pack ids do. */
export function idMatches(id: string, pattern: string): boolean {
  const re = pattern
    .toLowerCase()
    .split('*')
    .map((part) => part.replace(/[.]/g, '\\.'))
    .join('.*');
  return new RegExp(`^${re}$`).test(id.toLowerCase());
}

export async function isReserved(reg: Registry, id: string): Promise<boolean> {
  if (reg.uplink?.reservedIds.some((p) => idMatches(id, p))) return true;
  const rows = await reg.db.selectFrom('reserved_ids').select('pattern').execute();
  return rows.some((r) => idMatches(id, r.pattern));
}

/**
 * Before a new local pack is created: NODE_ID_ON_UPLINK (409) when the uplink has the id and no
 * reservation allows it; UPLINK_UNAVAILABLE when the uplink cannot say and nothing is kept (an id
 * is never given away on a guess).
 */
export async function assertIdFreeUpstream(reg: Registry, id: string): Promise<void> {
  if (!reg.uplink || (await isReserved(reg, id))) return;
  const got = await cachedRead(reg, cacheKeys.node(id), `/nodes/${encodeURIComponent(id)}`, upstreamNode);
  if (got.found) throw fail('NODE_ID_ON_UPLINK', id);
}

export async function reserveIds(reg: Registry, pattern: string, reason: string): Promise<ReservedIdsTable> {
  if (!ID_PATTERN.test(pattern)) throw fail('INVALID_ID_PATTERN');
  const row = { pattern, reason, created_at: timestamp(reg) };
  await reg.db
    .insertInto('reserved_ids')
    .values(row)
    .onConflict((oc) => oc.column('pattern').doUpdateSet({ reason }))
    .execute();
  return (await reg.db.selectFrom('reserved_ids').selectAll().where('pattern', '=', pattern).executeTakeFirst())!;
}

export async function listReservedIds(reg: Registry): Promise<ReservedIdsTable[]> {
  const stored = await reg.db.selectFrom('reserved_ids').selectAll().orderBy('pattern').execute();
  const configured = (reg.uplink?.reservedIds ?? []).map((pattern) => ({ pattern, reason: 'COMFYREG_RESERVED_IDS', created_at: '' }));
  return [...configured, ...stored];
}

/** True when a reservation was removed. */
export async function unreserveIds(reg: Registry, pattern: string): Promise<boolean> {
  const res = await reg.db.deleteFrom('reserved_ids').where('pattern', '=', pattern).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
