import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERRORS, RegistryError, type ErrorCode } from '../contract/index.js';
import { isDatabaseUnavailable } from '../db/faults.js';

/** Seconds a client is told to wait after a 503 (the database or the archive store did not answer). */
export const RETRY_AFTER_SECONDS = 2;

/** Fastify's own 4xx errors, renamed into the catalogue's stable codes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_VALIDATION: 'BAD_REQUEST',
};

/** Answers with the catalogue's status for `code` and an ErrorResponse body. */
export function sendError(reply: FastifyReply, code: ErrorCode, message: string, status = ERRORS[code].status) {
  // The rest of a body too large is never read: closing the connection tells the client to stop sending.
  if (status === 413) reply.header('connection', 'close');
  return reply.code(status).type('application/json; charset=utf-8').send({ error: code, message });
}

export const sendRegistryError = (reply: FastifyReply, err: RegistryError) => sendError(reply, err.code, err.message, err.status);

function validationMessage(fe: FastifyError): string {
  const first = fe.validation?.[0];
  return `${fe.validationContext ?? 'request'} ${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`.replace(/\s+/g, ' ').trim();
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | RegistryError | Error, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof RegistryError) {
      if (err.status >= 500) req.log.error({ err }, err.message);
      if (err.status === 503) reply.header('retry-after', RETRY_AFTER_SECONDS);
      return sendRegistryError(reply, err);
    }
    if (isDatabaseUnavailable(err)) {
      req.log.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, 'database unavailable');
      reply.header('retry-after', RETRY_AFTER_SECONDS);
      return sendError(reply, 'DATABASE_UNAVAILABLE', ERRORS.DATABASE_UNAVAILABLE.message());
    }
    const fe = err as FastifyError;
    if (fe.validation) return sendError(reply, 'BAD_REQUEST', validationMessage(fe));
    // JSON.parse of a malformed body raises a SyntaxError that Fastify marks 400.
    const status = fe.statusCode ?? 500;
    if (status >= 400 && status < 500)
      return sendError(reply, (fe.code ? FASTIFY_CODES[fe.code] : undefined) ?? 'BAD_REQUEST', fe.message, status);
    req.log.error({ err }, 'unhandled error');
    return sendError(reply, 'INTERNAL', ERRORS.INTERNAL.message());
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 'ROUTE_NOT_FOUND', ERRORS.ROUTE_NOT_FOUND.message(req.method, req.url.split('?')[0])),
  );
}
