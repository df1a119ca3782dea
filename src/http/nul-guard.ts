import type { FastifyInstance } from 'fastify';
import { fail } from '../contract/index.js';

function holdsNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\0')) return true;
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes('\0')) return true;
        stack.push(x);
      }
    }
  }
  return false;
}

/**
 * PostgreSQL text cannot hold U+0000, and SQLite would store what PostgreSQL refuses; so no path,
 * query or JSON body may carry it, on either database: 400 at the door, never a 500 inside.
 */
export function installNulGuard(app: FastifyInstance): void {
  app.addHook('onRequest', async (req) => {
    if (req.url.includes('%00')) throw fail('BAD_URL', 'the URL holds a NUL character (%00)');
  });
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    parseJson(req, body as string, (err: Error | null, value?: unknown) => {
      // Only a body that spells the escape can hold the character; most never pay for the walk.
      if (!err && (body as string).includes('\\u0000') && holdsNul(value)) return done(fail('NUL_IN_BODY'), undefined);
      done(err, value);
    });
  });
}
