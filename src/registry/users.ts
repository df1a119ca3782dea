import { randomUUID } from 'node:crypto';
import { fail, type NewUser } from '../contract/index.js';
import type { PublisherRow, UserRow } from '../db/schema.js';
import { timestamp, type Registry } from './registry.js';
import { generateToken, hashToken } from './secrets.js';

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** Creates a user and returns its bearer token, which is shown this once and stored only hashed. */
export async function createUser(reg: Registry, input: NewUser): Promise<{ user: UserRow; token: string }> {
  const name = input.name.trim();
  const email = input.email.trim();
  if (!name) throw fail('INVALID_NAME', 'name');
  if (!EMAIL.test(email)) throw fail('INVALID_EMAIL', email);
  const token = generateToken('cru');
  const user: UserRow = {
    id: randomUUID(),
    name,
    email,
    token_hash: hashToken(token),
    is_admin: input.isAdmin ? 1 : 0,
    created_at: timestamp(reg),
  };
  await reg.db.insertInto('users').values(user).execute();
  return { user, token };
}

export async function listUserPublishers(reg: Registry, userId: string): Promise<PublisherRow[]> {
  return reg.db
    .selectFrom('publishers')
    .innerJoin('publisher_members', 'publisher_members.publisher_id', 'publishers.id')
    .selectAll('publishers')
    .where('publisher_members.user_id', '=', userId)
    .orderBy('publishers.id')
    .execute();
}
