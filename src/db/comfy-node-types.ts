import type { Kysely, Transaction } from 'kysely';
import { comfyNodeTypes } from '../contract/comfy-node-types.js';
import type { Database, NewComfyNodeType } from './schema.js';

/* Rows of the comfy-node type index (migration 0005) and the `listed` marks, shared by the migration and the registry. */

type Db = Kysely<Database> | Transaction<Database>;

export interface TypedComfyNode {
  node_version_id: string;
  comfy_node_name: string;
  input_types: string;
  return_types: string;
}

/** The index rows of one comfy node (not yet listed: `markListed` decides). */
export function comfyNodeTypeRows(nodeId: string, n: TypedComfyNode): NewComfyNodeType[] {
  const { inputs, outputs } = comfyNodeTypes(n.input_types, n.return_types);
  const row = (direction: 'input' | 'output', type: string): NewComfyNodeType => ({
    node_version_id: n.node_version_id,
    comfy_node_name: n.comfy_node_name,
    direction,
    type,
    node_id: nodeId,
    listed: 0,
  });
  return [...inputs.map((t) => row('input', t)), ...outputs.map((t) => row('output', t))];
}

const INSERT_CHUNK = 500;

export async function insertComfyNodeTypes(db: Db, rows: NewComfyNodeType[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await db
      .insertInto('comfy_node_types')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .execute();
  }
}

/**
 * Marks the rows of the packs' newest extracted versions (every pack, or one): 1 when the public
 * sees them, 2 when a ban of the comfy node or an inactive pack hides them; everything else 0.
 */
export async function markListed(db: Db, nodeId?: string): Promise<void> {
  let reset = db.updateTable('comfy_node_types').set({ listed: 0 }).where('listed', '!=', 0);
  if (nodeId !== undefined) reset = reset.where('node_id', '=', nodeId);
  await reset.execute();
  for (const [listed, active] of [
    [1, true],
    [2, false],
  ] as const) {
    let latest = db
      .selectFrom('nodes')
      .select('latest_extracted_version_id')
      .where('latest_extracted_version_id', 'is not', null)
      .where('status', active ? '=' : '!=', 'NodeStatusActive');
    if (nodeId !== undefined) latest = latest.where('id', '=', nodeId);
    await db.updateTable('comfy_node_types').set({ listed }).where('node_version_id', 'in', latest).execute();
  }
  let hide = db
    .updateTable('comfy_node_types')
    .set({ listed: 2 })
    .where('listed', '=', 1)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('comfy_nodes')
          .select('comfy_nodes.policy')
          .whereRef('comfy_nodes.node_version_id', '=', 'comfy_node_types.node_version_id')
          .whereRef('comfy_nodes.comfy_node_name', '=', 'comfy_node_types.comfy_node_name')
          .where('comfy_nodes.policy', '=', 'ComfyNodePolicyBanned'),
      ),
    );
  if (nodeId !== undefined) hide = hide.where('node_id', '=', nodeId);
  await hide.execute();
  await pairListed(db, nodeId);
}

/** Rebuilds the input × output pairs of the listed rows (of every pack, or of one). */
async function pairListed(db: Db, nodeId?: string): Promise<void> {
  let drop = db.deleteFrom('comfy_node_type_pairs');
  if (nodeId !== undefined) drop = drop.where('node_id', '=', nodeId);
  await drop.execute();
  let pairs = db
    .selectFrom('comfy_node_types as i')
    .innerJoin('comfy_node_types as o', (j) =>
      j
        .onRef('o.node_version_id', '=', 'i.node_version_id')
        .onRef('o.comfy_node_name', '=', 'i.comfy_node_name')
        .on('o.direction', '=', 'output'),
    )
    .select(['i.type as input_type', 'o.type as output_type', 'i.listed', 'i.node_version_id', 'i.comfy_node_name', 'i.node_id'])
    .where('i.direction', '=', 'input')
    .where('i.listed', '!=', 0);
  if (nodeId !== undefined) pairs = pairs.where('i.node_id', '=', nodeId);
  await db
    .insertInto('comfy_node_type_pairs')
    .columns(['input_type', 'output_type', 'listed', 'node_version_id', 'comfy_node_name', 'node_id'])
    .expression(pairs)
    .execute();
}

const BACKFILL_PAGE = 2000;

/** Indexes every stored comfy node (migration 0005), a keyset page at a time. */
export async function backfillComfyNodeTypes(db: Kysely<any>): Promise<void> {
  const typed = db as Kysely<Database>;
  let after: { v: string; n: string } | undefined;
  for (;;) {
    let q = typed
      .selectFrom('comfy_nodes')
      .innerJoin('node_versions', 'node_versions.id', 'comfy_nodes.node_version_id')
      .select([
        'comfy_nodes.node_version_id',
        'comfy_nodes.comfy_node_name',
        'comfy_nodes.input_types',
        'comfy_nodes.return_types',
        'node_versions.node_id',
      ])
      .orderBy('comfy_nodes.node_version_id')
      .orderBy('comfy_nodes.comfy_node_name')
      .limit(BACKFILL_PAGE);
    if (after) {
      const { v, n } = after;
      q = q.where((eb) =>
        eb.or([
          eb('comfy_nodes.node_version_id', '>', v),
          eb.and([eb('comfy_nodes.node_version_id', '=', v), eb('comfy_nodes.comfy_node_name', '>', n)]),
        ]),
      );
    }
    const page = await q.execute();
    if (page.length === 0) break;
    await insertComfyNodeTypes(
      typed,
      page.flatMap((r) => comfyNodeTypeRows(r.node_id, r)),
    );
    const last = page[page.length - 1]!;
    after = { v: last.node_version_id, n: last.comfy_node_name };
  }
  await markListed(typed);
}
