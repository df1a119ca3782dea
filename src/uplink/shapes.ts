import {
  NODE_STATUSES,
  POLICIES,
  PUBLISHER_STATUSES,
  VERSION_STATUSES,
  type ComfyNode,
  type Node,
  type NodeVersion,
  type Publisher,
} from '../contract/index.js';
import { UplinkFailure } from './client.js';

/*
 * Upstream answers to the contract's shapes. Upstream sends nulls and leaves fields out; both
 * become absent fields (comfyreg never answers null). A field of the wrong type is a wrongly
 * shaped answer: a failure of the uplink, like a timeout.
 */

type Kind = 'str' | 'strList' | 'bool' | 'num' | 'int' | readonly string[];
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function wrong(what: string, field: string): never {
  throw new UplinkFailure(`the uplink answered a ${what} whose ${field} has the wrong type`);
}

function pick(what: string, raw: Json, spec: Record<string, Kind>): Json {
  const out: Json = {};
  for (const [field, kind] of Object.entries(spec)) {
    const v = raw[field];
    if (v === null || v === undefined) continue;
    if (kind === 'str') {
      if (typeof v !== 'string') wrong(what, field);
      out[field] = v;
    } else if (kind === 'strList') {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) wrong(what, field);
      out[field] = v;
    } else if (kind === 'bool') {
      if (typeof v !== 'boolean') wrong(what, field);
      out[field] = v;
    } else if (kind === 'num' || kind === 'int') {
      if (typeof v !== 'number' || !Number.isFinite(v)) wrong(what, field);
      out[field] = kind === 'int' ? Math.trunc(v) : v;
    } else {
      if (typeof v !== 'string') wrong(what, field);
      // A status this build does not know is left out rather than passed on.
      if (kind.includes(v)) out[field] = v;
    }
  }
  return out;
}

const VERSION_SPEC: Record<string, Kind> = {
  id: 'str',
  node_id: 'str',
  version: 'str',
  changelog: 'str',
  dependencies: 'strList',
  deprecated: 'bool',
  downloadUrl: 'str',
  createdAt: 'str',
  status: VERSION_STATUSES,
  status_reason: 'str',
  comfy_node_extract_status: 'str',
  comfy_node_extract_reason: 'str',
  supported_os: 'strList',
  supported_accelerators: 'strList',
  supported_comfyui_version: 'str',
  supported_comfyui_frontend_version: 'str',
};

const PUBLISHER_SPEC: Record<string, Kind> = {
  id: 'str',
  name: 'str',
  description: 'str',
  website: 'str',
  support: 'str',
  source_code_repo: 'str',
  logo: 'str',
  createdAt: 'str',
  status: PUBLISHER_STATUSES,
};

const NODE_SPEC: Record<string, Kind> = {
  id: 'str',
  name: 'str',
  description: 'str',
  author: 'str',
  icon: 'str',
  banner_url: 'str',
  repository: 'str',
  tags: 'strList',
  rating: 'num',
  downloads: 'int',
  status: NODE_STATUSES,
  status_detail: 'str',
  created_at: 'str',
  preempted_comfy_node_names: 'strList',
  search_ranking: 'int',
  supported_os: 'strList',
  supported_accelerators: 'strList',
  supported_comfyui_version: 'str',
  supported_comfyui_frontend_version: 'str',
};

const COMFY_NODE_SPEC: Record<string, Kind> = {
  category: 'str',
  description: 'str',
  function: 'str',
  input_types: 'str',
  return_types: 'str',
  return_names: 'str',
  deprecated: 'bool',
  experimental: 'bool',
  display_name: 'str',
  output_node: 'bool',
  policy: POLICIES,
};

export function upstreamVersion(raw: unknown): NodeVersion {
  if (!isObject(raw)) throw new UplinkFailure('the uplink answered a version that is not an object');
  const v = pick('version', raw, VERSION_SPEC) as NodeVersion;
  if (!v.version) throw new UplinkFailure('the uplink answered a version without a version number');
  return v;
}

