import type { ChannelEntry, CustomNodeList, ExtensionNodeMap } from '../contract/index.js';
import type { Registry } from './registry.js';
import { gitUrl, historyVersions } from './pack-history.js';
import { compareVersions } from './semver.js';
import { upstreamChannelPacks, upstreamNodeMapEntry } from './mirror/channel.js';

/*
 * ComfyUI-Manager's channel files, made from the registry: every active pack with a version in its
 * git history, installed by `git clone` of comfyreg's own git URL. A few queries however many packs.
 */

function preemptionsOf(text: string): string[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

interface ListedPack {
  id: string;
  author: string;
  title: string;
  description: string;
  preemptions: string[];
  latestExtracted: string | null;
}

/** Version ids a query names at most (well under SQLite's and PostgreSQL's bound parameters). */
const NAMES_BATCH = 1000;

/** Marks a pack whose latest installable version its publisher deprecated, where Manager shows it. */
export const DEPRECATED_MARK = '[deprecated] ';

async function listedPacks(reg: Registry): Promise<ListedPack[]> {
  const versions = await historyVersions(reg.db).select(['id', 'node_id', 'version', 'deprecated', 'comfy_node_extract_status']).execute();
  type V = (typeof versions)[number];
  const latest = new Map<string, V>();
  // The comfy nodes shown are those of a version a clone has: not of a newer one waiting for review.
  const extracted = new Map<string, V>();
  for (const v of versions) {
    const best = latest.get(v.node_id);
    if (!best || compareVersions(v.version, best.version) > 0) latest.set(v.node_id, v);
    const bestExtracted = extracted.get(v.node_id);
    if (v.comfy_node_extract_status === 'success' && (!bestExtracted || compareVersions(v.version, bestExtracted.version) > 0))
      extracted.set(v.node_id, v);
  }
  const rows = await reg.db
    .selectFrom('nodes')
    .innerJoin('publishers', 'publishers.id', 'nodes.publisher_id')
    .select(['nodes.id', 'nodes.name', 'nodes.description', 'nodes.preempted_comfy_node_names', 'publishers.name as publisher_name'])
    .where('nodes.status', '=', 'NodeStatusActive')
    .execute();
  return rows
    .filter((r) => latest.has(r.id))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((r) => ({
      id: r.id,
      author: r.publisher_name,
      title: r.name || r.id,
      description: (latest.get(r.id)!.deprecated ? DEPRECATED_MARK : '') + r.description,
      preemptions: preemptionsOf(r.preempted_comfy_node_names),
      latestExtracted: extracted.get(r.id)?.id ?? null,
    }));
}

/** A git-clone entry: Manager clones `files[0]`, comfyreg's git URL of the pack. */
function channelEntry(
  reg: Registry,
  p: { id: string; author: string; title: string; description: string; preemptions?: string[] },
): ChannelEntry {
  const url = gitUrl(reg, p.id);
  return {
    id: p.id,
    author: p.author,
    title: p.title,
    reference: url,
    files: [url],
    install_type: 'git-clone',
    description: p.description,
    ...(p.preemptions?.length ? { preemptions: p.preemptions } : {}),
  };
}

/** `custom-node-list.json`: one git-clone entry per listed pack, by id. */
export async function customNodeList(reg: Registry): Promise<CustomNodeList> {
  const entries = [
    ...(await listedPacks(reg)).map((p) => channelEntry(reg, p)),
    // Mirror mode: upstream packs with a stored archive, after the local ones.
    ...(await upstreamChannelPacks(reg)).map((p) => channelEntry(reg, p)),
  ];
  return { custom_nodes: entries };
}

/**
 * `extension-node-map.json`: for each listed pack's git URL, the comfy nodes of its latest extracted
 * version (banned ones left out), which Manager's "Install Missing Custom Nodes" looks names up in.
 */
export async function extensionNodeMap(reg: Registry): Promise<ExtensionNodeMap> {
  const packs = await listedPacks(reg);
  const byVersion = new Map<string, string[]>();
  const ids = packs.flatMap((p) => (p.latestExtracted ? [p.latestExtracted] : []));
  for (let i = 0; i < ids.length; i += NAMES_BATCH) {
    const names = await reg.db
      .selectFrom('comfy_nodes')
      .select(['node_version_id', 'comfy_node_name'])
      .where('node_version_id', 'in', ids.slice(i, i + NAMES_BATCH))
      .where('policy', '!=', 'ComfyNodePolicyBanned')
      .execute();
    for (const n of names) {
      const list = byVersion.get(n.node_version_id);
      if (list) list.push(n.comfy_node_name);
      else byVersion.set(n.node_version_id, [n.comfy_node_name]);
    }
  }
  // Sorted here: the two databases collate differently, and the bytes (the ETag) must not depend on it.
  for (const list of byVersion.values()) list.sort();
  const map: ExtensionNodeMap = {};
  for (const p of packs) {
    map[gitUrl(reg, p.id)] = [
      (p.latestExtracted && byVersion.get(p.latestExtracted)) || [],
      { title_aux: p.title, ...(p.preemptions.length ? { preemptions: p.preemptions } : {}) },
    ];
  }
  for (const p of await upstreamChannelPacks(reg)) map[gitUrl(reg, p.id)] = upstreamNodeMapEntry(p);
  return map;
}
