import { randomUUID } from 'node:crypto';
import { fail, type NewAccessToken, type PublisherInput } from '../contract/index.js';
import { isUniqueViolation } from '../db/database.js';
import type { AccessTokenRow, PublisherRow } from '../db/schema.js';
import type { PageWindow } from './paging.js';
import { assertPublisherOwner, userOf, type Principal } from './principals.js';
import { timestamp, type Registry } from './registry.js';
import { announceCommitted, keys } from './changes.js';
import { generateToken, hashToken, maskToken } from './secrets.js';

export const PUBLISHER_ID = /^[a-z][a-z0-9-]*$/;

export type PublisherFields = Omit<PublisherInput, 'id'>;

const EDITABLE = ['name', 'description', 'website', 'support', 'source_code_repo', 'logo'] as const;

function pickFields(input: PublisherFields): Partial<PublisherRow> {
  const out: Partial<PublisherRow> = {};
  for (const k of EDITABLE) if (input[k] !== undefined) out[k] = input[k];
  return out;
}

export async function getPublisher(reg: Registry, id: string): Promise<PublisherRow> {
  const row = await reg.db.selectFrom('publishers').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw fail('PUBLISHER_NOT_FOUND', id);
  return row;
}

/** Active publishers by id, a page at a time. */
export async function listPublishers(reg: Registry, paging: PageWindow): Promise<{ rows: PublisherRow[]; total: number }> {
  const base = reg.db.selectFrom('publishers').where('status', '=', 'PublisherStatusActive');
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const rows = await base.selectAll().orderBy('id').limit(paging.limit).offset(paging.offset).execute();
  return { rows, total: Number(total) };
}

/** The caller becomes the owner (a configured admin token has no user, so it creates an ownerless publisher). */
export async function createPublisher(reg: Registry, p: Principal, input: PublisherFields & { id: string }): Promise<PublisherRow> {
  if (!PUBLISHER_ID.test(input.id) || input.id.length > 100) throw fail('INVALID_PUBLISHER_ID');
  const row: PublisherRow = {
    id: input.id,
    name: input.name ?? input.id,
    description: '',
    website: '',
    support: '',
    source_code_repo: '',
    logo: '',
    ...pickFields(input),
    status: 'PublisherStatusActive',
    created_at: timestamp(reg),
  };
  try {
    await reg.db.transaction().execute(async (trx) => {
      await trx.insertInto('publishers').values(row).execute();
      const userId = userOf(p)?.id;
      if (userId) await trx.insertInto('publisher_members').values({ publisher_id: row.id, user_id: userId, role: 'owner' }).execute();
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw fail('PUBLISHER_EXISTS', input.id);
    throw err;
  }
  await announceCommitted(reg, [keys.publisher(row.id)]);
  return row;
}

export async function updatePublisher(reg: Registry, p: Principal, id: string, input: PublisherFields): Promise<PublisherRow> {
  await getPublisher(reg, id);
  await assertPublisherOwner(reg, p, id);
  const fields = pickFields(input);
  if (Object.keys(fields).length > 0) {
    await reg.db.updateTable('publishers').set(fields).where('id', '=', id).execute();
    await announceCommitted(reg, [keys.publisher(id)]);
  }
  return getPublisher(reg, id);
}

/** Admin only (the route gate). */
export async function setPublisherBanned(reg: Registry, id: string): Promise<void> {
  await getPublisher(reg, id);
  await reg.db.updateTable('publishers').set({ status: 'PublisherStatusBanned' }).where('id', '=', id).execute();
  await announceCommitted(reg, [keys.publisher(id)]);
}

export interface PublisherMemberRow {
  publisher_id: string;
  role: string;
  user_id: string;
  email: string;
  name: string;
}

/** A publisher with its members, as its API shape shows it. */
export interface PublisherDetails {
  publisher: PublisherRow;
  members: PublisherMemberRow[];
}

/** The members of `rows`, in one query however many publishers. */
export async function publisherDetails(reg: Registry, rows: PublisherRow[]): Promise<PublisherDetails[]> {
  const ids = rows.map((r) => r.id);
  const members = ids.length
    ? await reg.db
        .selectFrom('publisher_members')
        .innerJoin('users', 'users.id', 'publisher_members.user_id')
        .select(['publisher_members.publisher_id', 'publisher_members.role', 'users.id as user_id', 'users.email', 'users.name'])
        .where('publisher_members.publisher_id', 'in', ids)
        .execute()
    : [];
  return rows.map((publisher) => ({ publisher, members: members.filter((m) => m.publisher_id === publisher.id) }));
}

export async function getPublisherDetails(reg: Registry, id: string): Promise<PublisherDetails> {
  return (await publisherDetails(reg, [await getPublisher(reg, id)]))[0]!;
}

export async function createAccessToken(
  reg: Registry,
  p: Principal,
  publisherId: string,
  input: NewAccessToken,
): Promise<{ row: AccessTokenRow; token: string }> {
  await getPublisher(reg, publisherId);
  await assertPublisherOwner(reg, p, publisherId);
  if (!input.name.trim()) throw fail('INVALID_NAME', 'token name');
  const token = generateToken('crp');
  const row: AccessTokenRow = {
    id: randomUUID(),
    publisher_id: publisherId,
    name: input.name,
    description: input.description ?? '',
    token_hash: hashToken(token),
    token_hint: maskToken(token),
    created_at: timestamp(reg),
  };
  await reg.db.insertInto('access_tokens').values(row).execute();
  return { row, token };
}

export async function listAccessTokens(reg: Registry, p: Principal, publisherId: string): Promise<AccessTokenRow[]> {
  await getPublisher(reg, publisherId);
  await assertPublisherOwner(reg, p, publisherId);
  return reg.db.selectFrom('access_tokens').selectAll().where('publisher_id', '=', publisherId).orderBy('created_at').execute();
}

export async function deleteAccessToken(reg: Registry, p: Principal, publisherId: string, tokenId: string): Promise<void> {
  await getPublisher(reg, publisherId);
  await assertPublisherOwner(reg, p, publisherId);
  const res = await reg.db.deleteFrom('access_tokens').where('id', '=', tokenId).where('publisher_id', '=', publisherId).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw fail('TOKEN_NOT_FOUND', tokenId);
}

/** The publish check: the token in the body must be one of this publisher's tokens. */
export async function verifyAccessToken(reg: Registry, publisherId: string, token: string): Promise<void> {
  const row = token
    ? await reg.db.selectFrom('access_tokens').select('publisher_id').where('token_hash', '=', hashToken(token)).executeTakeFirst()
    : undefined;
  if (!row || row.publisher_id !== publisherId) throw fail('INVALID_ACCESS_TOKEN');
}

export function assertPublisherActive(pub: PublisherRow): void {
  if (pub.status === 'PublisherStatusBanned') throw fail('PUBLISHER_BANNED', pub.id);
}
