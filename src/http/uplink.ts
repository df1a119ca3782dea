import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Mirrored } from '../registry/mirror/reads.js';

/** Says how an answer from the uplink was come by: `fresh` (kept, young), `revalidated` (asked now), `stale` (kept; the uplink failed), `offline` (imported; no uplink). */
export const UPLINK_HEADER = 'x-comfyreg-uplink';

/**
 * Answers a read through the uplink. The answer cache keeps only answers that were kept and young
 * (`fresh`), and only until their max age; clients revalidate them, and a stale one says so.
 */
export async function throughUplink<T>(req: FastifyRequest, reply: FastifyReply, read: () => Promise<Mirrored<T>>): Promise<T> {
  const readAt = req.cacheReadAt;
  req.cacheReadAt = undefined;
  const { value, freshness, expiresAt } = await read();
  // A kept answer within its max age may be replayed from memory until that age (the hot resolver path).
  if (freshness === 'fresh' && expiresAt !== undefined && readAt !== undefined) {
    req.cacheReadAt = readAt;
    req.cacheExpiresAt = expiresAt;
  }
  reply.header(UPLINK_HEADER, freshness).header('cache-control', 'no-cache');
  if (freshness === 'stale') reply.header('warning', '110 comfyreg "Response is Stale"');
  return value;
}
