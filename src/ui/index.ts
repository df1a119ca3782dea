import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERRORS, RegistryError } from '../contract/index.js';
import { isDatabaseUnavailable } from '../db/faults.js';
import type { App } from '../http/app.js';
import type { Registry } from '../registry/registry.js';
import { APP_CSS, APP_JS } from './assets.js';
import { errorPage } from './pages/comfy-node.js';
import { DONE_MESSAGES, sendPage } from './respond.js';
import { loadUiContext } from './session.js';
import { browseRoutes, homeRoute } from './routes/browse.js';
import { accountRoutes } from './routes/account.js';
import { adminUiRoutes } from './routes/admin.js';

/** Form bodies are small: a pack's description is the largest field. */
const FORM_LIMIT = 256 * 1024;

function answerError(err: FastifyError | RegistryError | Error, req: FastifyRequest, reply: FastifyReply) {
  let status = 500;
  let code = 'INTERNAL';
  let message = ERRORS.INTERNAL.message();
  if (err instanceof RegistryError) {
    ({ status, code, message } = err);
  } else if (isDatabaseUnavailable(err)) {
    status = 503;
    code = 'DATABASE_UNAVAILABLE';
    message = ERRORS.DATABASE_UNAVAILABLE.message();
    reply.header('retry-after', 2);
  } else {
    const fe = err as FastifyError;
    if (fe.validation)
      [status, code, message] = [400, 'BAD_REQUEST', `${fe.validationContext ?? 'request'} ${fe.validation[0]?.message ?? 'is invalid'}`];
    else if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)
      [status, code, message] = [fe.statusCode, fe.code ?? 'BAD_REQUEST', fe.message];
  }
  if (status >= 500) req.log.error({ err }, 'web UI page failed');
  const ctx = req.ui ?? { principal: { kind: 'anonymous' }, csrf: '' };
  return sendPage(req, reply, errorPage(ctx, status, code, message), { status, personal: true });
}

/**
 * The web UI: `/` and everything under `/ui/`, in a scope of its own so that its form parser,
 * session cookie and HTML error pages never touch the API's routes.
 */
export async function uiRoutes(app: App, reg: Registry): Promise<void> {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_req, body, done) => {
    done(null, new URLSearchParams(body as string));
  });
  app.addHook('onRequest', async (req) => {
    req.ui = await loadUiContext(reg, req);
    const done = (req.query as { done?: unknown } | undefined)?.done;
    if (typeof done === 'string' && DONE_MESSAGES[done]) req.ui.notice = DONE_MESSAGES[done];
  });
  app.setErrorHandler(answerError);
  await homeRoute(app, reg);

  await app.register(
    async (ui) => {
      ui.setNotFoundHandler((req, reply) =>
        answerError(new RegistryError('ROUTE_NOT_FOUND', req.method, req.url.split('?')[0]!), req, reply),
      );
      ui.get('/', { schema: { hide: true } }, async (_req, reply) => reply.code(308).header('location', '/').send());
      ui.get('/assets/app.css', { schema: { hide: true } }, async (_req, reply) =>
        reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=31536000, immutable').send(APP_CSS),
      );
      ui.get('/assets/app.js', { schema: { hide: true } }, async (_req, reply) =>
        reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=31536000, immutable').send(APP_JS),
      );
      await browseRoutes(ui as App, reg);
      await accountRoutes(ui as App, reg);
      await adminUiRoutes(ui as App, reg);
    },
    { prefix: '/ui' },
  );
}
