import { createQueryId, type CompiledQuery } from 'kysely';
import { MAX_COMFY_NODE_NAME, MAX_RESOLVE_NAMES, fail, type Resolution } from '../contract/index.js';
import type { NodeRow, NodeVersionRow, PublisherRow } from '../db/schema.js';
import { prepared } from '../db/prepared-statements.js';
import { versionsByIds } from './nodes.js';
import { PUBLISHER_COLUMNS, VERSION_COLUMNS, prefixed, unprefixed } from './prefixed-rows.js';
import type { Registry } from './registry.js';

/** Names per `IN (…)` list: well under SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 500;

export type Candidate = NodeRow & { comfy_node_name: string };

function preemptedNames(row: NodeRow): string[] {
  try {
    const v = JSON.parse(row.preempted_comfy_node_names);
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

/**
 * The contract's ranking of packs providing the same name: a pack preempting the name first, then
 * lower search_ranking (none = last), more downloads, node id. Done here rather than in SQL because
 * the preempted list is JSON text and a containment test would read differently on each dialect.
 */
export function compareProviders(name: string, a: NodeRow, b: NodeRow): number {
  const pa = preemptedNames(a).includes(name) ? 0 : 1;
  const pb = preemptedNames(b).includes(name) ? 0 : 1;
  if (pa !== pb) return pa - pb;
  if (a.search_ranking !== b.search_ranking) {
    if (a.search_ranking === null) return 1;
    if (b.search_ranking === null) return -1;
    return a.search_ranking - b.search_ranking;
  }
  if (a.downloads !== b.downloads) return b.downloads - a.downloads;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Rows of Active packs whose newest successfully extracted version has one of `names`, not Banned.
 * The name index (which holds the policy) finds the handful of rows per name; the join keeps only
 * each pack's newest version, so the cost follows the number of providers, never the registry's size.
 */
function providers(reg: Registry, names: string[]) {
  return reg.db
    .selectFrom('comfy_nodes')
    .innerJoin('nodes', 'nodes.latest_extracted_version_id', 'comfy_nodes.node_version_id')
    .where('comfy_nodes.comfy_node_name', names.length === 1 ? '=' : 'in', names.length === 1 ? names[0] : names)
    .where('comfy_nodes.policy', '!=', 'ComfyNodePolicyBanned')
    .where('nodes.status', '=', 'NodeStatusActive');
}

async function candidates(reg: Registry, names: string[]): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (let i = 0; i < names.length; i += CHUNK) {
    out.push(
      ...(await providers(reg, names.slice(i, i + CHUNK))
        .selectAll('nodes')
        .select('comfy_nodes.comfy_node_name')
        .execute()),
    );
  }
  return out;
}

function best<T extends NodeRow>(name: string, rows: T[]): T | undefined {
  let top: T | undefined;
  for (const r of rows) if (!top || compareProviders(name, r, top) < 0) top = r;
  return top;
}

/** Names longer than the ingest limit cannot be stored, so they never resolve (code points, as ingest counts). */
const storable = (name: string): boolean =>
  name.length > 0 && (name.length <= MAX_COMFY_NODE_NAME || [...name].length <= MAX_COMFY_NODE_NAME);

export interface Provider {
  node: NodeRow;
  publisher: PublisherRow;
  latest?: NodeVersionRow;
}

/** Stands for the requested name while the resolver query is compiled once per database. */
const NAME_PARAMETER = Symbol('comfy_node_name');
const compiledResolver = new WeakMap<Registry['db'], CompiledQuery>();

function resolverQuery(reg: Registry): CompiledQuery {
  let compiled = compiledResolver.get(reg.db);
  if (!compiled) {
    compiled = prepared(
      providers(reg, [NAME_PARAMETER as unknown as string])
        .innerJoin('publishers', 'publishers.id', 'nodes.publisher_id')
        .leftJoin('node_versions as latest', 'latest.id', 'nodes.latest_version_id')
        .selectAll('nodes')
        .select([...prefixed('publishers', PUBLISHER_COLUMNS, 'p__'), ...prefixed('latest', VERSION_COLUMNS, 'v__')])
        .compile(),
    );
    compiledResolver.set(reg.db, compiled);
  }
  return compiled;
}

type ProviderRow = NodeRow & Record<string, unknown>;

/**
 * GetNodeByComfyNodeName: the pack that provides `name`, with its publisher and latest version.
 * This is the hottest read path (every unknown type of a loaded workflow), so it is one query,
 * built with Kysely once and then only executed with the name bound.
 */
export async function resolveComfyNodeName(reg: Registry, name: string): Promise<Provider | undefined> {
  if (!storable(name)) return undefined;
  const query = resolverQuery(reg);
  const parameters = query.parameters.map((p) => (p === NAME_PARAMETER ? name : p));
  const { rows } = await reg.db.executeQuery<ProviderRow>({ ...query, parameters, queryId: createQueryId() });
  const top = best(name, rows);
  if (!top) return undefined;
  const latest = top.v__id === null ? undefined : unprefixed<NodeVersionRow>(top, VERSION_COLUMNS, 'v__');
  return { node: top, publisher: unprefixed<PublisherRow>(top, PUBLISHER_COLUMNS, 'p__'), latest };
}

