import type { ExtensionNodeMap, Node } from '../../contract/index.js';
import type { Registry } from '../registry.js';
import { compareVersions } from '../semver.js';
import { cacheKeys } from './reads.js';

/*
 * Upstream packs in ComfyUI-Manager's channel files: those with a stored archive (so their git
 * repository clones) and a kept upstream answer for the pack, not held locally. Listed after the
 * local packs; read from what is kept, never asking the uplink.
 */

interface UpstreamPack {
  id: string;
  author: string;
  title: string;
  description: string;
  /** The comfy-node names of the newest stored version that has some (upstream's or comfyreg's own). */
  names: string[];
}

const BATCH = 500;

export async function upstreamChannelPacks(reg: Registry): Promise<UpstreamPack[]> {
  if (!reg.uplink) return [];
  const stored = await reg.db.selectFrom('mirror_archives').select(['node_key', 'version']).execute();
  const local = new Set((await reg.db.selectFrom('nodes').select('key').execute()).map((r) => r.key));
  const versions = new Map<string, string[]>();
  for (const r of stored) if (!local.has(r.node_key)) versions.set(r.node_key, [...(versions.get(r.node_key) ?? []), r.version]);
  const keys = [...versions.keys()].sort();
  const kept = new Map<string, Node>();
  const names = new Map<string, string[]>();
  for (let i = 0; i < keys.length; i += BATCH) {
    const batch = keys.slice(i, i + BATCH);
    const rows = await reg.db
      .selectFrom('uplink_cache')
      .select(['key', 'body'])
      .where('key', 'in', batch.map(cacheKeys.node))
      .where('found', '=', 1)
      .execute();
    for (const r of rows) kept.set(r.key, JSON.parse(r.body) as Node);
    const comfy = await reg.db
      .selectFrom('mirror_comfy_nodes')
      .select(['node_key', 'version', 'comfy_node_name'])
      .where('node_key', 'in', batch)
      .execute();
    for (const c of comfy)
      names.set(`${c.node_key}\n${c.version}`, [...(names.get(`${c.node_key}\n${c.version}`) ?? []), c.comfy_node_name]);
  }
  const out: UpstreamPack[] = [];
  for (const key of keys) {
    const node = kept.get(cacheKeys.node(key));
    if (!node) continue;
    const newest = versions
      .get(key)!
      .sort((a, b) => compareVersions(b, a))
      .find((v) => names.has(`${key}\n${v}`));
    out.push({
      id: node.id ?? key,
      author: node.publisher?.name || node.publisher?.id || '',
      title: node.name || node.id || key,
      description: node.description ?? '',
      names: newest ? [...new Set(names.get(`${key}\n${newest}`))].sort() : [],
    });
  }
  return out;
}

export const upstreamNodeMapEntry = (p: UpstreamPack): ExtensionNodeMap[string] => [p.names, { title_aux: p.title }];
