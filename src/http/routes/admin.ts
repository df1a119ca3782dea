import { Type } from '@sinclair/typebox';
import { NodeVersion, VersionStatusUpdate } from '../../contract/index.js';
import type { Registry } from '../../registry/registry.js';
import { pageWindow } from '../../registry/paging.js';
import { listRefusedVersions, removeVersion, setVersionStatus } from '../../registry/versions.js';
import type { App } from '../app.js';
import { toNodeVersion } from '../mappers.js';
import { MAX_ARRAY_PAGE, Paging, TOTAL_COUNT_HEADER, bearerAuth, errorResponses } from '../schemas.js';

const AdminVersionParams = Type.Object({ nodeId: Type.String({ maxLength: 200 }), versionNumber: Type.String({ maxLength: 200 }) });

export async function adminRoutes(app: App, reg: Registry) {
  app.put(
    '/admin/nodes/:nodeId/versions/:versionNumber',
    {
      config: { roles: [] },
      schema: {
        summary: "Set a version's status (admin): approve a Pending version, flag or ban it",
        tags: ['Admin'],
        security: bearerAuth,
        params: AdminVersionParams,
        body: VersionStatusUpdate,
        response: { 200: Type.Ref(NodeVersion), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => toNodeVersion(reg, await setVersionStatus(reg, req.params.nodeId, req.params.versionNumber, req.body), { admin: true }),
  );

  app.delete(
    '/admin/nodes/:nodeId/versions/:versionNumber',
    {
      config: { roles: [] },
      schema: {
        summary: 'Remove a version for good (admin): unpublished, and its archive deleted from the store',
        tags: ['Admin'],
        security: bearerAuth,
        params: AdminVersionParams,
        response: { 200: Type.Ref(NodeVersion), ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => toNodeVersion(reg, await removeVersion(reg, req.params.nodeId, req.params.versionNumber), { admin: true }),
  );

  app.get(
    '/admin/refused-versions',
    {
      config: { roles: [] },
      schema: {
        summary: `Versions whose archive the extractor refused (admin), newest first, with the reason; ${MAX_ARRAY_PAGE} a page at most (${TOTAL_COUNT_HEADER} says how many)`,
        tags: ['Admin'],
        security: bearerAuth,
        querystring: Paging(MAX_ARRAY_PAGE, 100),
        response: { 200: Type.Array(Type.Ref(NodeVersion)), ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const { rows, total } = await listRefusedVersions(reg, pageWindow(req.query.page, req.query.limit, 100, MAX_ARRAY_PAGE));
      reply.header(TOTAL_COUNT_HEADER, total);
      return rows.map((v) => toNodeVersion(reg, v, { admin: true }));
    },
  );
}
