import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv } from 'ajv';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Registry } from '../registry/registry.js';
import { installAuth } from './auth.js';
import { installSecurityHeaders, tightenSwaggerCsp } from './security-headers.js';
import { installRateLimits, type RateLimits } from './rate-limits.js';
import { installErrorHandling, sendError } from './errors.js';
import { installNulGuard } from './nul-guard.js';
import { installSettledCounts } from './settled-counts.js';
import { SHARED_SCHEMAS } from './schemas.js';
import { userRoutes } from './routes/users.js';
import { publisherRoutes } from './routes/publishers.js';
import { nodeRoutes } from './routes/nodes.js';
import { publishRoutes } from './routes/publish.js';
import { UPLOAD_PREFIX, archiveRoutes, type DownloadMode } from './routes/archives.js';
import { comfyNodeRoutes } from './routes/comfy-nodes.js';
import { comfyNodeReadRoutes } from './routes/comfy-node-reads.js';
import { installCaching } from './caching.js';
import { ResponseCache, installResponseCache, serveFromCache } from './response-cache.js';
import { adminRoutes } from './routes/admin.js';
import { extractionJobRoutes } from './routes/extraction-jobs.js';
import { operationRoutes } from './routes/operations.js';
import { managerRoutes } from './routes/manager.js';
import { gitRoutes } from './routes/git.js';
import { GitRepositories } from '../registry/git-repos.js';
import { mirrorRoutes } from './routes/mirror.js';
import { Metrics, addRegistrySeries, installRequestMetrics } from './metrics.js';
import type { PoolStats } from '../db/database.js';
import { uiRoutes } from '../ui/index.js';

export interface AppOptions {
  maxBody: number;
  maxArchive: number;
  /** Entries of the anonymous-GET answer cache; 0 turns it off (default 20,000). */
  readCache?: number;
  logger?: FastifyServerOptions['logger'];
  /** Per-address and per-token limits (none when absent or zero). */
  rateLimits?: RateLimits;
  /** Take the client address from X-Forwarded-For. */
  trustProxy?: boolean;
  /** Archive downloads: streamed (default), or redirected to the store's presigned URLs. */
  downloads?: DownloadMode;
  /** Bearer token `/metrics` requires; open without one. */
  metricsToken?: string;
  /** Where packs' git repositories are built (`{data}/git`; a temporary folder by default). */
  gitDir?: string;
  /** PostgreSQL's pool figures, for metrics. */
  pool?: () => PoolStats;
  /**
   * A server already listening (see `bindServer`): the app answers its requests, and closing the
   * app does not close it. Without one the app makes its own, for `inject` or `app.listen`.
   */
  server?: http.Server;
}

export type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;

function validators(): { body: Ajv; other: Ajv } {
  // Bodies are validated strictly (a string is never a boolean); query and path values arrive as text.
  const common = { useDefaults: true, strict: false, allErrors: false, removeAdditional: false } as const;
  const body = new Ajv({ ...common, coerceTypes: false });
  const other = new Ajv({ ...common, coerceTypes: 'array' });
  for (const s of SHARED_SCHEMAS) {
    body.addSchema(s);
    other.addSchema(s);
  }
  return { body, other };
}

