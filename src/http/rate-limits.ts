import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fail } from '../contract/index.js';

export interface RateLimits {
  /** Requests per window from one client address without a token; 0: none. */
  perAddress: number;
  /** Requests per window with one user or service token; 0: none. */
  perToken: number;
  windowSeconds: number;
}

/** The bucket of a request: its token's principal when it has one, else its address. */
function bucket(req: FastifyRequest): string {
  const p = req.principal;
  if (p.kind === 'user') return `user:${p.user.id}`;
  if (p.kind === 'service') return 'service';
  return `address:${req.ip}`;
}

/**
 * 429 with Retry-After and the `x-ratelimit-*` headers beyond the limits. Admins are never limited;
 * tokens count apart from addresses, so anonymous traffic never uses up the extraction service's
 * (or a user's) allowance. Answers served from the in-memory answer cache cost nothing and are not
 * counted. Registered after the auth hook, which resolves the principal first.
 */
export async function installRateLimits(app: FastifyInstance, limits: RateLimits): Promise<void> {
  if (limits.perAddress === 0 && limits.perToken === 0) return;
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    timeWindow: limits.windowSeconds * 1000,
    keyGenerator: bucket,
    allowList: (req: FastifyRequest, key: string) => {
      if (req.principal.kind === 'admin') return true;
      const max = key.startsWith('address:') ? limits.perAddress : limits.perToken;
      return max === 0;
    },
    max: async (_req: FastifyRequest, key: string) => (key.startsWith('address:') ? limits.perAddress : limits.perToken),
    errorResponseBuilder: (_req: FastifyRequest, context: { after: string }) => fail('RATE_LIMITED', context.after),
  });
}
