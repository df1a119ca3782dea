import { sql, type Kysely, type Transaction } from 'kysely';
import { CHANGE_CHANNEL, changeKeys, notificationPayloads } from '../db/change-feed.js';
import type { Database } from '../db/schema.js';
import type { Registry } from './registry.js';

type Db = Kysely<Database> | Transaction<Database>;

export const keys = changeKeys;

/** PostgreSQL's call sending one payload as `keys@<schema>:`, so listeners of other registries sharing the database leave it alone. */
const notifying = (payload: string) => sql`pg_notify(${CHANGE_CHANNEL}, 'keys@' || current_schema() || ${payload.slice('keys'.length)})`;

/**
 * Says what a write changed. Call it with the writing transaction, then `changed()` after the
 * commit: on PostgreSQL the keys travel to every instance by NOTIFY, which is delivered at commit;
 * here they are touched once the data is visible, so no reader can cache what it read before.
 */
export async function announce(reg: Pick<Registry, 'dialect'>, db: Db, changed: Iterable<string>): Promise<string[]> {
  const list = [...new Set(changed)];
  if (reg.dialect === 'postgres') {
    for (const payload of notificationPayloads(list)) await sql`SELECT ${notifying(payload)}`.execute(db);
  }
  return list;
}

/** After the commit of a write announced with `announce`. */
export function changed(reg: Pick<Registry, 'changes'>, list: readonly string[]): void {
  reg.changes.touch(['all', ...list]);
}

/** Announces and touches in one go, for a write that is a single statement already committed. */
export async function announceCommitted(reg: Registry, list: Iterable<string>): Promise<void> {
  changed(reg, await announce(reg, reg.db, list));
}

/** The comfy-node names of the given versions: the resolver answers a change to them may alter. */
export async function namesOfVersions(db: Db, versionIds: (string | null | undefined)[]): Promise<string[]> {
  const ids = [...new Set(versionIds.filter((v): v is string => !!v))];
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('comfy_nodes').select('comfy_node_name').distinct().where('node_version_id', 'in', ids).execute();
  return rows.map((r) => keys.name(r.comfy_node_name));
}

/** Names of the version the resolver serves for a pack now. */
export async function namesOfPack(db: Db, nodeId: string): Promise<string[]> {
  const node = await db.selectFrom('nodes').select('latest_extracted_version_id').where('id', '=', nodeId).executeTakeFirst();
  return namesOfVersions(db, [node?.latest_extracted_version_id]);
}

/**
 * Watches a pack across a write: the keys it returns name the pack and every comfy-node name the
 * resolver served for it before or serves after (a new extraction, a ban or an unpublish moves them).
 */
export async function watchPack(db: Db, nodeId: string): Promise<(extra?: string[]) => Promise<string[]>> {
  const before = await namesOfPack(db, nodeId);
  return async (extra = []) => [keys.pack(nodeId), ...before, ...(await namesOfPack(db, nodeId)), ...extra];
}
