import { fail, type ComfyNode, type Node, type NodeVersion } from '../../contract/index.js';
import { upstreamComfyNodeList, upstreamNode, upstreamVersions } from '../../uplink/shapes.js';
import { findNode } from '../nodes.js';
import type { Registry } from '../registry.js';
import { compareVersions, normalizeVersion } from '../semver.js';
import type { PageWindow } from '../paging.js';
import { cachedRead, mirrorOf, type Freshness } from './cache.js';
import { indexUpstreamNames, ownExtraction, ownExtractionStatuses } from './extracted.js';

/*
 * Reads of packs the registry does not hold, through the uplink. A pack id held locally (in any
 * status) is never looked up upstream: local ownership wins.
 */

export interface Mirrored<T> {
  value: T;
  freshness: Freshness;
  /** For a `fresh` answer: when the oldest kept answer it is made of reaches max age. */
  expiresAt?: number;
}

/** Whether reads of `id` go to the uplink: there is one, and no local pack has the id. */
export async function readsThroughUplink(reg: Registry, id: string): Promise<boolean> {
  return reg.uplink !== null && !(await findNode(reg.db, id));
}

const enc = encodeURIComponent;
export const packKey = (id: string) => id.toLowerCase();
export const cacheKeys = {
  node: (id: string) => `node:${packKey(id)}`,
  versions: (id: string) => `versions:${packKey(id)}`,
  comfyNodes: (id: string, version: string) => `comfy-nodes:${packKey(id)}:${version}`,
};

/** Where comfyreg hands out an upstream version's archive. */
export const mirrorArchiveUrl = (reg: Registry, nodeId: string, version: string) =>
  `${reg.publicUrl}/mirror/archives/${enc(packKey(nodeId))}/${enc(version)}`;

/** An upstream version as comfyreg serves it: its archive through comfyreg. */
function served(reg: Registry, nodeId: string, v: NodeVersion): NodeVersion {
  return { ...v, node_id: v.node_id ?? nodeId, downloadUrl: v.downloadUrl ? mirrorArchiveUrl(reg, nodeId, v.version!) : '' };
}

function parseVersions(reg: Registry) {
  return (body: unknown) => {
    const versions = upstreamVersions(body);
    for (const v of versions) if (v.downloadUrl) mirrorOf(reg).client?.noteArchiveUrl(v.downloadUrl);
    return versions;
  };
}

/** An upstream node as comfyreg serves it: its latest version's archive through comfyreg. */
export const servedNode = (reg: Registry, node: Node): Node =>
  node.latest_version ? { ...node, latest_version: served(reg, node.id!, node.latest_version) } : node;

export async function mirrorNode(reg: Registry, id: string): Promise<Mirrored<Node>> {
  const got = await cachedRead(reg, cacheKeys.node(id), `/nodes/${enc(id)}`, upstreamNode);
  if (!got.found) throw fail('NODE_NOT_FOUND', id);
  const node = got.value;
  const latest = node.latest_version && (await servedVersions(reg, node.id!, [node.latest_version]))[0];
  return { value: latest ? { ...node, latest_version: latest } : node, freshness: got.freshness, expiresAt: got.expiresAt };
}

/** An upstream pack's versions as upstream sent them (archive URLs upstream's), newest first. */
async function upstreamVersionList(reg: Registry, id: string, force = false): Promise<Mirrored<NodeVersion[]>> {
  const got = await cachedRead(reg, cacheKeys.versions(id), `/nodes/${enc(id)}/versions`, parseVersions(reg), { force });
  if (!got.found) throw fail('NODE_NOT_FOUND', id);
  return {
    value: [...got.value].sort((a, b) => compareVersions(b.version!, a.version!)),
    freshness: got.freshness,
    expiresAt: got.expiresAt,
  };
}

/**
 * Upstream versions as comfyreg serves them: archives through comfyreg, and where upstream has no
 * comfy nodes but comfyreg extracted the archive, comfyreg's extract status and a reason saying so.
 */
