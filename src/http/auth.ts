import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fail } from '../contract/index.js';
import { ANONYMOUS, identify, type Principal } from '../registry/principals.js';
import type { Registry } from '../registry/registry.js';

/** Roles a route may admit; admins pass every gate. */
export type Role = 'service' | 'user';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Who may call the route at all; [] means admins only. Ownership is checked by the registry. */
    roles?: Role[];
    /** Body fields only an admin may send; anyone else who sends one gets 403 ADMIN_FIELD. */
    adminFields?: readonly string[];
    /** The route reads the Authorization header itself (the metrics token): the caller is not looked up. */
    ownBearer?: boolean;
  }
}

function bearerToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  // A malformed header is a credential that matches nobody: 401 on protected routes.
  return m ? m[1] : '';
}

/**
 * The one place roles are checked: 401 for no or unknown credentials, 403 for a known principal
 * whose kind is not among `roles`, or who sends a field only admins set.
 */
export function checkGate(p: Principal, roles: Role[], body: unknown, adminFields: readonly string[] = []): void {
  if (p.kind === 'anonymous' || p.kind === 'unknown') throw fail('UNAUTHORIZED');
  if (p.kind === 'admin') return;
  if (!(roles as string[]).includes(p.kind)) throw fail('FORBIDDEN', p.kind);
  if (adminFields.length > 0 && body && typeof body === 'object') {
    const sent = adminFields.filter((f) => (body as Record<string, unknown>)[f] !== undefined);
    if (sent.length > 0) throw fail('ADMIN_FIELD', sent.join(', '));
  }
}

/** Resolves the caller once per request; the gate admits it by role before the body is validated. */
export function installAuth(app: FastifyInstance, reg: Registry): void {
  const slot = Symbol('principal');
  type Slotted = FastifyRequest & { [slot]?: Principal };
  app.decorateRequest('principal', {
    getter(this: Slotted) {
      return this[slot] ?? ANONYMOUS;
    },
    setter(this: Slotted, p: Principal) {
      this[slot] = p;
    },
  });
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config?.ownBearer) return;
    const token = bearerToken(req);
    req.principal = token === undefined ? ANONYMOUS : await identify(reg, token);
  });
  // Before validation, so that a caller without the right learns 401/403, not what a valid body is.
  app.addHook('preValidation', async (req) => {
    const { roles, adminFields } = req.routeOptions.config ?? {};
    if (roles) checkGate(req.principal, roles, req.body, adminFields);
  });
}
