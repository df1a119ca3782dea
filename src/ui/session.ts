import type { FastifyReply, FastifyRequest } from 'fastify';
import { fail } from '../contract/index.js';
import { ANONYMOUS, type Principal } from '../registry/principals.js';
import type { Registry } from '../registry/registry.js';
import { SESSION_TTL_MS, sessionPrincipal } from '../registry/sessions.js';
import { generateToken, hmac, sameSignature } from '../registry/secrets.js';
import { SESSION_COOKIE } from '../http/session-cookie.js';

export { SESSION_COOKIE };
/** Before sign-in there is no session: the sign-in form's CSRF token is bound to this cookie instead. */
export const PRESESSION_COOKIE = 'comfyreg_presession';

/** Who a UI request is, and the CSRF token its forms carry. */
export interface UiContext {
  principal: Principal;
  sessionId?: string;
  csrf: string;
  /** What the last form did, shown once on the page it led back to. */
  notice?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    ui: UiContext;
  }
}

export function readCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    try {
      if (!out.has(name)) out.set(name, decodeURIComponent(value));
    } catch {
      // A cookie that is not valid percent-encoding is not ours: skip it.
    }
  }
  return out;
}

function cookie(reg: Registry, name: string, value: string, maxAgeSeconds: number): string {
  const secure = reg.publicUrl.startsWith('https:') ? '; Secure' : '';
  return `${name}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure}`;
}

export const sessionCookie = (reg: Registry, id: string) => cookie(reg, SESSION_COOKIE, id, SESSION_TTL_MS / 1000);
export const clearedSessionCookie = (reg: Registry) => cookie(reg, SESSION_COOKIE, '', 0);

const csrfFor = (reg: Registry, binding: string) => hmac(reg.signingSecret, `ui-csrf:${binding}`);

/**
 * Reads the session cookie into `req.ui`. Anonymous visitors get no session; the sign-in page binds
 * its form to a pre-session cookie it sets itself (`ensurePresession`).
 */
export async function loadUiContext(reg: Registry, req: FastifyRequest): Promise<UiContext> {
  const cookies = readCookies(req.headers.cookie);
  const sessionId = cookies.get(SESSION_COOKIE);
  if (sessionId) {
    const principal = await sessionPrincipal(reg, sessionId);
    if (principal) return { principal, sessionId, csrf: csrfFor(reg, `s:${sessionId}`) };
  }
  const pre = cookies.get(PRESESSION_COOKIE);
  return { principal: ANONYMOUS, csrf: pre ? csrfFor(reg, `p:${pre}`) : '' };
}

/** Gives an anonymous visitor a pre-session cookie (for the sign-in form) when it has none. */
export function ensurePresession(reg: Registry, req: FastifyRequest, reply: FastifyReply): void {
  if (req.ui.sessionId || req.ui.csrf) return;
  const pre = generateToken('crp0');
  reply.header('set-cookie', cookie(reg, PRESESSION_COOKIE, pre, 3600));
  req.ui = { ...req.ui, csrf: csrfFor(reg, `p:${pre}`) };
}

/**
 * Every UI form POST: the body's `_csrf` must be this session's (or pre-session's) token, and a
 * browser-sent Origin must be ours. Either failing is a 403 page and nothing changes.
 */
export function assertCsrf(reg: Registry, req: FastifyRequest, form: URLSearchParams): void {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null' && origin !== new URL(reg.publicUrl).origin && !sameHost(origin, req.headers.host))
    throw fail('CSRF_REJECTED');
  const sent = form.get('_csrf') ?? '';
  if (!req.ui.csrf || !sameSignature(sent, req.ui.csrf)) throw fail('CSRF_REJECTED');
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
