import type { Transaction } from 'kysely';
import {
  EXTRACT_STATUS_PATTERN,
  MAX_COMFY_NODES,
  MAX_COMFY_NODE_NAME,
  fail,
  type CloudBuildInfoInput,
  type ComfyNodeInput,
  type CreateComfyNodesRequest,
  type Policy,
} from '../contract/index.js';
import { typesOfParsed, type ComfyNodeTypes } from '../contract/comfy-node-types.js';
import type { FreshVersion } from '../db/comfy-node-types.js';
import { isUniqueViolation } from '../db/database.js';
import { prepared } from '../db/prepared-statements.js';
import type { Database, NewComfyNode, NodeVersionRow } from '../db/schema.js';
import { finishExtraction, queueExtraction } from './extraction-queue.js';
import { findNode, findVersion, refreshLatest } from './nodes.js';
import { timestamp, type Registry } from './registry.js';
import { compareVersions, highestVersion } from './semver.js';
import { announce, changed, namesOfVersions, watchPack } from './changes.js';

const JSON_TEXT_FIELDS = [
  ['input_types', 'object'],
  ['return_types', 'array'],
  ['return_names', 'array'],
] as const;

/**
 * Checks what the schema cannot: the three JSON-text fields hold JSON of the right shape. Returns
 * the comfy node's types, read from the values it parsed.
 */
export function assertJsonTextFields(name: string, node: Omit<ComfyNodeInput, 'comfy_node_name'>): ComfyNodeTypes {
  const parsed: Partial<Record<(typeof JSON_TEXT_FIELDS)[number][0], unknown>> = {};
  for (const [field, shape] of JSON_TEXT_FIELDS) {
    const text = node[field];
    if (text === undefined) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw fail('INVALID_JSON_TEXT', `nodes["${name}"].${field}`, 'is not valid JSON');
    }
    const ok = shape === 'array' ? Array.isArray(value) : typeof value === 'object' && value !== null && !Array.isArray(value);
    if (!ok) throw fail('INVALID_JSON_TEXT', `nodes["${name}"].${field}`, `must be JSON text of an ${shape}`);
    parsed[field] = value;
  }
  return typesOfParsed(parsed.input_types, parsed.return_types);
}

/** Validates the request; the types of each comfy node, by name. */
function validate(input: CreateComfyNodesRequest): Map<string, ComfyNodeTypes> {
  if (input.status !== undefined && !EXTRACT_STATUS_PATTERN.test(input.status)) throw fail('INVALID_EXTRACT_STATUS');
  const names = Object.keys(input.nodes ?? {});
  if (names.length > MAX_COMFY_NODES) throw fail('TOO_MANY_COMFY_NODES', MAX_COMFY_NODES);
  const types = new Map<string, ComfyNodeTypes>();
  for (const name of names) {
    if (name.length === 0 || [...name].length > MAX_COMFY_NODE_NAME) throw fail('INVALID_COMFY_NODE_NAME', MAX_COMFY_NODE_NAME);
    types.set(name, assertJsonTextFields(name, input.nodes![name]));
  }
  return types;
}

function buildInfoText(info: CloudBuildInfoInput | undefined): string {
  const i = info ?? {};
  return JSON.stringify({
    build_id: i.build_id ?? '',
    location: i.location ?? '',
    project_id: i.project_id ?? '',
    project_number: i.project_number ?? '',
  });
}

/**
 * Policies that names carried in the pack's newest earlier extracted version, so a ban survives a
 * release. Only non-default policies are read: the rest default to Active anyway.
 */
async function inheritedPolicies(trx: Transaction<Database>, version: NodeVersionRow): Promise<Map<string, Policy>> {
  const earlier = await trx
    .selectFrom('node_versions')
    .select(['id', 'version'])
    .where('node_id', '=', version.node_id)
    .where('id', '!=', version.id)
    .where('comfy_node_extract_status', '=', 'success')
    .execute();
  const previous = highestVersion(earlier.filter((v) => compareVersions(v.version, version.version) < 0));
  if (!previous) return new Map();
  const rows = await trx
    .selectFrom('comfy_nodes')
    .select(['comfy_node_name', 'policy'])
    .where('node_version_id', '=', previous.id)
    .where('policy', '!=', 'ComfyNodePolicyActive')
    .execute();
  return new Map(rows.map((r) => [r.comfy_node_name, r.policy]));
}

