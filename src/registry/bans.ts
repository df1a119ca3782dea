import { getNode } from './nodes.js';
import { getPublisher } from './publishers.js';
import type { Registry } from './registry.js';
import { announce, changed, keys, namesOfPack } from './changes.js';

/* Lifting bans (admin only, checked by the caller): the API can ban, the web UI can also unban. */

export async function unbanNode(reg: Registry, nodeId: string): Promise<void> {
  const node = await getNode(reg, nodeId, { includeHidden: true });
  if (node.status !== 'NodeStatusBanned') return;
  const list = await reg.db.transaction().execute(async (trx) => {
    await trx.updateTable('nodes').set({ status: 'NodeStatusActive' }).where('id', '=', node.id).execute();
    return announce(reg, trx, [keys.pack(node.id), ...(await namesOfPack(trx, node.id))]);
  });
  changed(reg, list);
}

export async function unbanPublisher(reg: Registry, id: string): Promise<void> {
  await getPublisher(reg, id);
  const list = await reg.db.transaction().execute(async (trx) => {
    await trx.updateTable('publishers').set({ status: 'PublisherStatusActive' }).where('id', '=', id).execute();
    return announce(reg, trx, [keys.publisher(id)]);
  });
  changed(reg, list);
}

/** What is banned now, for the admin page (bans are few). */
export async function listBans(reg: Registry) {
  const [packs, publishers, versions] = await Promise.all([
    reg.db.selectFrom('nodes').selectAll().where('status', '=', 'NodeStatusBanned').orderBy('id').execute(),
    reg.db.selectFrom('publishers').selectAll().where('status', '=', 'PublisherStatusBanned').orderBy('id').execute(),
    reg.db
      .selectFrom('node_versions')
      .selectAll()
      .where('status', '=', 'NodeVersionStatusBanned')
      .orderBy('node_id')
      .orderBy('version')
      .execute(),
  ]);
  return { packs, publishers, versions };
}