/** The providing pack and its latest version for each name (null when nothing provides it). */
export async function resolveNames(reg: Registry, names: string[]): Promise<Map<string, Resolution | null>> {
  const distinct = [...new Set(names)];
  const byName = new Map<string, Candidate[]>();
  for (const row of await candidates(reg, distinct.filter(storable))) {
    const list = byName.get(row.comfy_node_name) ?? [];
    list.push(row);
    byName.set(row.comfy_node_name, list);
  }
  const winners = new Map<string, NodeRow>();
  for (const [name, rows] of byName) winners.set(name, best(name, rows)!);
  const versions = await versionsByIds(
    reg.db,
    [...winners.values()].map((n) => n.latest_version_id),
  );
  const out = new Map<string, Resolution | null>();
  for (const name of distinct) {
    const node = winners.get(name);
    out.set(
      name,
      node ? { node_id: node.id, version: versions.get(node.latest_version_id ?? '')?.version ?? '', source: 'registry' } : null,
    );
  }
  return out;
}

/** What a workflow says about one node type: the pack (`cnr_id`) and version (`ver`) that saved it. */
export interface WorkflowNodeType {
  cnrId?: string;
  ver?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

function noteType(types: Map<string, WorkflowNodeType>, type: unknown, properties: unknown): void {
  const name = text(type);
  if (name === undefined) return;
  const seen = types.get(name) ?? {};
  if (seen.cnrId === undefined && isObject(properties) && text(properties.cnr_id)) {
    seen.cnrId = text(properties.cnr_id);
    seen.ver = text(properties.ver);
  }
  types.set(name, seen);
  if (types.size > MAX_RESOLVE_NAMES) throw fail('TOO_MANY_NAMES', MAX_RESOLVE_NAMES);
}

/**
 * The distinct node types of a ComfyUI workflow, in order of appearance. UI format: `nodes[]` with
 * `type`, plus the nodes of every subgraph definition (`definitions.subgraphs[].nodes`, nested
 * definitions too); a node whose type is a subgraph id is an instance of it, not a node type.
 * API format: `{ "<id>": { "class_type": … } }`.
 */
export function workflowNodeTypes(workflow: Record<string, unknown>): Map<string, WorkflowNodeType> {
  const types = new Map<string, WorkflowNodeType>();
  if (!Array.isArray(workflow.nodes)) {
    for (const node of Object.values(workflow)) if (isObject(node)) noteType(types, node.class_type, undefined);
    return types;
  }
  const graphs: Record<string, unknown>[] = [workflow];
  const subgraphIds = new Set<string>();
  const nodes: Record<string, unknown>[] = [];
  for (let i = 0; i < graphs.length; i++) {
    const graph = graphs[i];
    // A loop, not push(...): a 16 MiB body can hold more nodes than a call takes arguments.
    if (Array.isArray(graph.nodes)) for (const n of graph.nodes) if (isObject(n)) nodes.push(n);
    const subgraphs = isObject(graph.definitions) ? graph.definitions.subgraphs : undefined;
    if (!Array.isArray(subgraphs)) continue;
    for (const sg of subgraphs.filter(isObject)) {
      const id = text(sg.id);
      if (id !== undefined) {
        if (subgraphIds.has(id)) continue;
        subgraphIds.add(id);
      }
      graphs.push(sg);
    }
  }
  for (const node of nodes) if (!(typeof node.type === 'string' && subgraphIds.has(node.type))) noteType(types, node.type, node.properties);
  return types;
}

/**
 * Bulk resolution of a workflow: a type whose nodes carry `cnr_id` is answered from it (the pack
 * found by that id, `ver` or else its latest version; null when this registry has no such pack),
 * every other type by name. A bounded number of queries, whatever the number of types.
 */
export async function resolveWorkflow(reg: Registry, workflow: Record<string, unknown>): Promise<Map<string, Resolution | null>> {
  const types = workflowNodeTypes(workflow);
  const byName = [...types].filter(([, t]) => t.cnrId === undefined).map(([name]) => name);
  const named = await resolveNames(reg, byName);
  const packs = await activeNodesByKey(
    reg,
    [...types.values()].flatMap((t) => (t.cnrId ? [t.cnrId.toLowerCase()] : [])),
  );
  const latest = await versionsByIds(
    reg.db,
    [...packs.values()].map((n) => n.latest_version_id),
  );
  const out = new Map<string, Resolution | null>();
  for (const [name, t] of types) {
    if (t.cnrId === undefined) {
      out.set(name, named.get(name) ?? null);
      continue;
    }
    const node = packs.get(t.cnrId.toLowerCase());
    const version = t.ver ?? latest.get(node?.latest_version_id ?? '')?.version ?? '';
    out.set(name, node ? { node_id: node.id, version, source: 'cnr_id' } : null);
  }
  return out;
}

async function activeNodesByKey(reg: Registry, keys: string[]): Promise<Map<string, NodeRow>> {
  const distinct = [...new Set(keys)];
  const out = new Map<string, NodeRow>();
  for (let i = 0; i < distinct.length; i += CHUNK) {
    const rows = await reg.db
      .selectFrom('nodes')
      .selectAll()
      .where('key', 'in', distinct.slice(i, i + CHUNK))
      .where('status', '=', 'NodeStatusActive')
      .execute();
    for (const r of rows) out.set(r.key, r);
  }
  return out;
}

/** GetNodeByComfyNodeName: the providing pack, or COMFY_NODE_NOT_FOUND. */
export async function requireProvider(reg: Registry, name: string): Promise<Provider> {
  const found = await resolveComfyNodeName(reg, name);
  if (!found) throw fail('COMFY_NODE_NOT_FOUND', `${name} in any node pack`);
  return found;
}

/** Bulk resolution: exactly one of `names` and `workflow`. */
export async function resolveRequest(
  reg: Registry,
  input: { names?: string[]; workflow?: Record<string, unknown> },
): Promise<Map<string, Resolution | null>> {
  if ((input.names === undefined) === (input.workflow === undefined)) throw fail('BAD_RESOLVE_REQUEST');
  return input.names !== undefined ? resolveNames(reg, input.names) : resolveWorkflow(reg, input.workflow!);
}
