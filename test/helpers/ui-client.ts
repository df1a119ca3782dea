import assert from 'node:assert/strict';
import type { TestRegistry } from './registry.js';
import { assertValidPage } from './html-check.js';

/** Untrusted text as a hostile publisher would write it: it must show as text and run nothing. */
export const HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>';

export interface Page {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/**
 * A visitor of the web UI over `inject`: keeps its cookies as a browser does, reads the CSRF token
 * from the last page, and sends forms urlencoded.
 */
export class UiClient {
  readonly cookies = new Map<string, string>();
  lastPage = '';

  constructor(readonly t: TestRegistry) {}

  private cookieHeader(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  }

  private keep(setCookie: string | string[] | number | undefined): void {
    for (const line of [setCookie ?? []].flat()) {
      const [pair] = String(line).split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/Max-Age=0/i.test(String(line))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<Page> {
    const res = await this.t.app.inject({ url, headers: { ...this.cookieHeader(), ...headers } });
    this.keep(res.headers['set-cookie']);
    if (String(res.headers['content-type']).startsWith('text/html')) {
      this.lastPage = res.body;
      assertValidPage(res.body, url);
    }
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  /** The CSRF token of the last page's forms. */
  csrf(): string {
    const m = /name="_csrf" value="([^"]*)"/.exec(this.lastPage);
    assert.ok(m, 'the last page has a form');
    return m[1]!;
  }

  /** POSTs a form; `_csrf` is taken from the last page unless given (null leaves it out). */
  async post(
    url: string,
    fields: Record<string, string | string[]>,
    opts: { csrf?: string | null; headers?: Record<string, string> } = {},
  ): Promise<Page> {
    const form = new URLSearchParams();
    const csrf = opts.csrf === undefined ? this.csrf() : opts.csrf;
    if (csrf !== null) form.set('_csrf', csrf);
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) form.append(k, one);
    const res = await this.t.app.inject({
      method: 'POST',
      url,
      headers: { ...this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', ...opts.headers },
      payload: form.toString(),
    });
    this.keep(res.headers['set-cookie']);
    if (String(res.headers['content-type']).startsWith('text/html')) {
      this.lastPage = res.body;
      assertValidPage(res.body, `POST ${url}`);
    }
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  /** Signs in with `token` through the sign-in form. */
  async signIn(token: string): Promise<void> {
    await this.get('/ui/sign-in');
    const res = await this.post('/ui/sign-in', { token });
    assert.equal(res.status, 303, res.body);
    assert.equal(res.headers.location, '/ui/account');
  }
}
