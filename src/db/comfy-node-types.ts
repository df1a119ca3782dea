import type { Kysely, Transaction } from 'kysely';
import { comfyNodeTypes, type ComfyNodeTypes } from '../contract/comfy-node-types.js';
import type { Policy } from '../contract/index.js';
import type { Database, NewComfyNodeType, NewComfyNodeTypePair, NewComfyNodeTypeSig } from './schema.js';

/*
 * The comfy-node type index (migration 0009): for each pack, the input and output types of the
 * comfy nodes of its newest extracted version, and their (input, output) pairs, keyed by pack and
 * name rather than by version. When the newest version moves, only the names whose types or marks
 * differ are rewritten, so a release that keeps its comfy nodes costs a read of the pack's rows.
 */

type Db = Kysely<Database> | Transaction<Database>;

/** A comfy node as the index needs it. */
export interface TypedComfyNode {
  comfy_node_name: string;
  input_types: string;
  return_types: string;
  policy: Policy;
  /** its types, when the caller has them from parsing the text already */
  types?: ComfyNodeTypes;
}

/** 1: the public sees it; 2: a ban of the comfy node or an inactive pack hides it (admins see it). */
export type ListedMark = 1 | 2;

export interface Entry {
  listed: ListedMark;
  inputs: string[];
  outputs: string[];
}

/** What the index holds for one name, as one comparable string (comfy_node_type_sigs keeps it). */
export const signature = (e: Entry): string => `${e.listed} ${[...e.inputs].sort().join(',')} > ${[...e.outputs].sort().join(',')}`;

function desiredEntries(nodes: TypedComfyNode[], active: boolean): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const n of nodes) {
    const { inputs, outputs } = n.types ?? comfyNodeTypes(n.input_types, n.return_types);
    const listed: ListedMark = active && n.policy !== 'ComfyNodePolicyBanned' ? 1 : 2;
    out.set(n.comfy_node_name, { listed, inputs, outputs });
  }
  return out;
}

/** The signature of each indexed name of the pack: one narrow row per comfy node, not one per type. */
async function currentSignatures(db: Db, nodeId: string): Promise<Map<string, string>> {
  const rows = await db.selectFrom('comfy_node_type_sigs').select(['comfy_node_name', 'signature']).where('node_id', '=', nodeId).execute();
  return new Map(rows.map((r) => [r.comfy_node_name, r.signature]));
}

const CHUNK = 500;

type IndexTable = 'comfy_node_types' | 'comfy_node_type_pairs' | 'comfy_node_type_sigs';

async function insertChunked(db: Db, table: IndexTable, rows: object[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await (db as Kysely<any>)
      .insertInto(table)
      .values(rows.slice(i, i + CHUNK))
      .execute();
  }
}

async function deleteNames(db: Db, nodeId: string, names: string[], all: boolean): Promise<void> {
  for (const table of ['comfy_node_types', 'comfy_node_type_pairs', 'comfy_node_type_sigs'] as const) {
    if (all) {
      await db.deleteFrom(table).where('node_id', '=', nodeId).execute();
      continue;
    }
    for (let i = 0; i < names.length; i += CHUNK) {
      await db
        .deleteFrom(table)
        .where('node_id', '=', nodeId)
        .where('comfy_node_name', 'in', names.slice(i, i + CHUNK))
        .execute();
    }
  }
}

/** The comfy nodes of a pack's newest extracted version, when the caller has them in hand. */
export interface FreshVersion {
  versionId: string;
  nodes: TypedComfyNode[];
}

/**
 * Brings one pack's index rows in line with its newest extracted version, its status and its
 * comfy nodes' policies; call inside the writing transaction, after the pointer is right.
 */
export async function syncTypeIndex(db: Db, nodeId: string, fresh?: FreshVersion): Promise<void> {
  const node = await db.selectFrom('nodes').select(['status', 'latest_extracted_version_id']).where('id', '=', nodeId).executeTakeFirst();
  const latest = node?.latest_extracted_version_id ?? null;
  let nodes: TypedComfyNode[] = [];
  if (latest !== null && fresh?.versionId === latest) nodes = fresh.nodes;
  else if (latest !== null) {
    nodes = await db
      .selectFrom('comfy_nodes')
      .select(['comfy_node_name', 'input_types', 'return_types', 'policy'])
      .where('node_version_id', '=', latest)
      .execute();
  }
  const desired = desiredEntries(nodes, node?.status === 'NodeStatusActive');
  const current = await currentSignatures(db, nodeId);
  const wanted = new Map([...desired].map(([name, e]) => [name, signature(e)]));
  const stale = [...current].filter(([name, sig]) => wanted.get(name) !== sig).map(([name]) => name);
  const added = [...desired].filter(([name]) => current.get(name) !== wanted.get(name));
  if (stale.length > 0) await deleteNames(db, nodeId, stale, stale.length === current.size);
  const types: NewComfyNodeType[] = [];
  const pairs: NewComfyNodeTypePair[] = [];
  const sigs: NewComfyNodeTypeSig[] = [];
  for (const [name, e] of added) {
    const base = { node_id: nodeId, comfy_node_name: name, listed: e.listed };
    for (const type of e.inputs) types.push({ ...base, direction: 'input', type });
    for (const type of e.outputs) types.push({ ...base, direction: 'output', type });
    for (const input_type of e.inputs) for (const output_type of e.outputs) pairs.push({ ...base, input_type, output_type });
    sigs.push({ node_id: nodeId, comfy_node_name: name, signature: wanted.get(name)! });
  }
  await insertChunked(db, 'comfy_node_types', types);
  await insertChunked(db, 'comfy_node_type_pairs', pairs);
  await insertChunked(db, 'comfy_node_type_sigs', sigs);
}

const BACKFILL_PAGE = 500;

/** Indexes every pack with an extracted version (migration 0009), a keyset page of packs at a time. */
export async function backfillComfyNodeTypes(db: Kysely<any>): Promise<void> {
  const typed = db as Kysely<Database>;
  let after = '';
  for (;;) {
    const page = await typed
      .selectFrom('nodes')
      .select('id')
      .where('latest_extracted_version_id', 'is not', null)
      .where('id', '>', after)
      .orderBy('id')
      .limit(BACKFILL_PAGE)
      .execute();
    if (page.length === 0) break;
    for (const { id } of page) await syncTypeIndex(typed, id);
    after = page[page.length - 1]!.id;
  }
}
