import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { RegistryError, fail } from '../../contract/index.js';
import type { MirrorArchivesTable } from '../../db/schema.js';
import { ArchiveTooLargeError } from '../../storage/archive-store.js';
import { teeForStore } from '../../storage/tee.js';
import { UplinkFailure } from '../../uplink/client.js';
import { timestamp, type Registry } from '../registry.js';
import { normalizeVersion } from '../semver.js';
import { announceCommitted, keys } from '../changes.js';
import { mirrorOf } from './cache.js';
import { packKey, readsThroughUplink, upstreamComfyNodes, upstreamVersion } from './reads.js';
import { ownExtractionStatuses } from './extracted.js';

/*
 * Upstream archives through the mirror: the first download fetches the archive (from allowed hosts
 * only), streams it to the client while storing it with its SHA-256; every later one comes from the
 * store, whatever the uplink does. A stored version is never replaced: different bytes fetched
 * later for it are refused and logged.
 */

export async function storedMirrorArchive(reg: Registry, nodeId: string, version: string): Promise<MirrorArchivesTable | undefined> {
  const forms = [...new Set([version, normalizeVersion(version) ?? version])];
  return reg.db
    .selectFrom('mirror_archives')
    .selectAll()
    .where('node_key', '=', packKey(nodeId))
    .where('version', 'in', forms)
    .executeTakeFirst();
}

async function fromStore(reg: Registry, row: MirrorArchivesTable): Promise<{ stream: Readable; size: number }> {
  let found;
  try {
    found = await reg.store.get(row.archive_key);
  } catch (err) {
    throw Object.assign(fail('ARCHIVE_STORE_UNAVAILABLE'), { cause: err });
  }
  if (!found) throw fail('ARCHIVE_NOT_FOUND');
  return found;
}

/** The archive of an upstream version, to stream to a client: from the store, or fetched now and stored on the way. */
export async function openMirrorArchive(reg: Registry, nodeId: string, version: string): Promise<{ stream: Readable; size?: number }> {
  if (!(await readsThroughUplink(reg, nodeId))) throw fail('ARCHIVE_NOT_FOUND');
  const stored = await storedMirrorArchive(reg, nodeId, version);
  if (stored) return fromStore(reg, stored);
  const { stream, size, done } = await fetchArchive(reg, nodeId, version);
  // The client's copy streams now; storing finishes on its own (also when the client leaves).
  done.catch(() => {});
  return { stream, size };
}

/**
 * Fetches an upstream version's archive and stores it. `stream` carries the bytes to a client;
 * `done` settles once they are stored (or refused).
 */
export async function fetchArchive(
  reg: Registry,
  nodeId: string,
  version: string,
): Promise<{ stream: Readable; size: number | undefined; done: Promise<MirrorArchivesTable> }> {
  const mirror = mirrorOf(reg);
  const v = (await upstreamVersion(reg, nodeId, version)).value;
  if (!v.downloadUrl || !mirror.client) throw fail('ARCHIVE_NOT_FOUND');
  let opened;
  try {
    opened = await mirror.client.openArchive(v.downloadUrl, mirror.maxArchive);
  } catch (err) {
    if (err instanceof UplinkFailure) throw fail('UPLINK_UNAVAILABLE', err.message);
    throw err;
  }
  const { toStore, toClient, finishClient } = teeForStore(opened.stream);
  const key = `uplink/${packKey(nodeId)}/${v.version}-${randomBytes(4).toString('hex')}.zip`;
  const done = storeFetched(reg, { nodeId, version: v.version!, url: v.downloadUrl, key }, toStore);
  done.then(finishClient, (err: unknown) => {
    mirror.log.warn({ node: nodeId, version: v.version, err: (err as Error).message }, 'storing an upstream archive failed');
    toClient.destroy(err as Error);
  });
  return { stream: toClient, size: opened.size, done };
}