export async function buildApp(reg: Registry, opts: AppOptions): Promise<App> {
  const cache = opts.readCache === 0 ? null : new ResponseCache(opts.readCache ?? 20_000);
  // Anonymous requests answered from the cache are not rate limited: then installs, which count, are not kept.
  const replayEffects = !(opts.rateLimits && opts.rateLimits.perAddress > 0);
  const cacheContext = cache ? { cache, changes: reg.changes, now: () => reg.clock.now(), replayEffects } : null;
  // The port is bound before the app is built: until it is ready, Fastify's routes are not either.
  let started = false;
  const app = Fastify({
    // Cached answers leave before Fastify sees the request: the resolver's hot path costs a map lookup.
    serverFactory: (handler) => {
      const onRequest: http.RequestListener = (req, res) => {
        if (!started) return answerStarting(req, res);
        if (!cacheContext || !serveFromCache(cacheContext, req, res, () => handler(req, res))) handler(req, res);
      };
      // A client that asks before sending a body too large for the route is refused before it sends any.
      const onContinue: http.RequestListener = (req, res) => {
        if (refuseTooLarge(req, res, opts)) return;
        res.writeContinue();
        onRequest(req, res);
      };
      const server = opts.server ?? http.createServer();
      // From here on this app answers, "starting" included, in place of bindServer's placeholder.
      const placeholder = placeholders.get(server);
      if (placeholder) server.off('request', placeholder);
      server.on('request', onRequest);
      server.on('checkContinue', onContinue);
      return server;
    },
    logger: opts.logger ?? false,
    bodyLimit: opts.maxBody,
    trustProxy: opts.trustProxy ?? false,
    routerOptions: { maxParamLength: 4096, ignoreTrailingSlash: true },
    // Errors raised before routing (a malformed percent-encoding) answer in the contract's shape too.
    frameworkErrors: (err, _req, reply) =>
      sendError(reply, 'BAD_URL', err.message, err.statusCode && err.statusCode < 500 ? err.statusCode : 400),
  }).withTypeProvider<TypeBoxTypeProvider>();

  const ajv = validators();
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? ajv.body : ajv.other).compile(schema));
  for (const s of SHARED_SCHEMAS) app.addSchema(s);

  const metrics = new Metrics((name, err) => app.log.warn({ err }, `metric ${name} could not be read`));
  installRequestMetrics(app, metrics);
  addRegistrySeries(metrics, { reg, cache, pool: opts.pool });
  app.decorate('metrics', metrics);
  app.addHook('onReady', async () => {
    started = true;
  });
  installErrorHandling(app);
  installNulGuard(app);
  await app.register(cors, { origin: '*', methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'] });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'comfyreg', description: 'A self-hosted Comfy Registry, wire-compatible with api.comfy.org', version: '0.1.0' },
      components: { securitySchemes: { BearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    transformStaticCSP: tightenSwaggerCsp,
    // The validator badge would call validator.swagger.io: nothing leaves the registry's origin.
    uiConfig: { validatorUrl: null },
  });
  installSecurityHeaders(app);
  installAuth(app, reg);
  if (opts.rateLimits) await installRateLimits(app, opts.rateLimits);
  installCaching(app);
  installSettledCounts(app, reg);
  app.decorate('readCache', cache);
  if (cacheContext) installResponseCache(app, cacheContext);

  await app.register(async (scope) => {
    scope.get('/openapi.json', { schema: { hide: true } }, async () => scope.swagger());
    await userRoutes(scope as App, reg);
    await publisherRoutes(scope as App, reg);
    await nodeRoutes(scope as App, reg);
    await publishRoutes(scope as App, reg);
    await comfyNodeRoutes(scope as App, reg);
    await comfyNodeReadRoutes(scope as App, reg);
    await adminRoutes(scope as App, reg);
    await extractionJobRoutes(scope as App, reg);
    await operationRoutes(scope as App, reg, metrics, opts.metricsToken);
    await managerRoutes(scope as App, reg);
    await mirrorRoutes(scope as App, reg);
  });
  await app.register(async (scope) => archiveRoutes(scope as App, reg, opts.maxArchive, opts.downloads));
  // The web UI: `/` and `/ui/…`, with its own form parser, session and HTML error pages.
  await app.register(async (scope) => uiRoutes(scope as App, reg));
  const gitDir = opts.gitDir ?? path.join(os.tmpdir(), `comfyreg-git-${process.pid}`);
  await app.register(async (scope) => gitRoutes(scope as App, new GitRepositories(reg, gitDir, app.log)));
  return app as App;
}

/**
 * Binds the port before anything else is built, so that the registry can be given the URL it is
 * reached at (`--port 0` included) and is never changed afterwards.
 */
export async function bindServer(port: number, host: string): Promise<{ server: http.Server; port: number }> {
  // While the rest starts (waiting for the database, migrating), requests get an answer, not silence.
  const server = http.createServer(answerStarting);
  placeholders.set(server, answerStarting);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : port };
}

const placeholders = new WeakMap<http.Server, http.RequestListener>();

/** Before the app is ready the process is alive but serves nothing: `/livez` 200, anything else 503. */
function answerStarting(req: http.IncomingMessage, res: http.ServerResponse): void {
  const live = req.url === '/livez' || req.url?.startsWith('/livez?');
  const body = JSON.stringify(live ? { status: 'ok' } : { error: 'NOT_READY', message: 'not ready: starting' });
  res
    .writeHead(live ? 200 : 503, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      ...(live ? {} : { 'retry-after': '1' }),
    })
    .end(body);
}

/** Answers 413 and closes the connection when a declared Content-Length is over the route's limit. */
function refuseTooLarge(req: http.IncomingMessage, res: http.ServerResponse, opts: AppOptions): boolean {
  const limit = req.url?.startsWith(UPLOAD_PREFIX) ? opts.maxArchive : opts.maxBody;
  const length = Number(req.headers['content-length']);
  if (!(length > limit)) return false;
  const code = req.url?.startsWith(UPLOAD_PREFIX) ? 'ARCHIVE_TOO_LARGE' : 'BODY_TOO_LARGE';
  const body = JSON.stringify({ error: code, message: `the body declares ${length} bytes, over the limit of ${limit}` });
  res
    .writeHead(413, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' })
    .end(body);
  return true;
}
