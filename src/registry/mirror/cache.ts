import { UplinkFailure } from '../../uplink/client.js';
import { fail } from '../../contract/index.js';
import { timestamp, type Registry } from '../registry.js';
import { once, type Mirror } from './mirror.js';

/**
 * How an answer from the uplink was come by: `fresh` from the cache without asking, `revalidated`
 * by asking now, `stale` from the cache because the uplink could not be asked, `offline` from
 * what was imported or kept, on a mirror without an uplink.
 */
export type Freshness = 'fresh' | 'revalidated' | 'stale' | 'offline';

export type Fetched<T> =
  | { found: true; value: T; freshness: Freshness; /** When a `fresh` answer reaches max age. */ expiresAt?: number }
  | { found: false; freshness: Freshness };

export function mirrorOf(reg: Registry): Mirror {
  if (!reg.uplink) throw new Error('mirror operation without an uplink');
  return reg.uplink;
}

/**
 * An upstream answer through the cache table. Younger than max age: served as kept. Older, or
 * `force`: asked again; when the uplink fails, what is kept is served as stale, and only when
 * nothing is kept is it an error (UPLINK_UNAVAILABLE, 502). Upstream "not found" is kept apart,
 * for the shorter not-found age. `parse` checks the answer's shape; what it returns is kept.
 */
export async function cachedRead<T>(
  reg: Registry,
  key: string,
  path: string,
  parse: (body: unknown) => T,
  opts: { force?: boolean } = {},
): Promise<Fetched<T>> {
  const mirror = mirrorOf(reg);
  const row = await reg.db.selectFrom('uplink_cache').selectAll().where('key', '=', key).executeTakeFirst();
  if (!mirror.client)
    return row?.found ? { found: true, value: JSON.parse(row.body) as T, freshness: 'offline' } : { found: false, freshness: 'offline' };
  if (row && !opts.force) {
    const age = reg.clock.now() - Date.parse(row.fetched_at);
    if ((row.found && age < mirror.maxAgeMs) || (!row.found && age < mirror.notFoundAgeMs)) {
      mirror.reads.fresh++;
      return row.found
        ? { found: true, value: JSON.parse(row.body) as T, freshness: 'fresh', expiresAt: Date.parse(row.fetched_at) + mirror.maxAgeMs }
        : { found: false, freshness: 'fresh' };
    }
  }
  try {
    const got = await once(mirror, key, () => ask(reg, mirror, key, path, parse));
    mirror.reads.revalidated++;
    return got;
  } catch (err) {
    if (!(err instanceof UplinkFailure)) throw err;
    if (!row) {
      mirror.reads.error++;
      throw fail('UPLINK_UNAVAILABLE', err.message);
    }
    mirror.reads.stale++;
    mirror.log.warn({ key, reason: err.message }, 'uplink failed; serving the answer kept from before');
    return row.found ? { found: true, value: JSON.parse(row.body) as T, freshness: 'stale' } : { found: false, freshness: 'stale' };
  }
}

async function ask<T>(reg: Registry, mirror: Mirror, key: string, path: string, parse: (body: unknown) => T): Promise<Fetched<T>> {
  const answer = await mirror.client!.getJson(path);
  const value = answer.found ? parse(answer.body) : undefined;
  const fields = { found: answer.found ? 1 : 0, body: answer.found ? JSON.stringify(value) : '', fetched_at: timestamp(reg) };
  await reg.db
    .insertInto('uplink_cache')
    .values({ key, ...fields })
    .onConflict((oc) => oc.column('key').doUpdateSet(fields))
    .execute();
  return answer.found ? { found: true, value: value as T, freshness: 'revalidated' } : { found: false, freshness: 'revalidated' };
}

/** What is kept for `key`, however old, without asking (export, the resolver's fallback). */
export async function keptAnswer<T>(reg: Registry, key: string): Promise<T | undefined> {
  const row = await reg.db.selectFrom('uplink_cache').selectAll().where('key', '=', key).where('found', '=', 1).executeTakeFirst();
  return row ? (JSON.parse(row.body) as T) : undefined;
}

export interface KeptRow {
  found: boolean;
  body: string;
  /** Younger than max age (found) or the not-found age (not found). */
  fresh: boolean;
}

/** The kept rows of many keys at once, with whether each is still fresh. */
export async function keptRows(reg: Registry, keys: string[]): Promise<Map<string, KeptRow>> {
  const mirror = mirrorOf(reg);
  const out = new Map<string, KeptRow>();
  for (let i = 0; i < keys.length; i += 500) {
    const rows = await reg.db
      .selectFrom('uplink_cache')
      .selectAll()
      .where('key', 'in', keys.slice(i, i + 500))
      .execute();
    for (const r of rows) {
      const age = reg.clock.now() - Date.parse(r.fetched_at);
      out.set(r.key, { found: r.found === 1, body: r.body, fresh: age < (r.found ? mirror.maxAgeMs : mirror.notFoundAgeMs) });
    }
  }
  return out;
}

/** Keeps many answers (value undefined: upstream has none) with the time now, in one transaction. */
export async function keepAnswers(reg: Registry, answers: [key: string, value: unknown][]): Promise<void> {
  const fetched_at = timestamp(reg);
  await reg.db.transaction().execute(async (trx) => {
    for (const [key, value] of answers) {
      const fields = { found: value === undefined ? 0 : 1, body: value === undefined ? '' : JSON.stringify(value), fetched_at };
      await trx
        .insertInto('uplink_cache')
        .values({ key, ...fields })
        .onConflict((oc) => oc.column('key').doUpdateSet(fields))
        .execute();
    }
  });
}
