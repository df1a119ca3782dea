import type { Readable } from 'node:stream';
import { fail } from '../contract/index.js';
import { isArchiveKey } from '../storage/archive-store.js';
import type { Registry } from './registry.js';
import { isRefused } from './versions.js';

/** The version an archive key belongs to (undefined for none), refusing what the caller may not fetch. */
async function versionOfArchive(reg: Registry, key: string, opts: { admin?: boolean }) {
  if (!isArchiveKey(key)) throw fail('ARCHIVE_NOT_FOUND');
  // Only admins may fetch what the extractor refused (to look at it); nobody installs it.
  const version = await reg.db
    .selectFrom('node_versions')
    .select(['node_id', 'version', 'comfy_node_extract_status', 'comfy_node_extract_reason'])
    .where('archive_key', '=', key)
    .executeTakeFirst();
  if (version && isRefused(version) && !opts.admin)
    throw fail('VERSION_REFUSED', version.version, version.node_id, version.comfy_node_extract_reason);
  return version;
}

/**
 * A stored archive to download: ARCHIVE_NOT_FOUND when there is none, VERSION_REFUSED when the
 * extractor refused it (admins excepted), ARCHIVE_STORE_UNAVAILABLE
 * (a 5xx that is logged with its cause) when the store fails, never a 404 for a store fault.
 */
export async function openArchive(reg: Registry, key: string, opts: { admin?: boolean } = {}): Promise<{ stream: Readable; size: number }> {
  await versionOfArchive(reg, key, opts);
  let found;
  try {
    found = await reg.store.get(key);
  } catch (err) {
    throw Object.assign(fail('ARCHIVE_STORE_UNAVAILABLE'), { cause: err });
  }
  if (!found) throw fail('ARCHIVE_NOT_FOUND');
  return found;
}

/**
 * Where a client may fetch the archive itself for `ttlSeconds` (redirect downloads), or null when
 * the store has no such URLs. The same checks as `openArchive`; only archives of a known version are
 * signed, so that a made-up key answers 404 here and not at the bucket.
 */
export async function presignArchive(
  reg: Registry,
  key: string,
  ttlSeconds: number,
  opts: { admin?: boolean } = {},
): Promise<string | null> {
  if (!reg.store.presignedGetUrl) return null;
  const version = await versionOfArchive(reg, key, opts);
  if (!version) throw fail('ARCHIVE_NOT_FOUND');
  try {
    return await reg.store.presignedGetUrl(key, ttlSeconds);
  } catch (err) {
    throw Object.assign(fail('ARCHIVE_STORE_UNAVAILABLE'), { cause: err });
  }
}
