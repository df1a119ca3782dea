import { Type } from '@sinclair/typebox';
import type { App } from '../app.js';
import type { Registry } from '../../registry/registry.js';
import { badRequest, notFound } from '../../registry/errors.js';
import { VERSION_STATUSES, findVersion, getNode, refreshLatest } from '../../registry/nodes.js';
import { createUser } from '../../registry/users.js';
import { toNodeVersion } from '../mappers.js';
import { NodeVersion, User, errorResponses } from '../schemas.js';

const auth = [{ BearerAuth: [] }];

export async function adminRoutes(app: App, reg: Registry) {
  app.post(
    '/admin/users',
    {
      config: { roles: [] },
      schema: {
        summary: 'Create a user (admin); the token is shown once',
        tags: ['Admin'],
        security: auth,
        body: Type.Object({
          name: Type.String({ maxLength: 200 }),
          email: Type.String({ maxLength: 320 }),
          isAdmin: Type.Optional(Type.Boolean()),
        }),
        response: { 201: Type.Object({ user: Type.Ref(User), token: Type.String() }), ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const { user, token } = await createUser(reg, req.body);
      return reply
        .code(201)
        .send({ user: { id: user.id, email: user.email, name: user.name, isApproved: true, isAdmin: user.is_admin === 1 }, token });
    },
  );

  app.put(
    '/admin/nodes/:nodeId/versions/:versionNumber',
    {
      config: { roles: [] },
      schema: {
        summary: "Set a version's status (admin): approve a Pending version, flag or ban it",
        tags: ['Admin'],
        security: auth,
        params: Type.Object({ nodeId: Type.String({ maxLength: 200 }), versionNumber: Type.String({ maxLength: 200 }) }),
        body: Type.Object({ status: Type.String({ maxLength: 64 }), status_reason: Type.Optional(Type.String({ maxLength: 10_000 })) }),
        response: { 200: Type.Ref(NodeVersion), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      if (!VERSION_STATUSES.includes(req.body.status)) throw badRequest(`status must be one of ${VERSION_STATUSES.join(', ')}`);
      const node = await getNode(reg, req.params.nodeId, { includeHidden: true });
      const updated = await reg.db.transaction().execute(async (trx) => {
        const v = await findVersion(trx, node.id, req.params.versionNumber);
        if (!v) throw notFound(`version ${req.params.versionNumber} of node ${node.id} not found`, 'VERSION_NOT_FOUND');
        await trx
          .updateTable('node_versions')
          .set({ status: req.body.status, status_reason: req.body.status_reason ?? '' })
          .where('id', '=', v.id)
          .execute();
        await refreshLatest(trx, node.id);
        return { ...v, status: req.body.status, status_reason: req.body.status_reason ?? '' };
      });
      return toNodeVersion(reg, updated, { admin: true });
    },
  );
}
