import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ExtractStatus, JobState, MemberRole, NodeStatus, Policy, PublisherStatus, VersionStatus } from '../contract/index.js';

/*
 * One schema for SQLite and PostgreSQL: booleans are 0/1 integers, JSON is text and
 * timestamps are ISO-8601 text, so every query reads the same on both databases.
 */
type Bool = number;
type JsonText = string;
type Timestamp = string;

export interface UsersTable {
  id: string;
  name: string;
  email: string;
  token_hash: string;
  is_admin: Bool;
  created_at: Timestamp;
}

export interface PublishersTable {
  id: string;
  name: string;
  description: string;
  website: string;
  support: string;
  source_code_repo: string;
  logo: string;
  status: PublisherStatus;
  created_at: Timestamp;
}

export interface PublisherMembersTable {
  publisher_id: string;
  user_id: string;
  role: MemberRole;
}

export interface AccessTokensTable {
  id: string;
  publisher_id: string;
  name: string;
  description: string;
  token_hash: string;
  token_hint: string;
  created_at: Timestamp;
}

export interface NodesTable {
  id: string;
  /** lower-cased id: node ids compare case-insensitively */
  key: string;
  publisher_id: string;
  name: string;
  description: string;
  author: string;
  license: string;
  icon: string;
  banner_url: string;
  repository: string;
  tags: JsonText;
  downloads: number;
  rating: number;
  status: NodeStatus;
  status_detail: string;
  preempted_comfy_node_names: JsonText;
  search_ranking: number | null;
  supported_os: JsonText;
  supported_accelerators: JsonText;
  supported_comfyui_version: string;
  supported_comfyui_frontend_version: string;
  /** highest semver among Active, Flagged and Pending versions */
  latest_version_id: string | null;
  /** highest semver among live versions whose comfy nodes were extracted successfully */
  latest_extracted_version_id: string | null;
  created_at: Timestamp;
}

export interface NodeVersionsTable {
  id: string;
  node_id: string;
  version: string;
  changelog: string;
  dependencies: JsonText;
  deprecated: Bool;
  status: VersionStatus;
  status_reason: string;
  comfy_node_extract_status: ExtractStatus;
  comfy_node_extract_reason: string;
  cloud_build_info: JsonText;
  archive_key: string | null;
  archive_size: number | null;
  archive_sha256: string | null;
  supported_os: JsonText;
  supported_accelerators: JsonText;
  supported_comfyui_version: string;
  supported_comfyui_frontend_version: string;
  created_at: Timestamp;
}

export interface ComfyNodesTable {
  node_version_id: string;
  comfy_node_name: string;
  category: string;
  description: string;
  function: string;
  input_types: JsonText;
  return_types: JsonText;
  return_names: JsonText;
  output_is_list: JsonText;
  deprecated: Bool;
  experimental: Bool;
  display_name: string;
  output_node: Bool;
  policy: Policy;
  created_at: Timestamp;
}

/** The comfy-node type index (migration 0009): one row per pack, comfy node of its newest extracted version, direction and type member. */
export interface ComfyNodeTypesTable {
  node_id: string;
  comfy_node_name: string;
  direction: 'input' | 'output';
  type: string;
  /** 1: the public sees it; 2: a ban of the comfy node or an inactive pack hides it */
  listed: number;
}

/** The same rows as (input type, output type) pairs of one comfy node. */
export interface ComfyNodeTypePairsTable {
  input_type: string;
  output_type: string;
  listed: number;
  comfy_node_name: string;
  node_id: string;
}

/** What comfy_node_types holds for one comfy node, as one string: syncing a pack compares these. */
export interface ComfyNodeTypeSigsTable {
  node_id: string;
  comfy_node_name: string;
  signature: string;
}

export interface ExtractionJobsTable {
  node_version_id: string;
  state: JobState;
  attempts: number;
  lease_owner: string | null;
  lease_until: Timestamp | null;
  last_error: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UiSessionsTable {
  /** sha-256 of the session cookie's value */
  id_hash: string;
  /** sha-256 of the token the session was opened with: its principal is that token's */
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface MetaTable {
  key: string;
  value: string;
}

/** An upstream answer (the contract's shape, as JSON), or an upstream "not found", with its fetch time. */
export interface UplinkCacheTable {
  key: string;
  found: Bool;
  body: JsonText;
  fetched_at: Timestamp;
}

/** Id patterns local packs may take although the uplink has them. */
export interface ReservedIdsTable {
  pattern: string;
  reason: string;
  created_at: Timestamp;
}

/** An upstream version's archive, fetched once and kept (versions are immutable). */
export interface MirrorArchivesTable {
  node_key: string;
  version: string;
  archive_key: string;
  size: number;
  sha256: string;
  source_url: string;
  stored_at: Timestamp;
}

/** comfyreg's own extraction of an upstream version that had no comfy nodes upstream. */
export interface MirrorExtractionsTable {
  node_key: string;
  version: string;
  status: ExtractStatus;
  reason: string;
  extracted_at: Timestamp;
}

export interface MirrorComfyNodesTable {
  node_key: string;
  version: string;
  comfy_node_name: string;
  /** `comfyreg`: its own extraction; `upstream`: a name from upstream's list, kept for resolving offline. */
  source: 'comfyreg' | 'upstream';
  /** The ComfyNode as served. */
  body: JsonText;
}

export interface Database {
  users: UsersTable;
  publishers: PublishersTable;
  publisher_members: PublisherMembersTable;
  access_tokens: AccessTokensTable;
  nodes: NodesTable;
  node_versions: NodeVersionsTable;
  comfy_nodes: ComfyNodesTable;
  comfy_node_types: ComfyNodeTypesTable;
  comfy_node_type_pairs: ComfyNodeTypePairsTable;
  comfy_node_type_sigs: ComfyNodeTypeSigsTable;
  extraction_jobs: ExtractionJobsTable;
  meta: MetaTable;
  ui_sessions: UiSessionsTable;
  uplink_cache: UplinkCacheTable;
  reserved_ids: ReservedIdsTable;
  mirror_archives: MirrorArchivesTable;
  mirror_extractions: MirrorExtractionsTable;
  mirror_comfy_nodes: MirrorComfyNodesTable;
}

export type UserRow = Selectable<UsersTable>;
export type PublisherRow = Selectable<PublishersTable>;
export type AccessTokenRow = Selectable<AccessTokensTable>;
export type NodeRow = Selectable<NodesTable>;
export type NewNode = Insertable<NodesTable>;
export type NodeUpdate = Updateable<NodesTable>;
export type NodeVersionRow = Selectable<NodeVersionsTable>;
export type NewNodeVersion = Insertable<NodeVersionsTable>;
export type ComfyNodeRow = Selectable<ComfyNodesTable>;
export type NewComfyNode = Insertable<ComfyNodesTable>;
export type NewComfyNodeType = Insertable<ComfyNodeTypesTable>;
export type NewComfyNodeTypePair = Insertable<ComfyNodeTypePairsTable>;
export type NewComfyNodeTypeSig = Insertable<ComfyNodeTypeSigsTable>;
export type ExtractionJobRow = Selectable<ExtractionJobsTable>;
