import { readFile, stat } from 'node:fs/promises';
import type { ComparedComfyNode } from '../registry/comfy-node-changes.js';

/* One side of `comfyreg diff`: a pack folder, a zip, or `{nodeId}@{version}` on a registry. */

/** A side that cannot be read; the command prints it and exits 2. */
export class SideError extends Error {}

export interface Side {
  label: string;
  nodes: Map<string, ComparedComfyNode>;
}

const REGISTRY_REF = /^([A-Za-z0-9][A-Za-z0-9._-]*)@([^@/\s]+)$/;
const PAGE = 10_000;

async function fromPack(target: string, isDir: boolean): Promise<Side> {
  const { extractPack } = await import('../extract/index.js');
  let result;
  try {
    result = isDir ? await extractPack({ dir: target }) : await extractPack({ zip: await readFile(target) });
  } catch (e) {
    throw new SideError(`cannot read ${target}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const { body } = result;
  if (body.status === 'invalid_format') throw new SideError(`${target} is refused: ${body.reason}`);
  return { label: target, nodes: new Map(Object.entries(body.nodes)) };
}

async function getJson(url: string): Promise<{ status: number; body: any }> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' } });
  } catch (e) {
    throw new SideError(`cannot reach ${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    throw new SideError(`${url} answered ${res.status} without JSON`);
  }
}

async function fromRegistry(registry: string, nodeId: string, version: string): Promise<Side> {
  const base = `${registry}/nodes/${encodeURIComponent(nodeId)}/versions/${encodeURIComponent(version)}`;
  const v = await getJson(base);
  if (v.status !== 200) throw new SideError(`${nodeId}@${version}: the registry answered ${v.status} ${v.body?.error ?? ''}`.trim());
  const status = String(v.body.comfy_node_extract_status ?? '');
  if (status === 'pending' || status === 'failed') throw new SideError(`${nodeId}@${version} has no extracted comfy nodes (${status})`);
  const nodes = new Map<string, ComparedComfyNode>();
  for (let page = 1; ; page++) {
    const res = await getJson(`${base}/comfy-nodes?limit=${PAGE}&page=${page}`);
    if (res.status !== 200)
      throw new SideError(`${nodeId}@${version}: the registry answered ${res.status} ${res.body?.error ?? ''}`.trim());
    for (const n of res.body.comfy_nodes as (ComparedComfyNode & { comfy_node_name: string })[]) nodes.set(n.comfy_node_name, n);
    if (page >= Number(res.body.totalNumberOfPages)) break;
  }
  return { label: `${nodeId}@${version}`, nodes };
}

/** Reads a side: an existing path first, then `{nodeId}@{version}` on `registry`. */
export async function readSide(target: string, registry: string | undefined): Promise<Side> {
  const st = await stat(target).catch(() => null);
  if (st) return fromPack(target, st.isDirectory());
  const ref = REGISTRY_REF.exec(target);
  if (!ref) throw new SideError(`no such file or folder, and not {nodeId}@{version}: ${target}`);
  if (!registry)
    throw new SideError(`${target} names a registry version: give the registry with --registry URL (or COMFYREG_REGISTRY_URL)`);
  return fromRegistry(registry, ref[1]!, ref[2]!);
}
