import { Type } from '@sinclair/typebox';
import type { App } from '../app.js';
import type { Registry } from '../../registry/registry.js';
import { requireRole } from '../../registry/principals.js';
import { listUserPublisherIds } from '../../registry/users.js';
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
      const p = req.principal;
      requireRole(p, 'user');
      if (p.kind === 'admin') {
        const u = p.user;
        return { id: u?.id ?? 'admin', email: u?.email ?? '', name: u?.name ?? 'admin', isApproved: true, isAdmin: true };
      }
      if (p.kind !== 'user') return { id: p.kind, email: '', name: p.kind, isApproved: true, isAdmin: false };
      return { id: p.user.id, email: p.user.email, name: p.user.name, isApproved: true, isAdmin: false };
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
      requireRole(p, 'user');
      const user = p.kind === 'user' || p.kind === 'admin' ? p.user : undefined;
      if (!user) return [];
      const ids = await listUserPublisherIds(reg, user.id);
      if (ids.length === 0) return [];
      const rows = await reg.db.selectFrom('publishers').selectAll().where('id', 'in', ids).orderBy('id').execute();
      const members = await listPublisherMembers(reg, ids);
      return rows.map((r) => toPublisher(r, members));
    },
  );
}
