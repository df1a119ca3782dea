import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ANONYMOUS, identify, requireRole, type Principal, type Role } from '../registry/principals.js';
import type { Registry } from '../registry/registry.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Who may call the route at all; [] means admins only. Ownership is checked by the registry. */
    roles?: Role[];
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
  // Before validation, so that a caller without the right learns 401/403, not what a valid body is.
  app.addHook('preValidation', async (req) => {
    const roles = req.routeOptions.config?.roles;
    if (roles) requireRole(req.principal, ...roles);
  });
}
