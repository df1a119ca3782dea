import type { UserRow } from '../db/schema.js';
import { forbidden, unauthorized } from './errors.js';
import type { Registry } from './registry.js';
import { hashToken, sameSecret } from './secrets.js';

export type Principal =
  | { kind: 'anonymous' }
  /** A bearer token was sent but matches nobody. */
  | { kind: 'unknown' }
  | { kind: 'admin'; user?: UserRow }
  | { kind: 'service' }
  | { kind: 'user'; user: UserRow };

export type Role = 'admin' | 'service' | 'user';

export const ANONYMOUS: Principal = { kind: 'anonymous' };

function matchesAny(hash: string, hashes: string[]): boolean {
  let found = false;
  for (const h of hashes) found = sameSecret(hash, h) || found;
  return found;
}

export async function identify(reg: Registry, bearer: string | undefined): Promise<Principal> {
  if (bearer === undefined) return ANONYMOUS;
  if (bearer.length === 0 || bearer.length > 512) return { kind: 'unknown' };
  const hash = hashToken(bearer);
  if (matchesAny(hash, reg.adminTokenHashes)) return { kind: 'admin' };
  if (matchesAny(hash, reg.serviceTokenHashes)) return { kind: 'service' };
  const user = await reg.db.selectFrom('users').selectAll().where('token_hash', '=', hash).executeTakeFirst();
  if (!user) return { kind: 'unknown' };
  return user.is_admin ? { kind: 'admin', user } : { kind: 'user', user };
}

/** 401 for no or unknown credentials, 403 for a known principal without one of `roles`. */
export function requireRole(p: Principal, ...roles: Role[]): void {
  if (p.kind === 'anonymous' || p.kind === 'unknown') throw unauthorized();
  if (p.kind === 'admin') return;
  if (!roles.includes(p.kind)) throw forbidden(`this operation is not allowed for a ${p.kind} token`);
}

export const isAdmin = (p: Principal): boolean => p.kind === 'admin';

/** Publisher owners and admins pass; other users get 403, anonymous 401. */
export async function requirePublisherOwner(reg: Registry, p: Principal, publisherId: string): Promise<void> {
  requireRole(p, 'user');
  if (p.kind === 'admin') return;
  if (p.kind !== 'user') throw forbidden('only the publisher owner may do this');
  const member = await reg.db
    .selectFrom('publisher_members')
    .select('role')
    .where('publisher_id', '=', publisherId)
    .where('user_id', '=', p.user.id)
    .executeTakeFirst();
  if (!member) throw forbidden(`you are not a member of publisher ${publisherId}`, 'NOT_PUBLISHER_MEMBER');
}
