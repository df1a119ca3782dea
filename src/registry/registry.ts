import { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { DatabaseHandle, Dialect } from '../db/database.js';
import type { ChangeFeed } from '../db/change-feed.js';
import type { ArchiveStore } from '../storage/archive-store.js';
import { generateToken, hashToken } from './secrets.js';
import { createMirror, type Mirror, type MirrorOptions } from './mirror/mirror.js';
import { DownloadCounts } from './download-counts.js';

/** Where the registry reads the time: the system clock, or a test's clock that it advances. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** What the registry announces to whoever runs it (the server wakes its worker on `jobQueued`). */
export type RegistryEventMap = {
  /** A committed transaction queued at least one extraction job. */
  jobQueued: [];
  /** Mirror mode stored an upstream archive for the first time (pack key, version). */
  mirrorArchiveStored: [nodeKey: string, version: string];
};

export class RegistryEvents extends EventEmitter<RegistryEventMap> {}

/** Everything a domain operation needs; built once per process by `createRegistry`, then read-only. */
export interface Registry {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Moves on every write that public reads would show; read caches key on it. */
  readonly changes: ChangeFeed;
  readonly store: ArchiveStore;
  /** Base of the URLs the registry hands out (signed uploads, downloads), without a trailing slash. */
  readonly publicUrl: string;
  /** New versions wait as Pending until an admin approves them. */
  readonly review: boolean;
  /** HMAC key for signed upload URLs, shared by every instance through the database. */
  readonly signingSecret: string;
  readonly adminTokenHashes: readonly string[];
  readonly serviceTokenHashes: readonly string[];
  readonly clock: Clock;
  readonly events: RegistryEvents;
  /** Mirror mode: the uplink packs not held locally come from; null without one. */
  readonly uplink: Mirror | null;
  /** Installs' download counts, gathered and written in batches. */
  readonly downloads: DownloadCounts;
}

export interface RegistryOptions {
  database: DatabaseHandle;
  store: ArchiveStore;
  publicUrl: string;
  review?: boolean;
  adminToken?: string;
  serviceTokens?: string[];
  clock?: Clock;
  uplink?: MirrorOptions;
  /** How long download counts gather before they are written (ms; 0: each before its install is answered). */
  downloadFlushMs?: number;
}

/** The default of `downloadFlushMs`: a process killed outright loses at most this long of counts. */
export const DOWNLOAD_FLUSH_MS = 250;

/** The registry's time as the ISO-8601 text every timestamp column holds. */
export const timestamp = (reg: Pick<Registry, 'clock'>, offsetMs = 0): string => new Date(reg.clock.now() + offsetMs).toISOString();

/** Reads a meta value, creating it with `make()` if absent; concurrent first starts agree on one. */
export async function metaValue(db: Kysely<Database>, key: string, make: () => string): Promise<{ value: string; created: boolean }> {
  const existing = await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
  if (existing) return { value: existing.value, created: false };
  const value = make();
  await db
    .insertInto('meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const stored = await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirstOrThrow();
  return { value: stored.value, created: stored.value === value };
}

export async function createRegistry(opts: RegistryOptions): Promise<Registry> {
  const { db, dialect, changes } = opts.database;
  const { value: signingSecret } = await metaValue(db, 'signing_secret', () => generateToken('sig'));
  const adminTokenHashes: string[] = [];
  if (opts.adminToken) adminTokenHashes.push(hashToken(opts.adminToken));
  const generated = await db.selectFrom('meta').select('value').where('key', '=', 'admin_token_hash').executeTakeFirst();
  if (generated) adminTokenHashes.push(generated.value);
  return Object.freeze({
    db,
    dialect,
    changes,
    store: opts.store,
    publicUrl: opts.publicUrl.replace(/\/+$/, ''),
    review: opts.review ?? false,
    signingSecret,
    adminTokenHashes: Object.freeze(adminTokenHashes),
    serviceTokenHashes: Object.freeze((opts.serviceTokens ?? []).map(hashToken)),
    clock: opts.clock ?? systemClock,
    events: new RegistryEvents(),
    uplink: opts.uplink ? createMirror(opts.uplink) : await importedMirror(db),
    downloads: new DownloadCounts({ db, dialect, changes, flushMs: opts.downloadFlushMs ?? DOWNLOAD_FLUSH_MS }),
  });
}

/** Without an uplink, a database holding an imported mirror serves it offline (`comfyreg mirror import`). */
async function importedMirror(db: Kysely<Database>): Promise<Mirror | null> {
  const imported = await db.selectFrom('meta').select('value').where('key', '=', 'mirror_imported').executeTakeFirst();
  if (!imported) return null;
  const quiet = { info: () => {}, warn: () => {} };
  return createMirror({ client: null, maxAgeMs: 0, notFoundAgeMs: 0, reservedIds: [], maxArchive: 0, log: quiet });
}

/**
 * When no admin token is configured, the first start generates one and keeps its hash in the
 * database (so every instance accepts it); the caller writes the token to the data folder. Run it
 * before `createRegistry`, which reads the hash. Returns the new token, or null when one exists.
 */
export async function ensureGeneratedAdminToken(db: Kysely<Database>): Promise<string | null> {
  const token = generateToken('cra');
  const { created } = await metaValue(db, 'admin_token_hash', () => hashToken(token));
  return created ? token : null;
}
