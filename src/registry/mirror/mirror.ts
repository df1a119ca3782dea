import type { UplinkClient } from '../../uplink/client.js';

export interface MirrorLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface MirrorOptions {
  /** null: no uplink, only what was imported or kept is served (an offline mirror). */
  client: UplinkClient | null;
  /** An upstream answer younger than this is served without asking. */
  maxAgeMs: number;
  /** An upstream "not found" is believed this long. */
  notFoundAgeMs: number;
  /** Id patterns from the settings that local packs may take although the uplink has them. */
  reservedIds: readonly string[];
  /** The largest archive fetched from upstream. */
  maxArchive: number;
  log: MirrorLog;
}

/** How a read through the uplink ended (the metrics count them): a freshness, or `error` when nothing was kept to serve. */
export const UPLINK_READ_OUTCOMES = ['fresh', 'revalidated', 'stale', 'error'] as const;
export type UplinkReadOutcome = (typeof UPLINK_READ_OUTCOMES)[number];

/** The mirror's state in the registry context: its options and the upstream requests under way. */
export interface Mirror extends MirrorOptions {
  /** One upstream request per cache key at a time; concurrent readers share it. */
  readonly inflight: Map<string, Promise<unknown>>;
  /** Whether the uplink has `POST /comfy-nodes/resolve` (another comfyreg); undefined until asked. */
  bulkResolve: boolean | undefined;
  /** Reads through the uplink since start, by outcome (an offline mirror counts none). */
  readonly reads: Record<UplinkReadOutcome, number>;
}

export const createMirror = (opts: MirrorOptions): Mirror => ({
  ...opts,
  inflight: new Map(),
  bulkResolve: undefined,
  reads: { fresh: 0, revalidated: 0, stale: 0, error: 0 },
});

/** Shares one run of `work` between concurrent callers with the same key. */
export function once<T>(mirror: Mirror, key: string, work: () => Promise<T>): Promise<T> {
  const running = mirror.inflight.get(key) as Promise<T> | undefined;
  if (running) return running;
  const p = work().finally(() => mirror.inflight.delete(key));
  mirror.inflight.set(key, p);
  return p;
}
