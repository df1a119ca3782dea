import type { Kysely, Transaction } from 'kysely';
import { REFUSED_EXTRACT_STATUS, type VersionStatus } from '../contract/index.js';
import type { Database, NodeVersionRow } from '../db/schema.js';
import type { Registry } from './registry.js';
import { compareVersions } from './semver.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Versions a git clone or a Manager channel hands out: approved (Pending ones wait for review), not
 * unpublished nor banned, uploaded, and not refused by the extractor.
 */
export const HISTORY_VERSION_STATUSES: VersionStatus[] = ['NodeVersionStatusActive', 'NodeVersionStatusFlagged'];

/** `selectFrom('node_versions')` narrowed to the versions of the history. */
export function historyVersions(db: Db) {
  return db
    .selectFrom('node_versions')
    .where('node_versions.status', 'in', HISTORY_VERSION_STATUSES)
    .where('node_versions.archive_key', 'is not', null)
    .where('node_versions.comfy_node_extract_status', '!=', REFUSED_EXTRACT_STATUS);
}

/** A pack's history versions, oldest first in semver order. */
export async function packHistory(db: Db, nodeId: string): Promise<NodeVersionRow[]> {
  const rows = await historyVersions(db).selectAll().where('node_id', '=', nodeId).execute();
  return rows.sort((a, b) => compareVersions(a.version, b.version));
}

/**
 * Where a pack is cloned from. Manager names the install folder after the URL's last segment with
 * its extension cut off, so an id with a dot gets a `.git` suffix to keep the whole id.
 */
export const gitUrl = (reg: Pick<Registry, 'publicUrl'>, nodeId: string): string =>
  `${reg.publicUrl}/git/${nodeId}${nodeId.includes('.') ? '.git' : ''}`;
