import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Registry } from '../registry/registry.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's answers may show download counts up to one flush interval old (the resolver, installs). */
    countsMayLag?: boolean;
  }
}

/**
 * Download counts are written in batches (src/registry/download-counts.ts); a request that may
 * show them waits for the counts gathered so far to be written, so that an install is visible on
 * the very next read. Most of the time nothing is waiting and this is one comparison.
 */
export function installSettledCounts(app: FastifyInstance, reg: Registry): void {
  reg.downloads.onError = (err) => app.log.warn({ err }, 'download counts could not be written; they are kept and tried again');
  app.addHook('onRequest', (req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (reg.downloads.waiting === 0 || req.routeOptions.config.countsMayLag) return done();
    reg.downloads.settle().then(
      () => done(),
      // The read goes on: it shows the counts written so far, and fails on its own if the database is away.
      (err: unknown) => {
        reg.downloads.onError(err);
        done();
      },
    );
  });
  app.addHook('onClose', async () => {
    await reg.downloads.flush().catch(reg.downloads.onError);
  });
}
