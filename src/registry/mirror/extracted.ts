import type { ComfyNode, ExtractionResult } from '../../contract/index.js';
import type { Registry } from '../registry.js';
import { timestamp } from '../registry.js';
import { announceCommitted, keys } from '../changes.js';

/*
 * comfyreg's own extraction of upstream versions that have no comfy nodes upstream (pending or
 * empty there): run on the stored archive, served for the version and in the resolver. Upstream's
 * comfy nodes, when it has some, are always served as upstream sent them.
 */

export const OWN_EXTRACTION_REASON = 'extracted by comfyreg from the mirrored archive: upstream had no comfy nodes for this version';

const packKey = (id: string) => id.toLowerCase();

/**
 * The upstream pack (its key) that provides `name` by comfyreg's own extraction (`comfyreg`), or by
 * a kept upstream list (`upstream`, the resolver's answer when upstream cannot be asked).
 */
export async function extractedProvider(
  reg: Registry,
  name: string,
  source: 'comfyreg' | 'upstream' = 'comfyreg',
): Promise<string | undefined> {
  const row = await reg.db
    .selectFrom('mirror_comfy_nodes')
    .select('node_key')
    .where('comfy_node_name', '=', name)
    .where('source', '=', source)
    .orderBy('node_key')
    .executeTakeFirst();
  return row?.node_key;
}

/** Keeps the names of an upstream version's comfy nodes (replacing what was kept for it). */
export async function indexUpstreamNames(reg: Registry, nodeId: string, version: string, names: string[]): Promise<void> {
  const key = packKey(nodeId);
  await reg.db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('mirror_comfy_nodes')
      .where('node_key', '=', key)
      .where('version', '=', version)
      .where('source', '=', 'upstream')
      .execute();
    for (let i = 0; i < names.length; i += 500) {
      const rows = names
        .slice(i, i + 500)
        .map((n) => ({ node_key: key, version, comfy_node_name: n, source: 'upstream' as const, body: '{}' }));
      await trx
        .insertInto('mirror_comfy_nodes')
        .values(rows)
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  });
}

export interface OwnExtraction {
  status: string;
  reason: string;
  comfyNodes: ComfyNode[];
}

export async function ownExtraction(reg: Registry, nodeId: string, version: string): Promise<OwnExtraction | undefined> {
  const row = await reg.db
    .selectFrom('mirror_extractions')
    .selectAll()
    .where('node_key', '=', packKey(nodeId))
    .where('version', '=', version)
    .executeTakeFirst();
  if (!row) return undefined;
  const nodes = await reg.db
    .selectFrom('mirror_comfy_nodes')
    .select('body')
    .where('node_key', '=', packKey(nodeId))
    .where('version', '=', version)
    .where('source', '=', 'comfyreg')
    .orderBy('comfy_node_name')
    .execute();
  return { status: row.status, reason: row.reason, comfyNodes: nodes.map((n) => JSON.parse(n.body) as ComfyNode) };
}

/** Extract statuses of a pack's own extractions, by version. */
export async function ownExtractionStatuses(reg: Registry, nodeId: string): Promise<Map<string, { status: string; reason: string }>> {
  const rows = await reg.db
    .selectFrom('mirror_extractions')
    .select(['version', 'status', 'reason'])
    .where('node_key', '=', packKey(nodeId))
    .execute();
  return new Map(rows.map((r) => [r.version, { status: r.status, reason: r.reason }]));
}

/** Keeps comfyreg's extraction of an upstream version, replacing an earlier one, in one transaction. */
export async function storeOwnExtraction(reg: Registry, nodeId: string, version: string, result: ExtractionResult): Promise<void> {
  const key = packKey(nodeId);
  const status = result.success ? (result.status ?? 'success') : (result.status ?? 'failed');
  const reason = result.success ? OWN_EXTRACTION_REASON : `comfyreg could not extract the mirrored archive: ${result.reason ?? ''}`;
  const names = Object.keys(result.nodes);
  await reg.db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('mirror_comfy_nodes')
      .where('node_key', '=', key)
      .where('version', '=', version)
      .where('source', '=', 'comfyreg')
      .execute();
    await trx.deleteFrom('mirror_extractions').where('node_key', '=', key).where('version', '=', version).execute();
    await trx
      .insertInto('mirror_extractions')
      .values({ node_key: key, version, status, reason, extracted_at: timestamp(reg) })
      .execute();
    for (let i = 0; i < names.length; i += 500) {
      const rows = names.slice(i, i + 500).map((name) => {
        const body: ComfyNode = { comfy_node_name: name, ...result.nodes[name], policy: 'ComfyNodePolicyActive' };
        return { node_key: key, version, comfy_node_name: name, source: 'comfyreg' as const, body: JSON.stringify(body) };
      });
      await trx.insertInto('mirror_comfy_nodes').values(rows).execute();
    }
  });
  await announceCommitted(reg, [keys.pack(key), ...names.map((n) => keys.name(n))]);
}
