import { Type } from '@sinclair/typebox';
import { ExtractionJob, JobCompletion, JobFailure, LeaseRequest, LeasedJob } from '../../contract/index.js';
import type { Registry } from '../../registry/registry.js';
import { backfill, completeJob, failJob, leaseJob, listJobs, releaseJob } from '../../registry/extraction-queue.js';
import { pageWindow } from '../../registry/paging.js';
import type { App } from '../app.js';
import { toExtractionJob } from '../mappers.js';
import { MAX_ARRAY_PAGE, Paging, TOTAL_COUNT_HEADER, bearerAuth, errorResponses } from '../schemas.js';

const tags = ['Extraction'];
const JobParams = Type.Object({ versionId: Type.String({ maxLength: 100 }) });

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
        security: bearerAuth,
        querystring: Type.Object({ max_node: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 10 })) }),
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      await backfill(reg, req.query.max_node ?? 10);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/extraction-jobs/lease',
    {
      config: { roles: ['service'] },
      schema: {
        summary: 'Lease the next extraction job (service or admin); 204 when there is none',
        tags,
        security: bearerAuth,
        body: LeaseRequest,
        response: { 200: LeasedJob, 204: Type.Null(), ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const job = await leaseJob(reg, req.body.worker, req.body.lease_seconds ?? 300);
      return job ?? reply.code(204).send(null);
    },
  );

  app.post(
    '/extraction-jobs/:versionId/fail',
    {
      config: { roles: ['service'] },
      schema: {
        summary: 'Give a leased job back after a failure; the third failure marks the version failed',
        tags,
        security: bearerAuth,
        params: JobParams,
        body: JobFailure,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await failJob(reg, req.params.versionId, req.body.worker, req.body.reason);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/extraction-jobs/:versionId/release',
    {
      config: { roles: ['service'] },
      schema: {
        summary: 'Give a leased job back unfinished (a worker that stops); it is queued again and the lease does not count as an attempt',
        tags,
        security: bearerAuth,
        params: JobParams,
        body: JobCompletion,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      await releaseJob(reg, req.params.versionId, req.body.worker);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/extraction-jobs/:versionId/complete',
    {
      config: { roles: ['service'] },
      schema: {
        summary: 'End a job whose version already has its comfy nodes',
        tags,
        security: bearerAuth,
        params: JobParams,
        body: JobCompletion,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      await completeJob(reg, req.params.versionId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/extraction-jobs',
    {
      config: { roles: [] },
      schema: {
        summary: `The extraction queue, oldest first (admin), ${MAX_ARRAY_PAGE} a page at most (the ${TOTAL_COUNT_HEADER} header says how many in all)`,
        tags,
        security: bearerAuth,
        querystring: Paging(MAX_ARRAY_PAGE, MAX_ARRAY_PAGE),
        response: { 200: Type.Array(ExtractionJob), ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const { rows, total } = await listJobs(reg, pageWindow(req.query.page, req.query.limit, MAX_ARRAY_PAGE, MAX_ARRAY_PAGE));
      reply.header(TOTAL_COUNT_HEADER, total);
      return rows.map(toExtractionJob);
    },
  );
}
