import type { ComfyNode, ExtractionJob, Node, NodeList, NodeVersion, PersonalAccessToken, Publisher, User } from '../contract/index.js';
import { pageCount, type PageWindow } from '../registry/paging.js';
import type { AccessTokenRow, ComfyNodeRow, ExtractionJobRow, NodeRow, NodeVersionRow, PublisherRow, UserRow } from '../db/schema.js';
import type { NodeDetails } from '../registry/nodes.js';
import type { PublisherDetails, PublisherMemberRow } from '../registry/publishers.js';
import type { Registry } from '../registry/registry.js';
import { archiveUrl } from '../registry/publish.js';
import { isRefused } from '../registry/versions.js';

/** Rows to API shapes. Absent values become zero values, never null (contract §4). */

function list(text: string): string[] {
  try {
    const v = JSON.parse(text);
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

export function toPublisher(row: PublisherRow, members: PublisherMemberRow[] = []): Publisher {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    website: row.website,
    support: row.support,
    source_code_repo: row.source_code_repo,
    logo: row.logo,
    createdAt: row.created_at,
    status: row.status,
    members: members
      .filter((m) => m.publisher_id === row.id)
      .map((m) => ({ id: `${m.publisher_id}:${m.user_id}`, role: m.role, user: { id: m.user_id, email: m.email, name: m.name } })),
  };
}

export function toNodeVersion(reg: Registry, row: NodeVersionRow, opts: { admin?: boolean } = {}): NodeVersion {
  const out: NodeVersion = {
    id: row.id,
    node_id: row.node_id,
    version: row.version,
    changelog: row.changelog,
    dependencies: list(row.dependencies),
    deprecated: row.deprecated === 1,
    // A refused archive is not handed out; the extract status and reason say why.
    downloadUrl: isRefused(row) ? '' : archiveUrl(reg, row.archive_key),
    createdAt: row.created_at,
    status: row.status,
    status_reason: row.status_reason,
    comfy_node_extract_status: row.comfy_node_extract_status,
    comfy_node_extract_reason: row.comfy_node_extract_reason,
    supported_os: list(row.supported_os),
    supported_accelerators: list(row.supported_accelerators),
    supported_comfyui_version: row.supported_comfyui_version,
    supported_comfyui_frontend_version: row.supported_comfyui_frontend_version,
  };
  if (opts.admin) {
    const info = JSON.parse(row.cloud_build_info) as Record<string, string>;
    out.cloud_build_info = {
      build_id: info.build_id ?? '',
      location: info.location ?? '',
      project_id: info.project_id ?? '',
      project_number: info.project_number ?? '',
    };
  }
  return out;
}

export function toNode(
  reg: Registry,
  row: NodeRow,
  ctx: { publisher?: PublisherRow; latest?: NodeVersionRow; admin?: boolean } = {},
): Node {
  const out: Node = {
    id: row.id,
    name: row.name,
    description: row.description,
    author: row.author,
    license: row.license,
    icon: row.icon,
    banner_url: row.banner_url,
    repository: row.repository,
    tags: list(row.tags),
    rating: row.rating,
    downloads: row.downloads,
    status: row.status,
    status_detail: row.status_detail,
    created_at: row.created_at,
    preempted_comfy_node_names: list(row.preempted_comfy_node_names),
    supported_os: list(row.supported_os),
    supported_accelerators: list(row.supported_accelerators),
    supported_comfyui_version: row.supported_comfyui_version,
    supported_comfyui_frontend_version: row.supported_comfyui_frontend_version,
  };
  if (row.search_ranking !== null) out.search_ranking = row.search_ranking;
  if (ctx.publisher) out.publisher = toPublisher(ctx.publisher);
  if (ctx.latest) out.latest_version = toNodeVersion(reg, ctx.latest, { admin: ctx.admin });
  return out;
}

export function toComfyNode(
  row: ComfyNodeRow,
  extra: { node_id?: string; version?: string; wildcard_input_types?: string[] } = {},
): ComfyNode {
  return {
    comfy_node_name: row.comfy_node_name,
    category: row.category,
    description: row.description,
    function: row.function,
    input_types: row.input_types,
    return_types: row.return_types,
    return_names: row.return_names,
    output_is_list: JSON.parse(row.output_is_list),
    deprecated: row.deprecated === 1,
    experimental: row.experimental === 1,
    display_name: row.display_name,
    output_node: row.output_node === 1,
    policy: row.policy,
    ...extra,
  };
}

/** A NodeList answer: `totalPages` from the total, so every page up to it exists. */
export const toNodeList = (nodes: Node[], total: number, paging: PageWindow): NodeList => ({
  nodes,
  total,
  page: paging.page,
  limit: paging.limit,
  totalPages: pageCount(total, paging.limit),
});

export const toNodes = (reg: Registry, details: NodeDetails[], admin: boolean): Node[] =>
  details.map((d) => toNode(reg, d.node, { publisher: d.publisher, latest: d.latest, admin }));

/** The calling user; a configured admin token has no user row and answers as "admin". */
export function toUser(user: UserRow | undefined, admin: boolean): User {
  return {
    id: user?.id ?? 'admin',
    email: user?.email ?? '',
    name: user?.name ?? 'admin',
    isApproved: true,
    isAdmin: admin || user?.is_admin === 1,
  };
}

export const toAccessToken = (r: AccessTokenRow): PersonalAccessToken => ({
  id: r.id,
  name: r.name,
  description: r.description,
  createdAt: r.created_at,
  token: r.token_hint,
});

export const toExtractionJob = (j: ExtractionJobRow): ExtractionJob => ({
  node_version_id: j.node_version_id,
  state: j.state,
  attempts: j.attempts,
  lease_owner: j.lease_owner ?? '',
  lease_until: j.lease_until ?? '',
  last_error: j.last_error,
});

export const toPublisherDetails = (d: PublisherDetails): Publisher => toPublisher(d.publisher, d.members);
