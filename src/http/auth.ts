import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ANONYMOUS, identify, type Principal } from '../registry/principals.js';
import type { Registry } from '../registry/registry.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

function bearerToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  // A malformed header is a credential that matches nobody: 401 on protected routes.
  return m ? m[1] : '';
}

/** Resolves the caller once per request; routes decide what the principal may do. */
export function installAuth(app: FastifyInstance, reg: Registry): void {
  app.decorateRequest('principal', null as never);
  app.addHook('onRequest', async (req) => {
    const token = bearerToken(req);
    req.principal = token === undefined ? ANONYMOUS : await identify(reg, token);
  });
}
