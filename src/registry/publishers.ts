import { randomUUID } from 'node:crypto';
import type { AccessTokenRow, PublisherRow } from '../db/schema.js';
import { badRequest, forbidden, isUniqueViolation, notFound } from './errors.js';
import { requirePublisherOwner, requireRole, type Principal } from './principals.js';
import type { Registry } from './registry.js';
import { now } from './registry.js';
import { generateToken, hashToken, maskToken } from './secrets.js';

export const PUBLISHER_ACTIVE = 'PublisherStatusActive';
export const PUBLISHER_BANNED = 'PublisherStatusBanned';
export const PUBLISHER_ID = /^[a-z][a-z0-9-]*$/;

export interface PublisherFields {
  name?: string;
  description?: string;
  website?: string;
  support?: string;
  source_code_repo?: string;
  logo?: string;
}

const EDITABLE = ['name', 'description', 'website', 'support', 'source_code_repo', 'logo'] as const;

function pickFields(input: PublisherFields): Partial<PublisherRow> {
  const out: Partial<PublisherRow> = {};
  for (const k of EDITABLE) if (input[k] !== undefined) out[k] = input[k];
  return out;
}

export async function getPublisher(reg: Registry, id: string): Promise<PublisherRow> {
  const row = await reg.db.selectFrom('publishers').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`publisher ${id} not found`, 'PUBLISHER_NOT_FOUND');
  return row;
}

export async function listPublishers(reg: Registry): Promise<PublisherRow[]> {
  return reg.db.selectFrom('publishers').selectAll().where('status', '=', PUBLISHER_ACTIVE).orderBy('id').limit(10_000).execute();
}

export async function createPublisher(reg: Registry, p: Principal, input: PublisherFields & { id: string }): Promise<PublisherRow> {
  requireRole(p, 'user');
  if (!PUBLISHER_ID.test(input.id) || input.id.length > 100) {
    throw badRequest('publisher id must match ^[a-z][a-z0-9-]*$ and be at most 100 characters', 'INVALID_PUBLISHER_ID');
  }
  const row: PublisherRow = {
    id: input.id,
    name: input.name ?? input.id,
    description: '',
    website: '',
    support: '',
    source_code_repo: '',
    logo: '',
    ...pickFields(input),
    status: PUBLISHER_ACTIVE,
    created_at: now(),
  };
  try {
    await reg.db.transaction().execute(async (trx) => {
      await trx.insertInto('publishers').values(row).execute();
      const userId = p.kind === 'user' || p.kind === 'admin' ? p.user?.id : undefined;
      if (userId) await trx.insertInto('publisher_members').values({ publisher_id: row.id, user_id: userId, role: 'owner' }).execute();
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw badRequest(`publisher id ${input.id} is already taken`, 'PUBLISHER_EXISTS');
    throw err;
  }
  return row;
}

export async function updatePublisher(reg: Registry, p: Principal, id: string, input: PublisherFields): Promise<PublisherRow> {
  await getPublisher(reg, id);
  await requirePublisherOwner(reg, p, id);
  const fields = pickFields(input);
  if (Object.keys(fields).length > 0) await reg.db.updateTable('publishers').set(fields).where('id', '=', id).execute();
  return getPublisher(reg, id);
}

export async function setPublisherBanned(reg: Registry, p: Principal, id: string): Promise<void> {
  requireRole(p);
  await getPublisher(reg, id);
  await reg.db.updateTable('publishers').set({ status: PUBLISHER_BANNED }).where('id', '=', id).execute();
}

export async function listPublisherMembers(reg: Registry, ids: string[]) {
  if (ids.length === 0) return [];
  return reg.db
    .selectFrom('publisher_members')
    .innerJoin('users', 'users.id', 'publisher_members.user_id')
    .select(['publisher_members.publisher_id', 'publisher_members.role', 'users.id as user_id', 'users.email', 'users.name'])
    .where('publisher_members.publisher_id', 'in', ids)
    .execute();
}

export async function createAccessToken(
  reg: Registry,
  p: Principal,
  publisherId: string,
  input: { name: string; description?: string },
): Promise<{ row: AccessTokenRow; token: string }> {
  await getPublisher(reg, publisherId);
  await requirePublisherOwner(reg, p, publisherId);
  if (!input.name.trim()) throw badRequest('token name must not be empty');
  const token = generateToken('crp');
  const row: AccessTokenRow = {
    id: randomUUID(),
    publisher_id: publisherId,
    name: input.name,
    description: input.description ?? '',
    token_hash: hashToken(token),
    token_hint: maskToken(token),
    created_at: now(),
  };
  await reg.db.insertInto('access_tokens').values(row).execute();
  return { row, token };
}

export async function listAccessTokens(reg: Registry, p: Principal, publisherId: string): Promise<AccessTokenRow[]> {
  await getPublisher(reg, publisherId);
  await requirePublisherOwner(reg, p, publisherId);
  return reg.db.selectFrom('access_tokens').selectAll().where('publisher_id', '=', publisherId).orderBy('created_at').execute();
}

export async function deleteAccessToken(reg: Registry, p: Principal, publisherId: string, tokenId: string): Promise<void> {
  await getPublisher(reg, publisherId);
  await requirePublisherOwner(reg, p, publisherId);
  const res = await reg.db.deleteFrom('access_tokens').where('id', '=', tokenId).where('publisher_id', '=', publisherId).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw notFound(`token ${tokenId} not found`, 'TOKEN_NOT_FOUND');
}

/** The publish check: the token in the body must be one of this publisher's tokens. */
export async function verifyAccessToken(reg: Registry, publisherId: string, token: string): Promise<void> {
  const row = token
    ? await reg.db.selectFrom('access_tokens').select('publisher_id').where('token_hash', '=', hashToken(token)).executeTakeFirst()
    : undefined;
  if (!row || row.publisher_id !== publisherId) {
    throw badRequest('personal_access_token is not a valid token of this publisher', 'INVALID_ACCESS_TOKEN');
  }
}

export function assertPublisherActive(pub: PublisherRow): void {
  if (pub.status === PUBLISHER_BANNED) throw forbidden(`publisher ${pub.id} is banned`, 'PUBLISHER_BANNED');
}
