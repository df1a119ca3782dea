import { createHash, timingSafeEqual } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { ERRORS, Liveness, NotReady, Ready, fail } from '../../contract/index.js';
import { READINESS_CHECKS, checkReadiness } from '../../registry/health.js';
import type { Registry } from '../../registry/registry.js';
import type { App } from '../app.js';
import type { Metrics } from '../metrics.js';
import { bearerAuth, errorResponses } from '../schemas.js';

/*
 * /livez, /readyz and /metrics (contract §7). They answer whatever load there is (no rate limit),
 * never from a cache, without waiting for download counts to be written (a slow database must not
 * fail the liveness probe), and /metrics reads its own token: the caller is not looked up in the database.
 */
const OPERATIONS = { rateLimit: false, ownBearer: true, countsMayLag: true } as const;
const NO_STORE = 'no-store';

const digest = (t: string) => createHash('sha256').update(t).digest();

function bearerMatches(header: string | undefined, token: string): boolean {
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return !!m && timingSafeEqual(digest(m[1]!), digest(token));
}

export async function operationRoutes(app: App, reg: Registry, metrics: Metrics, metricsToken?: string) {
  app.get(
    '/livez',
    {
      config: OPERATIONS,
      schema: { summary: 'Liveness: 200 while the process answers', tags: ['Operations'], response: { 200: Liveness } },
    },
    async (_req, reply) => {
      reply.header('cache-control', NO_STORE);
      return { status: 'ok' as const };
    },
  );

  app.get(
    '/readyz',
    {
      config: OPERATIONS,
      schema: {
        summary: 'Readiness: 200 when the database answers, its migrations have run and the archive store answers; else 503',
        tags: ['Operations'],
        response: { 200: Ready, 503: NotReady },
      },
    },
    async (req, reply) => {
      const { ready, checks, causes } = await checkReadiness(reg);
      reply.header('cache-control', NO_STORE);
      if (ready) return { status: 'ok' as const, checks };
      const failed = READINESS_CHECKS.filter((c) => checks[c] === 'failed');
      req.log.warn({ causes }, 'not ready');
      return reply.code(503).send({ error: 'NOT_READY' as const, message: ERRORS.NOT_READY.message(failed.join(', ')), checks });
    },
  );

  app.get(
    '/metrics',
    {
      config: OPERATIONS,
      onRequest: async (req) => {
        if (metricsToken && !bearerMatches(req.headers.authorization, metricsToken)) throw fail('UNAUTHORIZED');
      },
      schema: {
        summary: 'Prometheus metrics (text exposition format); with COMFYREG_METRICS_TOKEN set, that bearer token is required',
        tags: ['Operations'],
        produces: ['text/plain'],
        ...(metricsToken ? { security: bearerAuth } : {}),
        response: { 200: Type.String({ description: 'Prometheus text format 0.0.4' }), ...errorResponses(401) },
      },
    },
    async (_req, reply) => {
      const text = await metrics.text();
      return reply.type(metrics.contentType).header('cache-control', NO_STORE).send(text);
    },
  );
}
