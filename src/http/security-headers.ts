import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** What an HTML page may load: its own origin only (no CDN, no frames), nothing inline. */
export const STRICT_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/**
 * The headers every HTML page carries (`/docs`, the web UI, error pages): a Content-Security-Policy
 * (the page's own when it set one, such as Swagger UI's hashes, else the strict one), no MIME
 * sniffing, no framing, and no referrer to other origins. Every answer gets `nosniff`.
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    reply.header('x-content-type-options', 'nosniff');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html')) {
      if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', STRICT_CSP);
      reply.header('x-frame-options', 'DENY');
      reply.header('referrer-policy', 'same-origin');
    }
    return payload;
  });
}

/**
 * Swagger UI's own policy (with the hashes of its inline code), kept to this origin: no https:
 * sources, no validator badge, no frames, and no upgrade of plain-http requests (it would break a
 * registry served over http on a private network).
 */
export function tightenSwaggerCsp(header: string): string {
  return header
    .split(';')
    .map((d) => d.trim())
    .filter((d) => d && !d.startsWith('upgrade-insecure-requests'))
    .map((d) =>
      d
        .replace(/\s+https:/g, '')
        .replace(/\s+validator\.swagger\.io/g, '')
        .replace(/^frame-ancestors .*/, "frame-ancestors 'none'"),
    )
    .join('; ');
}
