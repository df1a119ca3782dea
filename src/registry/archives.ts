import type { Readable } from 'node:stream';
import { fail } from '../contract/index.js';
import { isArchiveKey } from '../storage/archive-store.js';
import type { Registry } from './registry.js';
import { isRefused } from './versions.js';

/**
 * A stored archive to download: ARCHIVE_NOT_FOUND when there is none, VERSION_REFUSED when the
 * extractor refused it (admins excepted), ARCHIVE_STORE_UNAVAILABLE
 * (a 5xx that is logged with its cause) when the store fails, never a 404 for a store fault.
 */
export async function openArchive(reg: Registry, key: string, opts: { admin?: boolean } = {}): Promise<{ stream: Readable; size: number }> {
  if (!isArchiveKey(key)) throw fail('ARCHIVE_NOT_FOUND');
  // Only admins may fetch what the extractor refused (to look at it); nobody installs it.
  const version = await reg.db
    .selectFrom('node_versions')
    .select(['node_id', 'version', 'comfy_node_extract_status', 'comfy_node_extract_reason'])
    .where('archive_key', '=', key)
    .executeTakeFirst();
  if (version && isRefused(version) && !opts.admin)
    throw fail('VERSION_REFUSED', version.version, version.node_id, version.comfy_node_extract_reason);
  let found;
  try {
    found = await reg.store.get(key);
  } catch (err) {
    throw Object.assign(fail('ARCHIVE_STORE_UNAVAILABLE'), { cause: err });
  }
  if (!found) throw fail('ARCHIVE_NOT_FOUND');
  return found;
}
