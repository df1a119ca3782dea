import { randomUUID } from 'node:crypto';
import type { PublisherRow, UserRow } from '../db/schema.js';
import { badRequest } from './errors.js';
import type { Registry } from './registry.js';
import { now } from './registry.js';
import { generateToken, hashToken } from './secrets.js';

export interface NewUserInput {
  name: string;
  email: string;
  isAdmin?: boolean;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** Creates a user and returns its bearer token, which is shown this once and stored only hashed. */
export async function createUser(reg: Registry, input: NewUserInput): Promise<{ user: UserRow; token: string }> {
  const name = input.name.trim();
  const email = input.email.trim();
  if (!name) throw badRequest('name must not be empty');
  if (!EMAIL.test(email)) throw badRequest(`"${email}" is not an email address`);
  const token = generateToken('cru');
  const user: UserRow = {
    id: randomUUID(),
    name,
    email,
    token_hash: hashToken(token),
    is_admin: input.isAdmin ? 1 : 0,
    created_at: now(),
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
