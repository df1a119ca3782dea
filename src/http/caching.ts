import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const PUBLIC_CACHE_CONTROL = 'public, max-age=60';
export const PRIVATE_CACHE_CONTROL = 'private, no-store';

/**
 * GET routes with a side effect (counting a download) or a live answer (probes, metrics): a cache
 * answering them would skip it.
 */
export const SIDE_EFFECT_ROUTES = new Set(['/nodes/:nodeId/install', '/livez', '/readyz', '/metrics']);

/** Side-effect routes whose effect the answer cache replays on each hit (`req.cacheOnServe`): installs count a download. */
export const REPLAYED_EFFECT_ROUTES = new Set(['/nodes/:nodeId/install']);

/** A strong validator: the hash of the exact bytes, so any change to the answer changes it. */
export function etagOf(payload: string | Buffer): string {
  return `"${createHash('sha1').update(payload).digest('base64url')}"`;
}

/** If-None-Match uses the weak comparison (RFC 9110 §13.1.2): `W/` prefixes are ignored. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

function addVary(reply: FastifyReply, field: string): void {
  const current = reply.getHeader('vary');
  const fields =
    typeof current === 'string'
      ? current
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [];
  if (!fields.some((f) => f === '*' || f.toLowerCase() === field.toLowerCase())) fields.push(field);
  reply.header('vary', fields.join(', '));
}

/**
 * ETag, Cache-Control and 304 for every successful GET whose body is in memory (archive downloads
 * stream and keep their own headers). Authorized answers may hold what the public must not see
 * (banned comfy nodes for admins), so they are never stored by a shared cache.
 */
export function installCaching(app: FastifyInstance): void {
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || reply.statusCode !== 200) return payload;
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    addVary(reply, 'Authorization');
    if (SIDE_EFFECT_ROUTES.has(req.routeOptions.url ?? '')) {
      reply.header('cache-control', PRIVATE_CACHE_CONTROL);
      return payload;
    }
    // An answer from the response cache carries the ETag of its bytes already.
    const etag = (reply.getHeader('etag') as string | undefined) ?? etagOf(payload);
    reply.header('etag', etag);
    if (req.headers.authorization !== undefined) reply.header('cache-control', PRIVATE_CACHE_CONTROL);
    else if (!reply.hasHeader('cache-control')) reply.header('cache-control', PUBLIC_CACHE_CONTROL);
    if (etagMatches(req.headers['if-none-match'], etag)) {
      reply.code(304);
      reply.removeHeader('content-type');
      reply.removeHeader('content-length');
      return null;
    }
    return payload;
  });
}
