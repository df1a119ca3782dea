import type { ChannelEntry, CustomNodeList, ExtensionNodeMap } from '../contract/index.js';
import type { Registry } from './registry.js';
import { gitUrl, historyVersions } from './pack-history.js';
import { compareVersions } from './semver.js';

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

/** Marks a pack whose latest installable version its publisher deprecated, where Manager shows it. */
export const DEPRECATED_MARK = '[deprecated] ';

async function listedPacks(reg: Registry): Promise<ListedPack[]> {
  const versions = await historyVersions(reg.db).select(['node_id', 'version', 'deprecated']).execute();
  const latest = new Map<string, { version: string; deprecated: number }>();
  for (const v of versions) {
    const best = latest.get(v.node_id);
    if (!best || compareVersions(v.version, best.version) > 0) latest.set(v.node_id, v);
  }
  const rows = await reg.db
    .selectFrom('nodes')
    .innerJoin('publishers', 'publishers.id', 'nodes.publisher_id')
    .select([
      'nodes.id',
      'nodes.name',
      'nodes.description',
      'nodes.preempted_comfy_node_names',
      'nodes.latest_extracted_version_id',
      'publishers.name as publisher_name',
    ])
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
      latestExtracted: r.latest_extracted_version_id,
    }));
}

/** `custom-node-list.json`: one git-clone entry per listed pack, by id. */
export async function customNodeList(reg: Registry): Promise<CustomNodeList> {
  const packs = await listedPacks(reg);
  return {
    custom_nodes: packs.map((p): ChannelEntry => {
      const url = gitUrl(reg, p.id);
      return {
        id: p.id,
        author: p.author,
        title: p.title,
        reference: url,
        files: [url],
        install_type: 'git-clone',
        description: p.description,
        ...(p.preemptions.length ? { preemptions: p.preemptions } : {}),
      };
    }),
  };
}

/**
 * `extension-node-map.json`: for each listed pack's git URL, the comfy nodes of its latest extracted
 * version (banned ones left out), which Manager's "Install Missing Custom Nodes" looks names up in.
 */
export async function extensionNodeMap(reg: Registry): Promise<ExtensionNodeMap> {
  const packs = await listedPacks(reg);
  const names = await reg.db
    .selectFrom('comfy_nodes')
    .innerJoin('nodes', 'nodes.latest_extracted_version_id', 'comfy_nodes.node_version_id')
    .select(['nodes.id', 'comfy_nodes.comfy_node_name'])
    .where('nodes.status', '=', 'NodeStatusActive')
    .where('comfy_nodes.policy', '!=', 'ComfyNodePolicyBanned')
    .execute();
  const byPack = new Map<string, string[]>();
  for (const n of names) {
    const list = byPack.get(n.id);
    if (list) list.push(n.comfy_node_name);
    else byPack.set(n.id, [n.comfy_node_name]);
  }
  // Sorted here: the two databases collate differently, and the bytes (the ETag) must not depend on it.
  for (const list of byPack.values()) list.sort();
  const map: ExtensionNodeMap = {};
  for (const p of packs) {
    map[gitUrl(reg, p.id)] = [
      p.latestExtracted ? (byPack.get(p.id) ?? []) : [],
      { title_aux: p.title, ...(p.preemptions.length ? { preemptions: p.preemptions } : {}) },
    ];
  }
  return map;
}
