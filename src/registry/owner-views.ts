import type { ExtractionJobRow, NodeRow, NodeVersionRow } from '../db/schema.js';
import { extractionJobsOf } from './extraction-admin.js';
import { ownedNode } from './nodes.js';
import type { Principal } from './principals.js';
import type { Registry } from './registry.js';
import { compareVersions } from './semver.js';

/**
 * What an owner sees of a pack: every version whatever its status (unpublished and banned ones
 * included, with their reasons), newest first, and the extraction job of each that has one.
 */
export async function ownedPackVersions(
  reg: Registry,
  p: Principal,
  publisherId: string,
  nodeId: string,
): Promise<{ node: NodeRow; versions: NodeVersionRow[]; jobs: Map<string, ExtractionJobRow> }> {
  const node = await ownedNode(reg, p, publisherId, nodeId);
  const versions = await reg.db.selectFrom('node_versions').selectAll().where('node_id', '=', node.id).execute();
  versions.sort((a, b) => compareVersions(b.version, a.version));
  return {
    node,
    versions,
    jobs: await extractionJobsOf(
      reg,
      versions.map((v) => v.id),
    ),
  };
}

/** A publisher's packs of any status, for its owners. */
export async function ownedPacks(reg: Registry, publisherId: string): Promise<NodeRow[]> {
  return reg.db
    .selectFrom('nodes')
    .selectAll()
    .where('publisher_id', '=', publisherId)
    .where('status', '!=', 'NodeStatusDeleted')
    .orderBy('id')
    .execute();
}
