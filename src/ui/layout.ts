import { isAdmin, userOf } from '../registry/principals.js';
import { html, type Html, type Renderable } from './html.js';
import type { UiContext } from './session.js';
import { ASSET_VERSION } from './assets.js';

export interface PageOptions {
  title: string;
  ctx: UiContext;
  body: Renderable;
  /** Links above the title, the last one being the page itself. */
  crumbs?: [label: string, href?: string][];
}

function nav(ctx: UiContext): Html {
  const p = ctx.principal;
  const who = userOf(p)?.name ?? (p.kind === 'admin' ? 'admin' : undefined);
  return html`<nav class="top" aria-label="Main">
    <a class="brand" href="/">comfyreg</a>
    <ul>
      <li><a href="/">Search</a></li>
      <li><a href="/ui/comfy-nodes">Comfy nodes</a></li>
      ${who ? html`<li><a href="/ui/account">Account</a></li>` : ''} ${isAdmin(p) ? html`<li><a href="/ui/admin">Admin</a></li>` : ''}
      <li><a href="/docs">API</a></li>
      <li>
        ${
          who
            ? html`<form method="post" action="/ui/sign-out" class="inline">
                <input type="hidden" name="_csrf" value="${ctx.csrf}" />
                <button type="submit" class="link">Sign out <span class="muted">(${who})</span></button>
              </form>`
            : html`<a href="/ui/sign-in">Sign in</a>`
        }
      </li>
    </ul>
  </nav>`;
}

function crumbs(list: [string, string?][] | undefined): Renderable {
  if (!list || list.length === 0) return '';
  return html`<nav aria-label="Breadcrumb" class="crumbs">
    <ol>
      ${list.map(([label, href], i) =>
        i === list.length - 1 || !href ? html`<li aria-current="page">${label}</li>` : html`<li><a href="${href}">${label}</a></li>`,
      )}
    </ol>
  </nav>`;
}

/** A whole page: the same shell for every UI page, error pages included. */
export function page(opts: PageOptions): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>${opts.title} · comfyreg</title>
        <link rel="stylesheet" href="/ui/assets/app.css?v=${ASSET_VERSION}" />
        <script src="/ui/assets/app.js?v=${ASSET_VERSION}" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header>${nav(opts.ctx)}</header>
        <main id="main">
          ${crumbs(opts.crumbs)} ${opts.ctx.notice ? html`<p class="notice ok" role="status">${opts.ctx.notice}</p>` : ''} ${opts.body}
        </main>
        <footer>
          <p>comfyreg, a self-hosted Comfy Registry · <a href="/openapi.json">OpenAPI</a></p>
        </footer>
      </body>
    </html> `;
}

/** Hidden CSRF field every form carries. */
export const csrfField = (ctx: UiContext): Html => html`<input type="hidden" name="_csrf" value="${ctx.csrf}" />`;

/** A one-button form that POSTs to `action` (deletes, bans, approvals). */
export function actionButton(ctx: UiContext, action: string, label: string, fields: Record<string, string> = {}, danger = false): Html {
  return html`<form method="post" action="${action}" class="inline">
    ${csrfField(ctx)}${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`)}
    <button type="submit" class="${danger ? 'danger' : ''}">${label}</button>
  </form>`;
}

/** ISO timestamp as a short date, the full value kept machine-readable. */
export const date = (iso: string): Html => html`<time datetime="${iso}">${iso.slice(0, 10)}</time>`;

export function pager(base: string, params: Record<string, string | undefined>, pageNo: number, pages: number): Renderable {
  if (pages <= 1) return '';
  const link = (n: number) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
    q.set('page', String(n));
    return `${base}?${q.toString()}`;
  };
  return html`<nav class="pager" aria-label="Pages">
    ${pageNo > 1 ? html`<a rel="prev" href="${link(pageNo - 1)}">← Previous</a>` : ''}
    <span>Page ${pageNo} of ${pages}</span>
    ${pageNo < pages ? html`<a rel="next" href="${link(pageNo + 1)}">Next →</a>` : ''}
  </nav>`;
}

/** A status word as a badge; the class picks its colour. */
export function badge(text: string, tone: 'ok' | 'warn' | 'bad' | 'info' | 'plain' = 'plain', title?: string): Html {
  return html`<span class="badge ${tone}" ${title ? html`title="${title}"` : ''}>${text}</span>`;
}
