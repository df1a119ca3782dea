import { Type } from '@sinclair/typebox';
import type { App } from '../app.js';
import type { Registry } from '../../registry/registry.js';
import { backfill, failJob, finishExtraction, leaseJob, listJobs } from '../../registry/extraction-queue.js';
import { errorResponses } from '../schemas.js';

const auth = [{ BearerAuth: [] }];
const Worker = Type.String({ minLength: 1, maxLength: 200 });
const Job = Type.Object({
  node_version_id: Type.String(),
  node_id: Type.String(),
  version: Type.String(),
  archive_key: Type.String({ description: 'download it from /archives/{archive_key}' }),
  attempts: Type.Integer(),
  lease_until: Type.String(),
});

/** The extraction queue as seen by workers in other processes (`comfyreg worker`). */
export async function extractionJobRoutes(app: App, reg: Registry) {
  app.post(
    '/comfy-nodes/backfill',
    {
      config: { roles: ['service'] },
      schema: {
        summary: 'Queue extraction of up to max_node pending versions that have an archive (service or admin)',
        tags: ['Comfy nodes'],
        operationId: 'ComfyNodesBackfill',
        security: auth,
        querystring: Type.Object({ max_node: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 10 })) }),
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const queued = await backfill(reg, req.query.max_node ?? 10);
      if (queued > 0) reg.onJobQueued();
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/extraction-jobs/lease',
    {
      config: { roles: ['service'] },
      schema: {
        summary: 'Lease the next extraction job (service or admin); 204 when there is none',
        tags: ['Extraction'],
        security: auth,
        body: Type.Object({ worker: Worker, lease_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })) }),
        response: { 200: Job, 204: Type.Null(), ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const job = await leaseJob(reg, req.body.worker, req.body.lease_seconds ?? 300);
      return job ? job : reply.code(204).send(null);
    },
  );

  app.post(
    '/extraction-jobs/:versionId/fail',
    {
      config: { roles: ['service'] },
      schema: {
        summary: 'Give a leased job back after a failure; the third failure marks the version failed',
        tags: ['Extraction'],
        security: auth,
        params: Type.Object({ versionId: Type.String({ maxLength: 100 }) }),
        body: Type.Object({ worker: Worker, reason: Type.String({ maxLength: 10_000 }) }),
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await failJob(reg, req.params.versionId, req.body.worker, req.body.reason);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/extraction-jobs/:versionId/complete',
    {
      config: { roles: ['service'] },
      schema: {
        summary: 'End a job whose version already has its comfy nodes',
        tags: ['Extraction'],
        security: auth,
        params: Type.Object({ versionId: Type.String({ maxLength: 100 }) }),
        body: Type.Object({ worker: Worker }),
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      await finishExtraction(reg.db, req.params.versionId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/extraction-jobs',
    {
      config: { roles: [] },
      schema: {
        summary: 'The extraction queue (admin)',
        tags: ['Extraction'],
        security: auth,
        response: {
          200: Type.Array(
            Type.Object({
              node_version_id: Type.String(),
              state: Type.String(),
              attempts: Type.Integer(),
              lease_owner: Type.String(),
              lease_until: Type.String(),
              last_error: Type.String(),
            }),
          ),
          ...errorResponses(401, 403),
        },
      },
    },
    async () => (await listJobs(reg)).map((j) => ({ ...j, lease_owner: j.lease_owner ?? '', lease_until: j.lease_until ?? '' })),
  );
}
