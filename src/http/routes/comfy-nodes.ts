import { Type } from '@sinclair/typebox';
import { CreateComfyNodesRequest } from '../../contract/index.js';
import type { Registry } from '../../registry/registry.js';
import { createComfyNodes, deleteComfyNodes } from '../../registry/comfy-node-ingest.js';
import type { App } from '../app.js';
import { VersionParams, bearerAuth, errorResponses } from '../schemas.js';

export async function comfyNodeRoutes(app: App, reg: Registry) {
  app.post(
    '/nodes/:nodeId/versions/:version/comfy-nodes',
    {
      config: { roles: ['service'] },
      schema: {
        summary: 'CreateComfyNodes: store the comfy nodes extracted from a version (extraction service or admin)',
        description:
          'success absent or true: insert one row per map entry in one transaction (409 when the version already has rows). success false: mark the version failed with the reason.',
        tags: ['Comfy nodes'],
        operationId: 'CreateComfyNodes',
        security: bearerAuth,
        params: VersionParams,
        body: CreateComfyNodesRequest,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 409, 413) },
      },
    },
    async (req, reply) => {
      await createComfyNodes(reg, req.params.nodeId, req.params.version, req.body);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/nodes/:nodeId/versions/:version/comfy-nodes',
    {
      config: { roles: ['service'] },
      schema: {
        summary: "Remove a version's comfy nodes and reset it to pending for re-extraction (extraction service or admin)",
        tags: ['Comfy nodes'],
        operationId: 'DeleteComfyNodes',
        security: bearerAuth,
        params: VersionParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await deleteComfyNodes(reg, req.params.nodeId, req.params.version);
      return reply.code(204).send(null);
    },
  );
}