async function storeFetched(
  reg: Registry,
  f: { nodeId: string; version: string; url: string; key: string },
  body: Readable,
): Promise<MirrorArchivesTable> {
  const mirror = mirrorOf(reg);
  let put;
  try {
    put = await reg.store.put(f.key, body, mirror.maxArchive);
  } catch (err) {
    if (err instanceof ArchiveTooLargeError) throw new RegistryError('ARCHIVE_TOO_LARGE', err.limit);
    throw err;
  }
  const row: MirrorArchivesTable = {
    node_key: packKey(f.nodeId),
    version: f.version,
    archive_key: f.key,
    size: put.size,
    sha256: put.sha256,
    source_url: f.url,
    stored_at: timestamp(reg),
  };
  await reg.db
    .insertInto('mirror_archives')
    .values(row)
    .onConflict((oc) => oc.columns(['node_key', 'version']).doNothing())
    .execute();
  const kept = (await storedMirrorArchive(reg, f.nodeId, f.version))!;
  if (kept.archive_key === f.key) {
    // The Manager channel files list upstream packs with a stored archive.
    await announceCommitted(reg, [keys.pack(kept.node_key)]);
    reg.events.emit('mirrorArchiveStored', kept.node_key, kept.version);
  } else {
    // Another download stored this version first: the version keeps those bytes.
    await reg.store.delete(f.key);
    if (kept.sha256 !== put.sha256)
      mirror.log.warn(
        { node: f.nodeId, version: f.version, kept: kept.sha256, refused: put.sha256 },
        'upstream served different bytes for a stored version; kept the stored ones',
      );
  }
  return kept;
}

/**
 * Fetches a stored version's archive again and compares it with the stored bytes (sync's check).
 * Returns whether upstream still serves the same bytes; different ones are refused and logged.
 */
export async function verifyArchive(reg: Registry, nodeId: string, version: string): Promise<boolean> {
  const kept = await storedMirrorArchive(reg, nodeId, version);
  if (!kept) throw fail('ARCHIVE_NOT_FOUND');
  const mirror = mirrorOf(reg);
  const v = (await upstreamVersion(reg, nodeId, version)).value;
  if (!v.downloadUrl || !mirror.client) return true;
  const { stream } = await mirror.client.openArchive(v.downloadUrl, mirror.maxArchive).catch((err: unknown) => {
    throw err instanceof UplinkFailure ? fail('UPLINK_UNAVAILABLE', err.message) : err;
  });
  const hash = createHash('sha256');
  try {
    for await (const chunk of stream) hash.update(chunk as Buffer);
  } catch (err) {
    // A download that broke off says nothing about upstream's bytes: a failure, not a difference.
    throw err instanceof UplinkFailure ? fail('UPLINK_UNAVAILABLE', err.message) : err;
  }
  const sha256 = hash.digest('hex');
  if (sha256 === kept.sha256) return true;
  mirror.log.warn(
    { node: nodeId, version: kept.version, kept: kept.sha256, refused: sha256 },
    'upstream served different bytes for a stored version; kept the stored ones',
  );
  return false;
}

/**
 * Whether comfyreg should extract this upstream version itself: its archive is stored, upstream has
 * no comfy nodes for it, and comfyreg has not extracted it yet. An uplink that cannot say means not now.
 */
export async function needsOwnExtraction(reg: Registry, nodeId: string, version: string): Promise<boolean> {
  if (!(await storedMirrorArchive(reg, nodeId, version))) return false;
  if ((await ownExtractionStatuses(reg, nodeId)).has(version)) return false;
  try {
    return (await upstreamComfyNodes(reg, nodeId, version)).value.length === 0;
  } catch (err) {
    if (err instanceof RegistryError) return false;
    throw err;
  }
}

/** A stored upstream archive's bytes, for extraction (no larger than the mirror's archive limit). */
export async function readMirrorArchive(reg: Registry, nodeId: string, version: string): Promise<Buffer> {
  const row = await storedMirrorArchive(reg, nodeId, version);
  if (!row) throw fail('ARCHIVE_NOT_FOUND');
  const { stream } = await fromStore(reg, row);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
