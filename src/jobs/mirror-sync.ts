import { RegistryError } from '../contract/index.js';
import { UplinkFailure } from '../uplink/client.js';
import { upstreamNodePage } from '../uplink/shapes.js';
import { fetchArchive, storedMirrorArchive, verifyArchive } from '../registry/mirror/archives.js';
import { mirrorOf, cachedRead } from '../registry/mirror/cache.js';
import { cacheKeys, readsThroughUplink, upstreamComfyNodes } from '../registry/mirror/reads.js';
import { upstreamNode, upstreamVersions } from '../uplink/shapes.js';
import type { Registry } from '../registry/registry.js';
import type { MirrorExtraction } from './mirror-extraction.js';

export interface SyncOptions {
  /** These packs; else the uplink's `top` most downloaded (its `GET /nodes` order). */
  ids?: string[];
  top?: number;
  /** Every version, not only the latest. */
  allVersions?: boolean;
  /** Fetch stored archives again and compare: different bytes are refused (and reported). */
  verify?: boolean;
}

export interface SyncReport {
  packs: number;
  versions: number;
  /** Archives fetched by this run (the others were stored already). */
  fetched: number;
  skipped: string[];
  failed: { what: string; reason: string }[];
}

export type SyncProgress = (done: number, total: number, label: string) => void;

const enc = encodeURIComponent;

async function topIds(reg: Registry, top: number): Promise<string[]> {
  const client = mirrorOf(reg).client!;
  const ids: string[] = [];
  for (let page = 1; ids.length < top; page++) {
    const answer = await client.getJson(`/nodes?page=${page}&limit=100`);
    if (!answer.found) break;
    const { nodes } = upstreamNodePage(answer.body);
    if (nodes.length === 0) break;
    ids.push(...nodes.map((n) => n.id!));
  }
  return ids.slice(0, top);
}

/**
 * `comfyreg mirror sync`: metadata, archives and comfy nodes of the chosen packs into the store.
 * Metadata is asked afresh; archives already stored are kept (versions are immutable), so a second
 * run fetches only what the first did not finish. Failures are collected, not fatal.
 */
export async function syncMirror(
  reg: Registry,
  opts: SyncOptions,
  progress: SyncProgress = () => {},
  extraction?: MirrorExtraction,
): Promise<SyncReport> {
  const report: SyncReport = { packs: 0, versions: 0, fetched: 0, skipped: [], failed: [] };
  const note = (what: string, err: unknown) => {
    if (err instanceof RegistryError || err instanceof UplinkFailure) report.failed.push({ what, reason: err.message });
    else throw err;
  };
  let ids: string[];
  try {
    ids = opts.ids?.length ? opts.ids : await topIds(reg, opts.top ?? 100);
  } catch (err) {
    note('the list of packs', err);
    return report;
  }
  for (const [i, id] of ids.entries()) {
    progress(i, ids.length, id);
    if (!(await readsThroughUplink(reg, id))) {
      report.skipped.push(`${id} (held locally)`);
      continue;
    }
    try {
      const node = await cachedRead(reg, cacheKeys.node(id), `/nodes/${enc(id)}`, upstreamNode, { force: true });
      if (!node.found) throw new RegistryError('NODE_NOT_FOUND', id);
      const list = await cachedRead(reg, cacheKeys.versions(id), `/nodes/${enc(id)}/versions`, upstreamVersions, { force: true });
      if (!list.found) throw new RegistryError('NODE_NOT_FOUND', id);
      for (const v of list.value) if (v.downloadUrl) mirrorOf(reg).client?.noteArchiveUrl(v.downloadUrl);
      const latest = node.value.latest_version?.version;
      const versions = opts.allVersions ? list.value : list.value.filter((v) => v.version === (latest ?? list.value[0]?.version));
      report.packs++;
      for (const v of versions) {
        const what = `${id}@${v.version}`;
        progress(i, ids.length, what);
        try {
          await upstreamComfyNodes(reg, id, v.version!);
          const stored = await storedMirrorArchive(reg, id, v.version!);
          if (v.downloadUrl && !stored) {
            const { stream, done } = await fetchArchive(reg, id, v.version!);
            stream.resume();
            await done;
            report.fetched++;
          } else {
            if (stored && opts.verify && !(await verifyArchive(reg, id, v.version!)))
              report.failed.push({ what, reason: 'upstream now serves different bytes for this version; the stored ones are kept' });
            // Stored by an earlier run that stopped before extracting it.
            await extraction?.enqueue(id, v.version!);
          }
          report.versions++;
        } catch (err) {
          note(what, err);
        }
      }
    } catch (err) {
      note(id, err);
    }
  }
  await extraction?.idle();
  progress(ids.length, ids.length, 'done');
  return report;
}
