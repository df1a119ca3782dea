import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError, type ErrorKind } from '../registry/errors.js';

const STATUS: Record<ErrorKind, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
};

/** Fastify's own 4xx errors, renamed into the catalogue's stable codes. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_VALIDATION: 'BAD_REQUEST',
};

export function sendError(reply: FastifyReply, status: number, error: string, message: string) {
  return reply.code(status).type('application/json; charset=utf-8').send({ error, message });
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | RegistryError | Error, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof RegistryError) return sendError(reply, STATUS[err.kind], err.code, err.message);
    const fe = err as FastifyError;
    if (fe.validation)
      return sendError(
        reply,
        400,
        'BAD_REQUEST',
        `${fe.validationContext ?? 'request'} ${fe.validation[0]?.instancePath ?? ''} ${fe.validation[0]?.message ?? 'is invalid'}`
          .replace(/\s+/g, ' ')
          .trim(),
      );
    // JSON.parse of a malformed body raises a SyntaxError that Fastify marks 400.
    const status = fe.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return sendError(reply, status, (fe.code && FASTIFY_CODES[fe.code]) ?? 'BAD_REQUEST', fe.message);
    }
    req.log.error({ err }, 'unhandled error');
    return sendError(reply, 500, 'INTERNAL', 'internal server error');
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, 'ROUTE_NOT_FOUND', `no route for ${req.method} ${req.url.split('?')[0]}`));
}
