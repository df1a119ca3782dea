import assert from 'node:assert/strict';
import type { TestRegistry } from './registry.js';
import { announceCommitted, keys } from '../../src/registry/changes.js';
import { comfyNode, json, postComfyNodes, publish, world, type World } from './flow.js';

/** A publisher of its own (id `pub`) with a user and an access token. */
export async function publisher(t: TestRegistry, pub: string): Promise<World & { pub: string }> {
  return { ...(await world(t, pub, `${pub}-owner`)), pub };
}

/** Publishes `nodeId@version` and posts its comfy nodes (name → field overrides) as the extractor. */
export async function extracted(
  t: TestRegistry,
  w: World & { pub: string },
  nodeId: string,
  version: string,
  nodes: Record<string, Record<string, unknown>> | string[],
): Promise<void> {
  await publish(t, w, nodeId, version, w.pub);
  const entries = Array.isArray(nodes) ? nodes.map((n) => [n, {}] as const) : Object.entries(nodes);
  const res = await postComfyNodes(t, nodeId, version, { nodes: Object.fromEntries(entries.map(([n, o]) => [n, comfyNode(o)])) });
  assert.equal(res.status, 204, JSON.stringify(res.body));
}

/** Admin node update (preempted_comfy_node_names, search_ranking, …). */
export async function adminUpdateNode(t: TestRegistry, pub: string, nodeId: string, body: Record<string, unknown>) {
  const res = await json(t, 'PUT', `/publishers/${pub}/nodes/${nodeId}`, body, t.adminToken);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

export async function setPolicy(t: TestRegistry, nodeId: string, version: string, name: string, policy: string) {
  const res = await json(
    t,
    'PUT',
    `/nodes/${nodeId}/versions/${version}/comfy-nodes/${encodeURIComponent(name)}`,
    { policy },
    t.adminToken,
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

/** Sets a pack's download count as installs would, announcing it as the registry does. */
export async function setDownloads(t: TestRegistry, nodeId: string, downloads: number): Promise<void> {
  await t.database.db.updateTable('nodes').set({ downloads }).where('id', '=', nodeId).execute();
  await announceCommitted(t.reg, [keys.counts(nodeId)]);
}

/** The node id the resolver answers for `name`, or the status when it is not 200. */
export async function resolvedBy(t: TestRegistry, name: string, token?: string): Promise<string | number> {
  const res = await json(t, 'GET', `/comfy-nodes/${encodeURIComponent(name)}/node`, undefined, token);
  return res.status === 200 ? res.body.id : res.status;
}
