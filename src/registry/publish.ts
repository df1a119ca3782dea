import { randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { RegistryError, fail, type NodeInput, type PublishRequest } from '../contract/index.js';
import { isUniqueViolation } from '../db/database.js';
import type { NodeVersionRow } from '../db/schema.js';
import { ArchiveTooLargeError } from '../storage/archive-store.js';
import { queueExtraction } from './extraction-queue.js';
import { assertNodeId, findNode, newNodeRow, nodeColumns, refreshLatest } from './nodes.js';
import { assertPublisherActive, getPublisher, verifyAccessToken } from './publishers.js';
import { timestamp, type Registry } from './registry.js';
import { hmac, sameSignature } from './secrets.js';
import { announceCommitted, keys } from './changes.js';
import { normalizeVersion } from './semver.js';
import { assertIdFreeUpstream } from './mirror/ownership.js';

export const UPLOAD_TTL_SECONDS = 15 * 60;

/** Fields an admin sets on a node; a publish body cannot carry them, so they are dropped. */
function publishableNodeFields(node: NodeInput | undefined): NodeInput {
  const { preempted_comfy_node_names: _p, search_ranking: _s, ...rest } = node ?? {};
  return rest;
}

export async function publishVersion(
  reg: Registry,
  publisherId: string,
  nodeId: string,
  input: PublishRequest,
): Promise<{ version: NodeVersionRow; signedUrl: string }> {
  const publisher = await getPublisher(reg, publisherId);
  assertPublisherActive(publisher);
  const existing = await findNode(reg.db, nodeId);
  if (existing?.status === 'NodeStatusBanned') throw fail('NODE_BANNED', existing.id);
  if (existing && existing.publisher_id !== publisherId) throw fail('NODE_OF_OTHER_PUBLISHER', existing.id);
  await verifyAccessToken(reg, publisherId, input.personal_access_token);
  if (!existing) {
    assertNodeId(nodeId);
    await assertIdFreeUpstream(reg, nodeId);
  }

  const written = input.node_version?.version ?? '';
  const version = normalizeVersion(written);
  if (!version) throw fail('INVALID_VERSION', written);
  const columns = nodeColumns(publishableNodeFields(input.node));
  const createdAt = timestamp(reg);
  const nv = input.node_version ?? {};
  const row: NodeVersionRow = {
    id: randomUUID(),
    node_id: existing?.id ?? nodeId,
    version,
    changelog: nv.changelog ?? '',
    dependencies: JSON.stringify(nv.dependencies ?? []),
    deprecated: nv.deprecated ? 1 : 0,
    status: reg.review ? 'NodeVersionStatusPending' : 'NodeVersionStatusActive',
    status_reason: '',
    comfy_node_extract_status: 'pending',
    comfy_node_extract_reason: '',
    cloud_build_info: '{}',
    archive_key: null,
    archive_size: null,
    archive_sha256: null,
    supported_os: JSON.stringify(nv.supported_os ?? []),
    supported_accelerators: JSON.stringify(nv.supported_accelerators ?? []),
    supported_comfyui_version: nv.supported_comfyui_version ?? '',
    supported_comfyui_frontend_version: nv.supported_comfyui_frontend_version ?? '',
    created_at: createdAt,
  };
  try {
    await reg.db.transaction().execute(async (trx) => {
      // Two first publishes of one new node may race: both create it if missing, then use whichever row won.
      if (!existing) {
        await trx
          .insertInto('nodes')
          .values(newNodeRow(nodeId, publisherId, columns, createdAt))
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      const node = (await findNode(trx, nodeId))!;
      if (node.publisher_id !== publisherId) throw fail('NODE_OF_OTHER_PUBLISHER', node.id);
      if (Object.keys(columns).length > 0) await trx.updateTable('nodes').set(columns).where('id', '=', node.id).execute();
      row.node_id = node.id;
      await trx.insertInto('node_versions').values(row).execute();
      await refreshLatest(trx, row.node_id);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw fail('VERSION_EXISTS');
    throw err;
  }
  await announceCommitted(reg, [keys.pack(row.node_id)]);
  return { version: row, signedUrl: signUploadUrl(reg, row.id) };
}

function uploadSignature(reg: Registry, versionId: string, expires: number): string {
  return hmac(reg.signingSecret, `PUT\n${versionId}\n${expires}`);
}

export function signUploadUrl(reg: Registry, versionId: string, ttlSeconds = UPLOAD_TTL_SECONDS): string {
  const expires = Math.floor(reg.clock.now() / 1000) + ttlSeconds;
  return `${reg.publicUrl}/archives/upload/${versionId}?expires=${expires}&signature=${uploadSignature(reg, versionId, expires)}`;
}

export function archiveUrl(reg: Registry, key: string | null): string {
  return key ? `${reg.publicUrl}/archives/${key}` : '';
}

/** The signed-URL upload: checks signature and expiry, stores the archive once, queues extraction. */
export async function storeUpload(
  reg: Registry,
  versionId: string,
  query: { expires?: string; signature?: string },
  body: Readable,
  maxBytes: number,
): Promise<NodeVersionRow> {
  const expires = Number(query.expires);
  const expected = Number.isSafeInteger(expires) ? uploadSignature(reg, versionId, expires) : '';
  if (!expected || !query.signature || !sameSignature(expected, query.signature)) throw fail('INVALID_SIGNATURE');
  if (expires < reg.clock.now() / 1000) throw fail('UPLOAD_URL_EXPIRED');
  const version = await reg.db.selectFrom('node_versions').selectAll().where('id', '=', versionId).executeTakeFirst();
  if (!version) throw fail('VERSION_NOT_FOUND', versionId);
  if (version.archive_key) throw fail('UPLOAD_URL_USED');

  // A unique key per attempt: a concurrent second upload never overwrites the winner's file.
  const key = `${version.node_id}/${version.version}-${randomBytes(4).toString('hex')}.zip`;
  let stored;
  try {
    stored = await reg.store.put(key, body, maxBytes);
  } catch (err) {
    if (err instanceof ArchiveTooLargeError) throw new RegistryError('ARCHIVE_TOO_LARGE', err.limit);
    throw err;
  }
  const won = await reg.db.transaction().execute(async (trx) => {
    const res = await trx
      .updateTable('node_versions')
      .set({ archive_key: key, archive_size: stored.size, archive_sha256: stored.sha256 })
      .where('id', '=', versionId)
      .where('archive_key', 'is', null)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return false;
    await queueExtraction(trx, versionId, timestamp(reg));
    return true;
  });
  if (!won) {
    await reg.store.delete(key);
    throw fail('UPLOAD_URL_USED');
  }
  await announceCommitted(reg, [keys.pack(version.node_id)]);
  reg.events.emit('jobQueued');
  return { ...version, archive_key: key, archive_size: stored.size, archive_sha256: stored.sha256 };
}
