import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Mirrored } from '../registry/mirror/reads.js';

/** Says how an answer from the uplink was come by: `fresh` (kept, young), `revalidated` (asked now), `stale` (kept; the uplink failed), `offline` (imported; no uplink). */
export const UPLINK_HEADER = 'x-comfyreg-uplink';

/**
 * Answers a read through the uplink. The answer cache never keeps it (its freshness is the mirror's
 * business, not the change feed's), clients revalidate it, and a stale one says so.
 */
export async function throughUplink<T>(req: FastifyRequest, reply: FastifyReply, read: () => Promise<Mirrored<T>>): Promise<T> {
  req.cacheReadAt = undefined;
  const { value, freshness } = await read();
  reply.header(UPLINK_HEADER, freshness).header('cache-control', 'no-cache');
  if (freshness === 'stale') reply.header('warning', '110 comfyreg "Response is Stale"');
  return value;
}
