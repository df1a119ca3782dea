import { Type } from '@sinclair/typebox';
import { ReservedId, ReservedIdInput, fail } from '../../contract/index.js';
import type { Registry } from '../../registry/registry.js';
import { listReservedIds, reserveIds, unreserveIds } from '../../registry/mirror/ownership.js';
import type { App } from '../app.js';
import { bearerAuth, errorResponses } from '../schemas.js';

/** Mirror mode's own routes: ids reserved for local packs (admin). */
export async function mirrorRoutes(app: App, reg: Registry) {
  app.get(
    '/admin/reserved-ids',
    {
      config: { roles: [] },
      schema: {
        summary: 'Id patterns local packs may take although the uplink has them (admin); the configured ones first',
        tags: ['Admin'],
        security: bearerAuth,
        response: { 200: Type.Array(ReservedId), ...errorResponses(401, 403) },
      },
    },
    async () => listReservedIds(reg),
  );

  app.post(
    '/admin/reserved-ids',
    {
      config: { roles: [] },
      schema: {
        summary: 'Reserve an id or id pattern for local packs (admin): creating such a pack is then allowed although the uplink has it',
        tags: ['Admin'],
        security: bearerAuth,
        body: ReservedIdInput,
        response: { 201: ReservedId, ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const row = await reserveIds(reg, req.body.pattern, req.body.reason ?? '');
      req.log.info({ pattern: row.pattern, reason: row.reason }, 'reserved an id pattern for local packs');
      return reply.code(201).send(row);
    },
  );

  app.delete(
    '/admin/reserved-ids/:pattern',
    {
      config: { roles: [] },
      schema: {
        summary: 'Remove a stored reservation (admin); packs created under it stay',
        tags: ['Admin'],
        security: bearerAuth,
        params: Type.Object({ pattern: Type.String({ maxLength: 100 }) }),
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      if (!(await unreserveIds(reg, req.params.pattern))) throw fail('RESERVATION_NOT_FOUND', req.params.pattern);
      req.log.info({ pattern: req.params.pattern }, 'removed an id reservation');
      return reply.code(204).send(null);
    },
  );
}
