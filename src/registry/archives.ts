import type { Readable } from 'node:stream';
import { fail } from '../contract/index.js';
import { isArchiveKey } from '../storage/archive-store.js';
import type { Registry } from './registry.js';

/**
 * A stored archive to download: ARCHIVE_NOT_FOUND when there is none, ARCHIVE_STORE_UNAVAILABLE
 * (a 5xx that is logged with its cause) when the store fails, never a 404 for a store fault.
 */
export async function openArchive(reg: Registry, key: string): Promise<{ stream: Readable; size: number }> {
  if (!isArchiveKey(key)) throw fail('ARCHIVE_NOT_FOUND');
  let found;
  try {
    found = await reg.store.get(key);
  } catch (err) {
    throw Object.assign(fail('ARCHIVE_STORE_UNAVAILABLE'), { cause: err });
  }
  if (!found) throw fail('ARCHIVE_NOT_FOUND');
  return found;
}
