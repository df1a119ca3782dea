import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { DatabaseHandle, Dialect } from '../db/database.js';
import type { ChangeFeed } from '../db/change-feed.js';
import type { ArchiveStore } from '../storage/archive-store.js';
import { generateToken, hashToken } from './secrets.js';

/** Everything a domain operation needs; built once per process by `createRegistry`. */
export interface Registry {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Moves on every write that public reads would show; read caches key on it. */
  changes: ChangeFeed;
  store: ArchiveStore;
  publicUrl: string;
  review: boolean;
  /** HMAC key for signed upload URLs, shared by every instance through the database. */
  signingSecret: string;
  adminTokenHashes: string[];
  serviceTokenHashes: string[];
  /** Called after a transaction queued an extraction job, to wake an in-process worker. */
  onJobQueued: () => void;
}

export interface RegistryOptions {
  database: DatabaseHandle;
  store: ArchiveStore;
  publicUrl: string;
  review?: boolean;
  adminToken?: string;
  serviceTokens?: string[];
}

export const now = (): string => new Date().toISOString();

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
  return {
    db,
    dialect,
    changes,
    store: opts.store,
    publicUrl: opts.publicUrl,
    review: opts.review ?? false,
    signingSecret,
    adminTokenHashes,
    serviceTokenHashes: (opts.serviceTokens ?? []).map(hashToken),
    onJobQueued: () => {},
  };
}

/**
 * When no admin token is configured, the first start generates one and keeps its hash in the
 * database (so every instance accepts it); the caller writes the token to the data folder.
 * Returns the new token, or null when one already exists.
 */
export async function ensureGeneratedAdminToken(reg: Registry): Promise<string | null> {
  const token = generateToken('cra');
  const { value, created } = await metaValue(reg.db, 'admin_token_hash', () => hashToken(token));
  if (!reg.adminTokenHashes.includes(value)) reg.adminTokenHashes.push(value);
  return created ? token : null;
}
