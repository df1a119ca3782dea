/**
 * The error catalogue. Every failure a client can cause is a RegistryError with a stable `code`
 * (the ErrorResponse `error` field) and a kind that the HTTP layer maps to a status code.
 */
export type ErrorKind = 'bad_request' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'too_large' | 'unsupported_media_type';

export class RegistryError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

export const badRequest = (message: string, code = 'BAD_REQUEST') => new RegistryError('bad_request', code, message);
export const unauthorized = (message = 'authentication required: send Authorization: Bearer <token>') =>
  new RegistryError('unauthorized', 'UNAUTHORIZED', message);
export const forbidden = (message: string, code = 'FORBIDDEN') => new RegistryError('forbidden', code, message);
export const notFound = (message: string, code = 'NOT_FOUND') => new RegistryError('not_found', code, message);
export const conflict = (message: string, code = 'CONFLICT') => new RegistryError('conflict', code, message);

/** True when a database driver reports a unique-constraint violation (SQLite or PostgreSQL). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  return e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