export function upstreamPublisher(raw: unknown): Publisher {
  if (!isObject(raw)) throw new UplinkFailure('the uplink answered a publisher that is not an object');
  return pick('publisher', raw, PUBLISHER_SPEC) as Publisher;
}

export function upstreamNode(raw: unknown): Node {
  if (!isObject(raw)) throw new UplinkFailure('the uplink answered a node that is not an object');
  const node = pick('node', raw, NODE_SPEC) as Node;
  if (!node.id) throw new UplinkFailure('the uplink answered a node without an id');
  // Upstream's license is text; older answers carried an object.
  if (typeof raw.license === 'string') node.license = raw.license;
  else if (isObject(raw.license)) node.license = JSON.stringify(raw.license);
  else if (raw.license !== null && raw.license !== undefined) wrong('node', 'license');
  if (raw.latest_version !== null && raw.latest_version !== undefined) node.latest_version = upstreamVersion(raw.latest_version);
  if (raw.publisher !== null && raw.publisher !== undefined) node.publisher = upstreamPublisher(raw.publisher);
  return node;
}

export function upstreamVersions(raw: unknown): NodeVersion[] {
  if (!Array.isArray(raw)) throw new UplinkFailure('the uplink answered a version list that is not an array');
  return raw.map(upstreamVersion);
}

export interface UpstreamNodePage {
  nodes: Node[];
  total: number;
}

export function upstreamNodePage(raw: unknown): UpstreamNodePage {
  if (!isObject(raw)) throw new UplinkFailure('the uplink answered a node list that is not an object');
  const nodes = raw.nodes === null || raw.nodes === undefined ? [] : raw.nodes;
  if (!Array.isArray(nodes)) wrong('node list', 'nodes');
  const total = raw.total === null || raw.total === undefined ? nodes.length : raw.total;
  if (typeof total !== 'number' || !Number.isInteger(total) || total < 0) wrong('node list', 'total');
  return { nodes: nodes.map(upstreamNode), total };
}

/** One comfy node; upstream names it `comfy_node_name` (newer) or `comfy_node_id` (older). */
export function upstreamComfyNode(raw: unknown): ComfyNode & { comfy_node_name: string } {
  if (!isObject(raw)) throw new UplinkFailure('the uplink answered a comfy node that is not an object');
  const name = raw.comfy_node_name ?? raw.comfy_node_id;
  if (typeof name !== 'string' || name === '') throw new UplinkFailure('the uplink answered a comfy node without a name');
  const out = pick('comfy node', raw, COMFY_NODE_SPEC) as ComfyNode;
  if (raw.output_is_list !== null && raw.output_is_list !== undefined) {
    if (!Array.isArray(raw.output_is_list) || raw.output_is_list.some((x) => typeof x !== 'boolean')) wrong('comfy node', 'output_is_list');
    out.output_is_list = raw.output_is_list as boolean[];
  }
  return { ...out, comfy_node_name: name };
}

/** A version's comfy nodes: `{comfy_nodes, totalNumberOfPages}`, or a bare array; null means none. */
export function upstreamComfyNodeList(raw: unknown): { comfyNodes: (ComfyNode & { comfy_node_name: string })[]; pages: number } {
  if (raw === null) return { comfyNodes: [], pages: 0 };
  if (Array.isArray(raw)) return { comfyNodes: raw.map(upstreamComfyNode), pages: 1 };
  if (!isObject(raw)) throw new UplinkFailure('the uplink answered a comfy-node list that is not an object');
  const list = raw.comfy_nodes === null || raw.comfy_nodes === undefined ? [] : raw.comfy_nodes;
  if (!Array.isArray(list)) wrong('comfy-node list', 'comfy_nodes');
  const pages = raw.totalNumberOfPages;
  if (pages !== null && pages !== undefined && (typeof pages !== 'number' || !Number.isInteger(pages)))
    wrong('comfy-node list', 'totalNumberOfPages');
  return { comfyNodes: list.map(upstreamComfyNode), pages: typeof pages === 'number' ? pages : 1 };
}
