import { Type } from '@sinclair/typebox';
import { ReservedId, ReservedIdInput, fail } from '../../contract/index.js';
import type { Registry } from '../../registry/registry.js';
import { listReservedIds, reserveIds, unreserveIds } from '../../registry/mirror/ownership.js';
import { openMirrorArchive } from '../../registry/mirror/archives.js';
import type { App } from '../app.js';
import { bearerAuth, errorResponses } from '../schemas.js';

/** Mirror mode's own routes: upstream archives through comfyreg, ids reserved for local packs (admin). */
export async function mirrorRoutes(app: App, reg: Registry) {
  app.get(
    '/mirror/archives/:nodeId/:version',
    {
      schema: {
        summary:
          "Download an upstream version's archive through the mirror: fetched from upstream once (allowed hosts only), stored with its SHA-256, then served from the store",
        tags: ['Nodes'],
        params: Type.Object({ nodeId: Type.String({ maxLength: 200 }), version: Type.String({ maxLength: 200 }) }),
        response: { ...errorResponses(404, 413, 502, 503) },
      },
    },
    async (req, reply) => {
      req.cacheReadAt = undefined;
      const found = await openMirrorArchive(reg, req.params.nodeId, req.params.version);
      if (found.size !== undefined) reply.header('content-length', found.size);
      return reply.type('application/zip').header('cache-control', 'public, max-age=31536000, immutable').send(found.stream);
    },
  );

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
