import { Type } from '@sinclair/typebox';
import { NewUser, Publisher, User } from '../../contract/index.js';
import type { Registry } from '../../registry/registry.js';
import { isAdmin, userOf } from '../../registry/principals.js';
import { createUser, listUserPublishers } from '../../registry/users.js';
import { publisherDetails } from '../../registry/publishers.js';
import type { App } from '../app.js';
import { toPublisherDetails, toUser } from '../mappers.js';
import { bearerAuth, errorResponses } from '../schemas.js';

export async function userRoutes(app: App, reg: Registry) {
  app.get(
    '/users',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'The calling user',
        tags: ['Users'],
        security: bearerAuth,
        response: { 200: Type.Ref(User), ...errorResponses(401, 403) },
      },
    },
    async (req) => toUser(userOf(req.principal), isAdmin(req.principal)),
  );

  app.get(
    '/users/publishers',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'Publishers the calling user belongs to',
        tags: ['Users'],
        security: bearerAuth,
        response: { 200: Type.Array(Type.Ref(Publisher)), ...errorResponses(401, 403) },
      },
    },
    async (req) => {
      const user = userOf(req.principal);
      const rows = user ? await listUserPublishers(reg, user.id) : [];
      return (await publisherDetails(reg, rows)).map(toPublisherDetails);
    },
  );

  app.post(
    '/admin/users',
    {
      config: { roles: [] },
      schema: {
        summary: 'Create a user (admin); the token is shown once',
        tags: ['Admin'],
        security: bearerAuth,
        body: NewUser,
        response: { 201: Type.Object({ user: Type.Ref(User), token: Type.String() }), ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const { user, token } = await createUser(reg, req.body);
      return reply.code(201).send({ user: toUser(user, user.is_admin === 1), token });
    },
  );
}
