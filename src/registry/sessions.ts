import { fail } from '../contract/index.js';
import { identify, identifyHash, type Principal } from './principals.js';
import { timestamp, type Registry } from './registry.js';
import { generateToken, hashToken } from './secrets.js';

/** A web UI session lasts a week from sign-in; signing out ends it sooner. */
export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * Signs in with a bearer token (a user's, or the admin token): returns the session id the cookie
 * carries. Only hashes are stored, so a copy of the table opens no session.
 */
export async function openSession(reg: Registry, token: string): Promise<{ id: string; principal: Principal }> {
  const trimmed = token.trim();
  const principal = await identify(reg, trimmed);
  if (principal.kind === 'anonymous' || principal.kind === 'unknown' || principal.kind === 'service') throw fail('UNAUTHORIZED');
  const id = generateToken('crs');
  await reg.db
    .insertInto('ui_sessions')
    .values({
      id_hash: hashToken(id),
      token_hash: hashToken(trimmed),
      created_at: timestamp(reg),
      expires_at: timestamp(reg, SESSION_TTL_MS),
    })
    .execute();
  // Expired sessions of anyone go at each sign-in: the table holds live ones only, without a timer.
  await reg.db.deleteFrom('ui_sessions').where('expires_at', '<', timestamp(reg)).execute();
  return { id, principal };
}

/** The principal of a live session, or undefined for an unknown or expired one. */
export async function sessionPrincipal(reg: Registry, id: string): Promise<Principal | undefined> {
  if (id.length > 200) return undefined;
  const row = await reg.db
    .selectFrom('ui_sessions')
    .select(['token_hash', 'expires_at'])
    .where('id_hash', '=', hashToken(id))
    .executeTakeFirst();
  if (!row || row.expires_at < timestamp(reg)) return undefined;
  const p = await identifyHash(reg, row.token_hash);
  return p.kind === 'unknown' ? undefined : p;
}

export async function closeSession(reg: Registry, id: string): Promise<void> {
  await reg.db.deleteFrom('ui_sessions').where('id_hash', '=', hashToken(id)).execute();
}