function toRow(versionId: string, name: string, n: ComfyNodeInput, policy: Policy, createdAt: string): NewComfyNode {
  return {
    node_version_id: versionId,
    comfy_node_name: name,
    category: n.category ?? '',
    description: n.description ?? '',
    function: n.function ?? '',
    input_types: n.input_types ?? '{}',
    return_types: n.return_types ?? '[]',
    return_names: n.return_names ?? '[]',
    output_is_list: JSON.stringify(n.output_is_list ?? []),
    deprecated: n.deprecated ? 1 : 0,
    experimental: n.experimental ? 1 : 0,
    display_name: n.display_name ?? '',
    output_node: n.output_node ? 1 : 0,
    policy,
    created_at: createdAt,
  };
}

const INSERT_CHUNK = 1000;

async function lockVersion(reg: Registry, trx: Transaction<Database>, nodeId: string, version: string): Promise<NodeVersionRow> {
  const node = await findNode(trx, nodeId);
  const found = node && (await findVersion(trx, node.id, version));
  if (!found) throw fail('VERSION_NOT_FOUND', version, nodeId);
  // SQLite transactions are already serialised on the one connection; PostgreSQL needs the row lock.
  if (reg.dialect === 'postgres') {
    await trx.selectFrom('node_versions').select('id').where('id', '=', found.id).forUpdate().execute();
  }
  return found;
}

/** The success branch's rows: refused with 409 when the version already has comfy nodes. */
async function insertComfyNodes(
  trx: Transaction<Database>,
  v: NodeVersionRow,
  nodes: Record<string, ComfyNodeInput>,
  types: Map<string, ComfyNodeTypes>,
  t: string,
): Promise<FreshVersion> {
  const existing = await trx.selectFrom('comfy_nodes').select('comfy_node_name').where('node_version_id', '=', v.id).limit(1).execute();
  if (existing.length > 0) throw fail('COMFY_NODES_EXIST', v.version, v.node_id);
  const inherited = await inheritedPolicies(trx, v);
  const rows = Object.entries(nodes).map(([name, n]) =>
    toRow(v.id, name, n, n.policy ?? inherited.get(name) ?? 'ComfyNodePolicyActive', t),
  );
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK);
    const insert = trx.insertInto('comfy_nodes').values(chunk);
    // A full chunk's text is always the same: PostgreSQL parses and plans it once per connection.
    if (chunk.length === INSERT_CHUNK) await trx.executeQuery(prepared(insert.compile()));
    else await insert.execute();
  }
  return { versionId: v.id, nodes: rows.map((r) => ({ ...r, types: types.get(r.comfy_node_name) })) };
}

/** CreateComfyNodes (contract §2); the route gate lets only the extraction service and admins call it. */
export async function createComfyNodes(reg: Registry, nodeId: string, version: string, input: CreateComfyNodesRequest): Promise<void> {
  const types = validate(input);
  const buildInfo = buildInfoText(input.cloud_build_info);
  const reason = input.reason ?? '';
  const succeeded = input.success !== false;
  try {
    const list = await reg.db.transaction().execute(async (trx) => {
      const v = await lockVersion(reg, trx, nodeId, version);
      const watched = await watchPack(trx, v.node_id);
      const fresh = succeeded ? await insertComfyNodes(trx, v, input.nodes ?? {}, types, timestamp(reg)) : undefined;
      await trx
        .updateTable('node_versions')
        .set({
          comfy_node_extract_status: input.status ?? (succeeded ? 'success' : 'failed'),
          comfy_node_extract_reason: reason,
          cloud_build_info: buildInfo,
        })
        .where('id', '=', v.id)
        .execute();
      await finishExtraction(trx, v.id);
      await refreshLatest(trx, v.node_id, fresh);
      return announce(reg, trx, await watched(await namesOfVersions(trx, [v.id])));
    });
    changed(reg, list);
  } catch (err) {
    if (isUniqueViolation(err)) throw fail('COMFY_NODES_EXIST', version, nodeId);
    throw err;
  }
}

/** Removes a version's comfy nodes, resets it to `pending` and queues it again when it has an archive. */
export async function deleteComfyNodes(reg: Registry, nodeId: string, version: string): Promise<void> {
  const { queued, list } = await reg.db.transaction().execute(async (trx) => {
    const v = await lockVersion(reg, trx, nodeId, version);
    const watched = await watchPack(trx, v.node_id);
    const names = await namesOfVersions(trx, [v.id]);
    await trx.deleteFrom('comfy_nodes').where('node_version_id', '=', v.id).execute();
    await trx
      .updateTable('node_versions')
      .set({ comfy_node_extract_status: 'pending', comfy_node_extract_reason: '' })
      .where('id', '=', v.id)
      .execute();
    if (v.archive_key) await queueExtraction(trx, v.id, timestamp(reg));
    await refreshLatest(trx, v.node_id);
    return { queued: v.archive_key !== null, list: await announce(reg, trx, await watched(names)) };
  });
  changed(reg, list);
  if (queued) reg.events.emit('jobQueued');
}