async function servedVersions(reg: Registry, id: string, versions: NodeVersion[]): Promise<NodeVersion[]> {
  const own = await ownExtractionStatuses(reg, id);
  return versions.map((v) => {
    const out = served(reg, id, v);
    const mine = own.get(v.version!);
    if (!mine || v.comfy_node_extract_status === 'success') return out;
    return { ...out, comfy_node_extract_status: mine.status, comfy_node_extract_reason: mine.reason };
  });
}

export async function mirrorVersions(reg: Registry, id: string): Promise<Mirrored<NodeVersion[]>> {
  const got = await upstreamVersionList(reg, id);
  return { value: await servedVersions(reg, id, got.value), freshness: got.freshness, expiresAt: got.expiresAt };
}

const matches = (v: NodeVersion, wanted: string) => v.version === wanted || v.version === normalizeVersion(wanted);

/**
 * One upstream version as upstream sent it. A version the kept list lacks forces one refresh
 * (it may have been published since), unless the list was just fetched.
 */
export async function upstreamVersion(reg: Registry, id: string, version: string): Promise<Mirrored<NodeVersion>> {
  let got = await upstreamVersionList(reg, id);
  let found = got.value.find((v) => matches(v, version));
  if (!found && got.freshness === 'fresh') {
    got = await upstreamVersionList(reg, id, true);
    found = got.value.find((v) => matches(v, version));
  }
  if (!found) throw fail('VERSION_NOT_FOUND', version, id);
  return { value: found, freshness: got.freshness, expiresAt: got.expiresAt };
}

export async function mirrorVersion(reg: Registry, id: string, version: string): Promise<Mirrored<NodeVersion>> {
  const got = await upstreamVersion(reg, id, version);
  return { value: (await servedVersions(reg, id, [got.value]))[0], freshness: got.freshness, expiresAt: got.expiresAt };
}

/** What `install` answers for an upstream pack: `version`, or upstream's latest; no download is counted upstream. */
export async function mirrorInstall(reg: Registry, id: string, version?: string): Promise<Mirrored<NodeVersion>> {
  if (version) return mirrorVersion(reg, id, version);
  const node = await mirrorNode(reg, id);
  const latest = node.value.latest_version?.version;
  if (latest) return mirrorVersion(reg, id, latest);
  const list = await mirrorVersions(reg, id);
  if (list.value.length === 0) throw fail('NO_INSTALLABLE_VERSION', id);
  return { value: list.value[0], freshness: list.freshness };
}

/** The most comfy nodes asked of upstream for one version, in one request. */
const UPSTREAM_COMFY_NODES_LIMIT = 10_000;

/** An upstream version's comfy nodes as upstream sent them (none when it has none). */
export async function upstreamComfyNodes(reg: Registry, id: string, version: string): Promise<Mirrored<ComfyNode[]>> {
  const v = await upstreamVersion(reg, id, version);
  const path = `/nodes/${enc(id)}/versions/${enc(v.value.version!)}/comfy-nodes?page=1&limit=${UPSTREAM_COMFY_NODES_LIMIT}`;
  const got = await cachedRead(reg, cacheKeys.comfyNodes(id, v.value.version!), path, (b) => upstreamComfyNodeList(b).comfyNodes);
  if (got.freshness === 'revalidated')
    await indexUpstreamNames(reg, id, v.value.version!, got.found ? got.value.map((c) => c.comfy_node_name!) : []);
  // Upstream without this route (or with nothing for the version): no comfy nodes.
  return { value: got.found ? got.value : [], freshness: got.freshness };
}

export async function mirrorComfyNodes(
  reg: Registry,
  id: string,
  version: string,
  paging: PageWindow,
): Promise<Mirrored<{ rows: ComfyNode[]; total: number }>> {
  const got = await upstreamComfyNodes(reg, id, version);
  // Upstream has none: comfyreg's own extraction of the stored archive, when there is one.
  const own = got.value.length === 0 ? await ownExtraction(reg, id, (await upstreamVersion(reg, id, version)).value.version!) : undefined;
  const all = [...(own?.comfyNodes ?? got.value)].sort((a, b) =>
    a.comfy_node_name! < b.comfy_node_name! ? -1 : a.comfy_node_name! > b.comfy_node_name! ? 1 : 0,
  );
  return { value: { rows: all.slice(paging.offset, paging.offset + paging.limit), total: all.length }, freshness: got.freshness };
}
