import fs from 'node:fs';
import path from 'node:path';
import { RegistryError, fail, type NodeVersion, type VersionStatus } from '../../contract/index.js';
import type { MirrorArchivesTable } from '../../db/schema.js';
import type { PlannedCommit, PlannedHistory } from '../git-repos.js';
import type { Registry } from '../registry.js';
import { compareVersions } from '../semver.js';
import { fetchArchive } from './archives.js';
import { mirrorOf } from './cache.js';
import { once } from './mirror.js';
import { mirrorInstall, mirrorNode, mirrorVersions, packKey } from './reads.js';

/*
 * An upstream pack (one not held locally) as a git repository: one commit per version whose archive
 * the mirror has stored, with the kept upstream answers' metadata. Nothing else is fetched for a
 * clone, except the latest version's archive when none is stored yet, through the mirror's own
 * archive path (allowed hosts, SHA-256, stored versions never replaced).
 */

/** Under the git root, beside the local packs' folders; no pack id starts with a dot. */
export const UPLINK_GIT_DIR = '.uplink';

/** Ids that can name a folder: a letter or digit first, so never `.` or `..`. */
const FOLDER_SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Upstream statuses of versions a clone does not get, as for local packs. */
const LEFT_OUT: VersionStatus[] = ['NodeVersionStatusBanned', 'NodeVersionStatusDeleted', 'NodeVersionStatusPending'];

const isCode = (err: unknown, code: string) => err instanceof RegistryError && err.code === code;

async function storedArchives(reg: Registry, nodeId: string): Promise<MirrorArchivesTable[]> {
  return reg.db.selectFrom('mirror_archives').selectAll().where('node_key', '=', packKey(nodeId)).execute();
}

/** First clone of a pack with no stored archive: its latest version's archive is fetched and stored. */
async function storeLatestArchive(reg: Registry, nodeId: string): Promise<void> {
  const mirror = mirrorOf(reg);
  if (!mirror.client) return;
  await once(mirror, `git-first-archive:${packKey(nodeId)}`, async () => {
    const latest = (await mirrorInstall(reg, nodeId)).value.version;
    if (!latest) return;
    const { stream, done } = await fetchArchive(reg, nodeId, latest);
    // Nobody reads the client's copy: let it flow away while the store gets every byte.
    stream.resume();
    await done;
  });
}

/** Upstream's metadata of each version, by version, as kept (revalidated past max age, stale when the uplink fails). */
async function listedVersions(reg: Registry, nodeId: string): Promise<Map<string, NodeVersion>> {
  const list = (await mirrorVersions(reg, nodeId)).value;
  return new Map(list.filter((v) => v.version).map((v) => [v.version!, v]));
}

/**
 * The history of upstream pack `nodeId`, for a registry with an uplink where no local pack has the
 * id. NODE_NOT_FOUND when upstream has no such pack (its repositories go), NO_INSTALLABLE_VERSION
 * when no archive of a listed version is stored and none could be fetched.
 */
export async function upstreamHistory(reg: Registry, gitRoot: string, nodeId: string): Promise<PlannedHistory> {
  if (!FOLDER_SAFE_ID.test(nodeId)) throw fail('NODE_NOT_FOUND', nodeId);
  const packDir = path.join(gitRoot, UPLINK_GIT_DIR, packKey(nodeId));
  let node;
  try {
    node = (await mirrorNode(reg, nodeId)).value;
  } catch (err) {
    if (isCode(err, 'NODE_NOT_FOUND')) await fs.promises.rm(packDir, { recursive: true, force: true });
    throw err;
  }
  let stored = await storedArchives(reg, nodeId);
  if (stored.length === 0) {
    await storeLatestArchive(reg, nodeId);
    stored = await storedArchives(reg, nodeId);
  }
  const listed = await listedVersions(reg, nodeId);
  const publisherId = node.publisher?.id || 'upstream';
  const authorName = node.publisher?.name || publisherId;
  const commits: PlannedCommit[] = [];
  for (const row of stored) {
    const v = listed.get(row.version);
    // Upstream no longer lists it (unpublished there) or holds it back: not in the history.
    if (!v || (v.status && LEFT_OUT.includes(v.status))) continue;
    const published = Date.parse(v.createdAt ?? '');
    commits.push({
      id: `${row.version}:${row.sha256}`,
      archiveKey: row.archive_key,
      version: row.version,
      authorName,
      authorEmail: `${publisherId}@uplink`,
      time: Math.floor((Number.isNaN(published) ? Date.parse(row.stored_at) : published) / 1000),
      message: v.changelog?.trim() || `Version ${row.version}`,
    });
  }
  if (commits.length === 0) throw fail('NO_INSTALLABLE_VERSION', nodeId);
  commits.sort((a, b) => compareVersions(a.version, b.version));
  return { nodeId: node.id ?? nodeId, packDir, commits };
}
