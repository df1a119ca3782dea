import { Type } from '@sinclair/typebox';
import type { App } from '../app.js';
import type { Registry } from '../../registry/registry.js';
import { listUserPublishers } from '../../registry/users.js';
import { listPublisherMembers } from '../../registry/publishers.js';
import { toPublisher } from '../mappers.js';
import { Publisher, User, errorResponses } from '../schemas.js';

const auth = [{ BearerAuth: [] }];

export async function userRoutes(app: App, reg: Registry) {
  app.get(
    '/users',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'The calling user',
        tags: ['Users'],
        security: auth,
        response: { 200: Type.Ref(User), ...errorResponses(401, 403) },
      },
    },
    async (req) => {
      // The role gate lets only users and admins (a configured admin token has no user row) in.
      const p = req.principal;
      const u = p.kind === 'user' || p.kind === 'admin' ? p.user : undefined;
      const admin = p.kind === 'admin';
      return { id: u?.id ?? 'admin', email: u?.email ?? '', name: u?.name ?? 'admin', isApproved: true, isAdmin: admin };
    },
  );

  app.get(
    '/users/publishers',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'Publishers the calling user belongs to',
        tags: ['Users'],
        security: auth,
        response: { 200: Type.Array(Type.Ref(Publisher)), ...errorResponses(401, 403) },
      },
    },
    async (req) => {
      const p = req.principal;
      const user = p.kind === 'user' || p.kind === 'admin' ? p.user : undefined;
      const rows = user ? await listUserPublishers(reg, user.id) : [];
      const members = await listPublisherMembers(reg, rows.map((r) => r.id));
      return rows.map((r) => toPublisher(r, members));
    },
  );
}
