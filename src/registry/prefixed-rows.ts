import { sql } from 'kysely';
import type { NodeVersionRow, PublisherRow } from '../db/schema.js';

/*
 * Rows of several tables read in one query: each joined table's columns under a prefix, and back.
 * One query instead of one per table matters on the hot paths (the resolver, installs), where each
 * round trip to PostgreSQL costs more than the query itself.
 */

/* Every column, so that a row read under a prefix is complete (the compiler checks the lists). */
export const PUBLISHER_COLUMNS: Record<keyof PublisherRow, true> = {
  id: true,
  name: true,
  description: true,
  website: true,
  support: true,
  source_code_repo: true,
  logo: true,
  status: true,
  created_at: true,
};
export const VERSION_COLUMNS: Record<keyof NodeVersionRow, true> = {
  id: true,
  node_id: true,
  version: true,
  changelog: true,
  dependencies: true,
  deprecated: true,
  status: true,
  status_reason: true,
  comfy_node_extract_status: true,
  comfy_node_extract_reason: true,
  cloud_build_info: true,
  archive_key: true,
  archive_size: true,
  archive_sha256: true,
  supported_os: true,
  supported_accelerators: true,
  supported_comfyui_version: true,
  supported_comfyui_frontend_version: true,
  created_at: true,
};

export function prefixed(table: string, columns: object, prefix: string) {
  return Object.keys(columns).map((c) => sql.ref<unknown>(`${table}.${c}`).as(`${prefix}${c}`));
}

export function unprefixed<T>(row: Record<string, unknown>, columns: object, prefix: string): T {
  return Object.fromEntries(Object.keys(columns).map((c) => [c, row[`${prefix}${c}`]])) as T;
}
