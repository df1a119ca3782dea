import { RegistryError, fail, type Node, type Resolution } from '../../contract/index.js';
import { UplinkFailure } from '../../uplink/client.js';
import { upstreamNode } from '../../uplink/shapes.js';
import { findNode } from '../nodes.js';
import type { Registry } from '../registry.js';
import { cachedRead, keepAnswers, keptRows, mirrorOf, type KeptRow } from './cache.js';
import { mirrorNode, type Mirrored } from './reads.js';
import { extractedProvider } from './extracted.js';

/*
 * The resolver through the uplink, for names no local pack provides. An upstream provider whose
 * id a local pack holds is not an answer: the local pack owns the id and does not provide the name.
 */

const enc = encodeURIComponent;

/** Names asked of upstream one by one in one bulk request, when the uplink has no bulk route. */
export const MAX_NAMES_ASKED_ONE_BY_ONE = 32;

async function heldLocally(reg: Registry, id: string | undefined): Promise<boolean> {
  return !id || !!(await findNode(reg.db, id));
}

/** GetNodeByComfyNodeName through the uplink: comfyreg's own extraction of upstream versions first, then upstream's answer. */
export async function mirrorProvider(reg: Registry, name: string): Promise<Mirrored<Node>> {
  const own = await extractedProvider(reg, name);
  if (own && !(await heldLocally(reg, own))) return mirrorNode(reg, own);
  let got;
  try {
    got = await cachedRead(reg, `provider:${name}`, `/comfy-nodes/${enc(name)}/node`, upstreamNode);
  } catch (err) {
    if (!(err instanceof RegistryError && err.code === 'UPLINK_UNAVAILABLE')) throw err;
    got = { found: false as const, freshness: 'stale' as const };
  }
  // Upstream cannot be asked (down, or an offline mirror): the names of kept upstream lists.
  if (!got.found && got.freshness !== 'revalidated' && got.freshness !== 'fresh') {
    const kept = await extractedProvider(reg, name, 'upstream');
    if (kept && !(await heldLocally(reg, kept))) {
      const node = await mirrorNode(reg, kept);
      return { ...node, freshness: got.freshness === 'offline' ? 'offline' : 'stale', expiresAt: undefined };
    }
  }
  if (!got.found || (await heldLocally(reg, got.value.id))) throw fail('COMFY_NODE_NOT_FOUND', `${name} in any node pack`);
  const node = await mirrorNode(reg, got.value.id!);
  const fresh = got.freshness === 'fresh' && node.freshness === 'fresh';
  return {
    ...node,
    freshness: got.freshness === 'fresh' ? node.freshness : got.freshness,
    expiresAt: fresh ? Math.min(got.expiresAt!, node.expiresAt!) : undefined,
  };
}

const resolutionOf = (node: Node): Resolution => ({ node_id: node.id!, version: node.latest_version?.version ?? '', source: 'registry' });

function parseResolutions(body: unknown): Record<string, Resolution | null> {
  const results = (body as { results?: unknown } | null)?.results;
  if (typeof results !== 'object' || results === null || Array.isArray(results))
    throw new UplinkFailure('the uplink answered a resolution without results');
  const out: Record<string, Resolution | null> = Object.create(null);
  for (const [name, r] of Object.entries(results)) {
    if (r === null) out[name] = null;
    else if (typeof r === 'object' && typeof (r as Resolution).node_id === 'string')
      out[name] = { node_id: (r as Resolution).node_id, version: String((r as Resolution).version ?? ''), source: 'registry' };
    else throw new UplinkFailure('the uplink answered a resolution of the wrong shape');
  }
  return out;
}

/**
 * Fills the nulls of a local bulk resolution from the uplink: kept answers younger than max age,
 * then its bulk route when it has one (another comfyreg), else the by-name route for up to
 * MAX_NAMES_ASKED_ONE_BY_ONE names. Never an error: while the uplink fails, kept answers of any
 * age are used and the other names stay unresolved.
 */
export async function fillFromUplink(reg: Registry, results: Map<string, Resolution | null>): Promise<void> {
  const missing = [...results].filter(([, r]) => r === null).map(([n]) => n);
  for (const name of missing) {
    const own = await extractedProvider(reg, name);
    if (own && !(await heldLocally(reg, own))) {
      const node = await mirrorNode(reg, own).catch(() => undefined);
      if (node) results.set(name, resolutionOf(node.value));
    }
  }
  const still = missing.filter((n) => results.get(n) === null);
  if (still.length === 0) return;
  const kept = await keptRows(
    reg,
    still.map((n) => `resolution:${n}`),
  );
  const use = async (name: string, row: KeptRow | undefined) => {
    if (!row?.found) return;
    const r = JSON.parse(row.body) as Resolution;
    if (!(await heldLocally(reg, r.node_id))) results.set(name, r);
  };
  const toAsk: string[] = [];
  for (const name of still) {
    const row = kept.get(`resolution:${name}`);
    if (row?.fresh) await use(name, row);
    else toAsk.push(name);
  }
  if (toAsk.length === 0) return;
  const asked = await askUplink(reg, toAsk);
  if (asked) {
    // Only the names upstream was asked about are kept (the one-by-one route asks a bounded number).
    await keepAnswers(
      reg,
      Object.keys(asked).map((n) => [`resolution:${n}`, asked[n] ?? undefined]),
    );
    for (const name of toAsk) {
      const r = asked[name];
      if (r && !(await heldLocally(reg, r.node_id))) results.set(name, r);
    }
    return;
  }
  for (const name of toAsk) await use(name, kept.get(`resolution:${name}`));
  // Still unknown: the names of kept upstream lists.
  for (const name of toAsk) {
    if (results.get(name) !== null) continue;
    const key = await extractedProvider(reg, name, 'upstream');
    if (!key || (await heldLocally(reg, key))) continue;
    const node = await mirrorNode(reg, key).catch(() => undefined);
    if (node) results.set(name, resolutionOf(node.value));
  }
}

/** The uplink's resolution of `names`, or undefined when it could not be had. */
async function askUplink(reg: Registry, names: string[]): Promise<Record<string, Resolution | null> | undefined> {
  const mirror = mirrorOf(reg);
  const client = mirror.client;
  if (!client) return undefined;
  try {
    if (mirror.bulkResolve !== false) {
      const answer = await client.postJson('/comfy-nodes/resolve', { names });
      if (answer.found) {
        mirror.bulkResolve = true;
        return parseResolutions(answer.body);
      }
      mirror.bulkResolve = false;
    }
    // No bulk route upstream (api.comfy.org): the by-name route, for a bounded number of names.
    const out: Record<string, Resolution | null> = Object.create(null);
    for (const name of names.slice(0, MAX_NAMES_ASKED_ONE_BY_ONE)) {
      const answer = await client.getJson(`/comfy-nodes/${enc(name)}/node`);
      out[name] = answer.found ? resolutionOf(upstreamNode(answer.body)) : null;
    }
    return out;
  } catch (err) {
    if (!(err instanceof UplinkFailure)) throw err;
    mirror.log.warn({ reason: err.message }, 'uplink resolution failed; using what is kept');
    return undefined;
  }
}
