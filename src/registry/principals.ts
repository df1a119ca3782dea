import type { UserRow } from '../db/schema.js';
import { fail } from '../contract/index.js';
import type { Registry } from './registry.js';
import { hashToken, sameSecret } from './secrets.js';

export type Principal =
  | { kind: 'anonymous' }
  /** A bearer token was sent but matches nobody. */
  | { kind: 'unknown' }
  | { kind: 'admin'; user?: UserRow }
  | { kind: 'service' }
  | { kind: 'user'; user: UserRow };

export const ANONYMOUS: Principal = { kind: 'anonymous' };

function matchesAny(hash: string, hashes: readonly string[]): boolean {
  let found = false;
  for (const h of hashes) found = sameSecret(hash, h) || found;
  return found;
}

export async function identify(reg: Registry, bearer: string | undefined): Promise<Principal> {
  if (bearer === undefined) return ANONYMOUS;
  if (bearer.length === 0 || bearer.length > 512) return { kind: 'unknown' };
  return identifyHash(reg, hashToken(bearer));
}

/** The principal whose token hashes to `hash` (a web UI session keeps only the hash). */
export async function identifyHash(reg: Registry, hash: string): Promise<Principal> {
  if (matchesAny(hash, reg.adminTokenHashes)) return { kind: 'admin' };
  if (matchesAny(hash, reg.serviceTokenHashes)) return { kind: 'service' };
  const user = await reg.db.selectFrom('users').selectAll().where('token_hash', '=', hash).executeTakeFirst();
  if (!user) return { kind: 'unknown' };
  return user.is_admin ? { kind: 'admin', user } : { kind: 'user', user };
}

export const isAdmin = (p: Principal): boolean => p.kind === 'admin';

/** The user row behind a principal, when there is one (a configured admin token has none). */
export const userOf = (p: Principal): UserRow | undefined => (p.kind === 'user' || p.kind === 'admin' ? p.user : undefined);

/**
 * Ownership, not roles (the route gate checks roles): admins pass, members of the publisher pass,
 * anyone else gets 403.
 */
export async function assertPublisherOwner(reg: Registry, p: Principal, publisherId: string): Promise<void> {
  if (p.kind === 'admin') return;
  const user = userOf(p);
  const member = user
    ? await reg.db
        .selectFrom('publisher_members')
        .select('role')
        .where('publisher_id', '=', publisherId)
        .where('user_id', '=', user.id)
        .executeTakeFirst()
    : undefined;
  if (!member) throw fail('NOT_PUBLISHER_MEMBER', publisherId);
}
