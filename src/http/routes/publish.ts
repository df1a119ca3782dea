import { Type } from '@sinclair/typebox';
import { PublishRequest, PublishResponse } from '../../contract/index.js';
import type { Registry } from '../../registry/registry.js';
import { publishVersion } from '../../registry/publish.js';
import type { App } from '../app.js';
import { toNodeVersion } from '../mappers.js';
import { errorResponses } from '../schemas.js';

export async function publishRoutes(app: App, reg: Registry) {
  app.post(
    '/publishers/:publisherId/nodes/:nodeId/versions',
    {
      schema: {
        summary: 'Publish a version (comfy-cli); the personal access token travels in the body',
        description: 'Answers 201 with a signedUrl; PUT the zip there (Content-Type: application/zip) within 15 minutes.',
        tags: ['Publish'],
        params: Type.Object({ publisherId: Type.String({ maxLength: 100 }), nodeId: Type.String({ maxLength: 200 }) }),
        body: PublishRequest,
        response: { 201: PublishResponse, ...errorResponses(400, 403, 404) },
      },
    },
    async (req, reply) => {
      const { version, signedUrl } = await publishVersion(reg, req.params.publisherId, req.params.nodeId, req.body);
      return reply.code(201).send({ node_version: toNodeVersion(reg, version), signedUrl });
    },
  );
}
