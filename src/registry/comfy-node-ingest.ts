import type { Transaction } from 'kysely';
import type { Database, NewComfyNode, NodeVersionRow } from '../db/schema.js';
import { badRequest, conflict, isUniqueViolation, notFound } from './errors.js';
import { finishExtraction, queueExtraction } from './extraction-queue.js';
import { findNode, findVersion, refreshLatest } from './nodes.js';
import { requireRole, type Principal } from './principals.js';
import type { Registry } from './registry.js';
import { now } from './registry.js';
import { compareVersions, highestVersion } from './semver.js';

export const POLICY_ACTIVE = 'ComfyNodePolicyActive';
export const POLICY_BANNED = 'ComfyNodePolicyBanned';
export const POLICY_LOCAL_ONLY = 'ComfyNodePolicyLocalOnly';
export const POLICIES = [POLICY_ACTIVE, POLICY_BANNED, POLICY_LOCAL_ONLY] as const;
export type Policy = (typeof POLICIES)[number];

export const MAX_COMFY_NODES = 10_000;
export const MAX_COMFY_NODE_NAME = 256;
export const EXTRACT_STATUS = /^[a-z][a-z0-9_]{0,31}$/;

export interface ComfyNodeInput {
  category?: string;
  description?: string;
  function?: string;
  input_types?: string;
  return_types?: string;
  return_names?: string;
  output_is_list?: boolean[];
  deprecated?: boolean;
  experimental?: boolean;
  display_name?: string;
  output_node?: boolean;
  policy?: Policy;
}

export interface CloudBuildInfo {
  build_id?: string;
  location?: string;
  project_id?: string;
  project_number?: string;
}

export interface CreateComfyNodesInput {
  success?: boolean;
  status?: string;
  reason?: string;
  cloud_build_info?: CloudBuildInfo;
  nodes?: Record<string, ComfyNodeInput>;
}

const JSON_TEXT_FIELDS = [
  ['input_types', 'object'],
  ['return_types', 'array'],
  ['return_names', 'array'],
] as const;

/** Checks what the schema cannot: the three JSON-text fields hold JSON of the right shape. */
export function assertJsonTextFields(name: string, node: ComfyNodeInput): void {
  for (const [field, shape] of JSON_TEXT_FIELDS) {
    const text = node[field];
    if (text === undefined) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw badRequest(`nodes["${name}"].${field} is not valid JSON`, 'INVALID_JSON_TEXT');
    }
    const ok = shape === 'array' ? Array.isArray(value) : typeof value === 'object' && value !== null && !Array.isArray(value);
    if (!ok) throw badRequest(`nodes["${name}"].${field} must be JSON text of an ${shape}`, 'INVALID_JSON_TEXT');
  }
}

function validate(input: CreateComfyNodesInput): void {
  if (input.status !== undefined && !EXTRACT_STATUS.test(input.status)) {
    throw badRequest('status must match ^[a-z][a-z0-9_]{0,31}$', 'INVALID_EXTRACT_STATUS');
  }
  const names = Object.keys(input.nodes ?? {});
  if (names.length > MAX_COMFY_NODES) throw badRequest(`at most ${MAX_COMFY_NODES} comfy nodes per version`, 'TOO_MANY_COMFY_NODES');
  for (const name of names) {
    if (name.length === 0 || [...name].length > MAX_COMFY_NODE_NAME) {
      throw badRequest(`comfy node names must be 1-${MAX_COMFY_NODE_NAME} characters`, 'INVALID_COMFY_NODE_NAME');
    }
    assertJsonTextFields(name, input.nodes![name]);
  }
}

function buildInfoText(info: CloudBuildInfo | undefined): string {
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
async function inheritedPolicies(trx: Transaction<Database>, version: NodeVersionRow): Promise<Map<string, string>> {
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
    .where('policy', '!=', POLICY_ACTIVE)
    .execute();
  return new Map(rows.map((r) => [r.comfy_node_name, r.policy]));
}

function toRow(versionId: string, name: string, n: ComfyNodeInput, policy: string, createdAt: string): NewComfyNode {
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
  if (!found) throw notFound(`version ${version} of node ${nodeId} not found`, 'VERSION_NOT_FOUND');
  // SQLite transactions are already serialised on the one connection; PostgreSQL needs the row lock.
  if (reg.dialect === 'postgres') {
    await trx.selectFrom('node_versions').select('id').where('id', '=', found.id).forUpdate().execute();
  }
  return found;
}

/** The success branch's rows: refused with 409 when the version already has comfy nodes. */
async function insertComfyNodes(trx: Transaction<Database>, v: NodeVersionRow, nodes: Record<string, ComfyNodeInput>): Promise<void> {
  const existing = await trx.selectFrom('comfy_nodes').select('comfy_node_name').where('node_version_id', '=', v.id).limit(1).execute();
  if (existing.length > 0) throw conflict(`version ${v.version} of node ${v.node_id} already has comfy nodes`, 'COMFY_NODES_EXIST');
  const inherited = await inheritedPolicies(trx, v);
  const t = now();
  const rows = Object.entries(nodes).map(([name, n]) => toRow(v.id, name, n, n.policy ?? inherited.get(name) ?? POLICY_ACTIVE, t));
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await trx
      .insertInto('comfy_nodes')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .execute();
  }
}

/** CreateComfyNodes (contract §2). */
export async function createComfyNodes(
  reg: Registry,
  p: Principal,
  nodeId: string,
  version: string,
  input: CreateComfyNodesInput,
): Promise<void> {
  requireRole(p, 'service');
  validate(input);
  const buildInfo = buildInfoText(input.cloud_build_info);
  const reason = input.reason ?? '';
  const succeeded = input.success !== false;
  try {
    await reg.db.transaction().execute(async (trx) => {
      const v = await lockVersion(reg, trx, nodeId, version);
      if (succeeded) await insertComfyNodes(trx, v, input.nodes ?? {});
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
      await refreshLatest(trx, v.node_id);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`version ${version} of node ${nodeId} already has comfy nodes`, 'COMFY_NODES_EXIST');
    throw err;
  }
}

/** Removes a version's comfy nodes, resets it to `pending` and queues it again when it has an archive. */
export async function deleteComfyNodes(reg: Registry, p: Principal, nodeId: string, version: string): Promise<void> {
  requireRole(p, 'service');
  const queued = await reg.db.transaction().execute(async (trx) => {
    const v = await lockVersion(reg, trx, nodeId, version);
    await trx.deleteFrom('comfy_nodes').where('node_version_id', '=', v.id).execute();
    await trx
      .updateTable('node_versions')
      .set({ comfy_node_extract_status: 'pending', comfy_node_extract_reason: '' })
      .where('id', '=', v.id)
      .execute();
    if (v.archive_key) await queueExtraction(trx, v.id);
    await refreshLatest(trx, v.node_id);
    return v.archive_key !== null;
  });
  if (queued) reg.onJobQueued();
}
