import { Type } from '@sinclair/typebox';
import { NodeVersion, VersionStatusUpdate } from '../../contract/index.js';
import type { Registry } from '../../registry/registry.js';
import { setVersionStatus } from '../../registry/versions.js';
import type { App } from '../app.js';
import { toNodeVersion } from '../mappers.js';
import { bearerAuth, errorResponses } from '../schemas.js';

export async function adminRoutes(app: App, reg: Registry) {
  app.put(
    '/admin/nodes/:nodeId/versions/:versionNumber',
    {
      config: { roles: [] },
      schema: {
        summary: "Set a version's status (admin): approve a Pending version, flag or ban it",
        tags: ['Admin'],
        security: bearerAuth,
        params: Type.Object({ nodeId: Type.String({ maxLength: 200 }), versionNumber: Type.String({ maxLength: 200 }) }),
        body: VersionStatusUpdate,
        response: { 200: Type.Ref(NodeVersion), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => toNodeVersion(reg, await setVersionStatus(reg, req.params.nodeId, req.params.versionNumber, req.body), { admin: true }),
  );
}
