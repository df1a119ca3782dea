import type { Registry } from '../registry.js';

/** The upstream pack whose version comfyreg extracted itself provides `name`, if any (its key). */
export async function extractedProvider(reg: Registry, name: string): Promise<string | undefined> {
  const row = await reg.db
    .selectFrom('mirror_comfy_nodes')
    .select('node_key')
    .where('comfy_node_name', '=', name)
    .orderBy('node_key')
    .executeTakeFirst();
  return row?.node_key;
}
