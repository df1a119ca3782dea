import type { FastifyReply, FastifyRequest } from 'fastify';
import { fail } from '../contract/index.js';
import { PRIVATE_CACHE_CONTROL } from '../http/caching.js';
import { isAdmin, type Principal } from '../registry/principals.js';
import type { Registry } from '../registry/registry.js';
import type { Html } from './html.js';
import { assertCsrf } from './session.js';

/**
 * Sends a page. Pages for a signed-in visitor, and pages holding a CSRF token, are private and never
 * stored; anonymous pages are cached like any public GET (the read cache skips session requests).
 */
export function sendPage(req: FastifyRequest, reply: FastifyReply, body: Html, opts: { status?: number; personal?: boolean } = {}) {
  if (req.ui?.sessionId || opts.personal) reply.header('cache-control', PRIVATE_CACHE_CONTROL);
  reply.header('vary', 'Cookie');
  return reply
    .code(opts.status ?? 200)
    .type('text/html; charset=utf-8')
    .send(body.text);
}

/** After a form: back to a page (Post/Redirect/Get), with a message key the page shows. */
export function redirectAfterPost(reply: FastifyReply, to: string, done?: string) {
  const url = done ? `${to}${to.includes('?') ? '&' : '?'}done=${encodeURIComponent(done)}` : to;
  return reply.code(303).header('location', url).header('cache-control', PRIVATE_CACHE_CONTROL).send();
}

/** The body of a UI form, its CSRF token checked: every POST handler starts here. */
export function formOf(reg: Registry, req: FastifyRequest): URLSearchParams {
  const form = req.body instanceof URLSearchParams ? req.body : new URLSearchParams();
  assertCsrf(reg, req, form);
  return form;
}

export function signedIn(req: FastifyRequest): Principal {
  const p = req.ui.principal;
  if (p.kind === 'anonymous' || p.kind === 'unknown') throw fail('SIGN_IN_REQUIRED');
  return p;
}

export function adminOnly(req: FastifyRequest): Principal {
  const p = signedIn(req);
  if (!isAdmin(p)) throw fail('FORBIDDEN', p.kind);
  return p;
}

/** A text field of a form: trimmed, empty when absent. */
export const field = (form: URLSearchParams, name: string): string => (form.get(name) ?? '').trim();

/** What `?done=` keys say on the page they lead back to. */
export const DONE_MESSAGES: Record<string, string> = {
  'publisher-created': 'Publisher created.',
  'publisher-saved': 'Publisher saved.',
  'token-deleted': 'Token deleted.',
  'pack-saved': 'Pack saved.',
  'version-deprecated': 'Version marked deprecated.',
  'version-undeprecated': 'Version no longer deprecated.',
  'version-unpublished': 'Version unpublished.',
  reviewed: 'Review decisions saved.',
  'ban-saved': 'Done.',
  'policy-saved': 'Policy saved: the resolver answers as shown.',
  'ranking-saved': 'Ranking saved.',
  'rerun-queued': 'Extraction queued again.',
  'backfill-queued': 'Backfill queued.',
};
