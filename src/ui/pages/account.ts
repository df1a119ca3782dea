import type { AccessTokenRow, ExtractionJobRow, NodeRow, NodeVersionRow, PublisherRow } from '../../db/schema.js';
import { userOf } from '../../registry/principals.js';
import { html, seg, type Html } from '../html.js';
import { actionButton, csrfField, date, page } from '../layout.js';
import type { UiContext } from '../session.js';
import { extractionStatus, licenseText, versionStatus } from './common.js';

export function signInPage(ctx: UiContext, error?: string): Html {
  return page({
    title: 'Sign in',
    ctx,
    body: html`<h1>Sign in</h1>
      ${error ? html`<p class="notice bad" role="alert">${error}</p>` : ''}
      <form method="post" action="/ui/sign-in" class="stack card">
        ${csrfField(ctx)}
        <div>
          <label for="token">Your user token</label>
          <input type="password" id="token" name="token" required autocomplete="current-password" aria-describedby="token-help" />
          <p id="token-help" class="muted">
            The token an admin gave you when your user was created (it starts with <code>cru_</code>), or the admin token.
          </p>
        </div>
        <button type="submit">Sign in</button>
      </form>`,
  });
}

const input = (id: string, label: string, value: string, opts: { type?: string; required?: boolean; help?: string } = {}) =>
  html`<div>
    <label for="${id}">${label}</label
    ><input type="${opts.type ?? 'text'}" id="${id}" name="${id}" value="${value}" ${opts.required ? 'required' : ''} />
    ${opts.help ? html`<span class="muted">${opts.help}</span>` : ''}
  </div>`;

const textarea = (id: string, label: string, value: string) =>
  html`<div><label for="${id}">${label}</label><textarea id="${id}" name="${id}">${value}</textarea></div>`;

export function accountPage(ctx: UiContext, publishers: PublisherRow[]): Html {
  const user = userOf(ctx.principal);
  return page({
    title: 'Account',
    ctx,
    crumbs: [['Home', '/'], ['Account']],
    body: html`<h1>${user ? user.name : 'Admin'}</h1>
      ${user ? html`<p class="muted">${user.email}</p>` : html`<p class="muted">Signed in with the admin token. <a href="/ui/admin">Administer the registry</a>.</p>`}
      <h2>Your publishers</h2>
      ${publishers.length === 0 ? html`<p class="muted">You belong to no publisher yet.</p>` : ''}
      <ul class="results">
        ${publishers.map(
          (p) =>
            html`<li>
              <a class="title" href="/ui/publishers/${seg(p.id)}/manage">${p.name || p.id}</a>
              <span class="muted">· <code>${p.id}</code></span>
            </li>`,
        )}
      </ul>
      <h2>Create a publisher</h2>
      <form method="post" action="/ui/publishers" class="stack card">
        ${csrfField(ctx)}
        <div class="field-row">
          ${input('id', 'Publisher id', '', { required: true, help: 'lower-case letters, digits and dashes; it never changes' })}
          ${input('name', 'Display name', '')}
        </div>
        <button type="submit">Create publisher</button>
      </form>`,
  });
}

export interface PublisherManageView {
  publisher: PublisherRow;
  packs: NodeRow[];
  tokens: AccessTokenRow[];
  /** A token just created: shown this once. */
  newToken?: string;
}

export function publisherManagePage(ctx: UiContext, v: PublisherManageView): Html {
  const pub = v.publisher;
  const base = `/ui/publishers/${seg(pub.id)}`;
  return page({
    title: `Manage ${pub.name || pub.id}`,
    ctx,
    crumbs: [['Home', '/'], ['Account', '/ui/account'], [pub.id, base], ['Manage']],
    body: html`<h1>Manage ${pub.name || pub.id}</h1>
      ${
        v.newToken
          ? html`<div class="notice ok" role="status">
              <p>Your new access token, shown this once: copy it now.</p>
              <p><code class="secret" id="new-token">${v.newToken}</code></p>
              <p class="muted">Publish with it: <code>comfy node publish</code> asks for it.</p>
            </div>`
          : ''
      }
      <h2>Details</h2>
      <form method="post" action="${base}" class="stack card">
        ${csrfField(ctx)}
        <div class="field-row">${input('name', 'Display name', pub.name)}${input('website', 'Website', pub.website, { type: 'url' })}</div>
        ${textarea('description', 'Description', pub.description)}
        <div class="field-row">
          ${input('support', 'Support', pub.support)}${input('source_code_repo', 'Source code', pub.source_code_repo)}
        </div>
        <button type="submit">Save publisher</button>
      </form>
      <h2>Packs</h2>
      ${v.packs.length === 0 ? html`<p class="muted">No pack yet: publishing a first version with an access token creates it.</p>` : ''}
      <ul class="results">
        ${v.packs.map(
          (n) =>
            html`<li>
              <a class="title" href="${base}/packs/${seg(n.id)}">${n.name || n.id}</a>
              <span class="muted">· <code>${n.id}</code> · ${n.status.replace('NodeStatus', '')}</span>
            </li>`,
        )}
      </ul>
      <h2>Personal access tokens</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Token</th>
              <th scope="col">Created</th>
              <th scope="col"><span class="muted">Action</span></th>
            </tr>
          </thead>
          <tbody>
            ${
              v.tokens.length === 0
                ? html`<tr>
                    <td colspan="4" class="muted">No token yet.</td>
                  </tr>`
                : ''
            }
            ${v.tokens.map(
              (t) =>
                html`<tr>
                  <td>${t.name}</td>
                  <td><code>${t.token_hint}</code></td>
                  <td>${date(t.created_at)}</td>
                  <td>${actionButton(ctx, `${base}/tokens/${seg(t.id)}/delete`, `Delete token ${t.name}`, {}, true)}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <form method="post" action="${base}/tokens" class="stack card">
        ${csrfField(ctx)}
        <div class="field-row">
          ${input('token_name', 'Token name', '', { required: true })}${input('token_description', 'Description', '')}
        </div>
        <button type="submit">Create token</button>
      </form>`,
  });
}

export interface PackManageView {
  publisher: PublisherRow;
  node: NodeRow;
  versions: NodeVersionRow[];
  jobs: Map<string, ExtractionJobRow>;
}

export function packManagePage(ctx: UiContext, v: PackManageView): Html {
  const { node, publisher } = v;
  const base = `/ui/publishers/${seg(publisher.id)}/packs/${seg(node.id)}`;
  return page({
    title: `Manage ${node.id}`,
    ctx,
    crumbs: [
      ['Home', '/'],
      [publisher.id, `/ui/publishers/${seg(publisher.id)}/manage`],
      [node.id, `/ui/packs/${seg(node.id)}`],
      ['Manage'],
    ],
    body: html`<h1>Manage ${node.name || node.id}</h1>
      <form method="post" action="${base}" class="stack card">
        ${csrfField(ctx)}
        <div class="field-row">
          ${input('name', 'Display name', node.name)}${input('repository', 'Repository', node.repository, { type: 'url' })}
        </div>
        ${textarea('description', 'Description', node.description)}
        <div class="field-row">${input('author', 'Author', node.author)}${input('license', 'License', licenseText(node.license))}</div>
        <button type="submit">Save pack</button>
      </form>
      <h2>Versions</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">Extraction and diagnostics</th>
              <th scope="col"><span class="muted">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            ${v.versions.map((ver) => {
              const job = v.jobs.get(ver.id);
              const vBase = `${base}/versions/${seg(ver.version)}`;
              return html`<tr>
                <td>
                  <a href="/ui/packs/${seg(node.id)}/${seg(ver.version)}">${ver.version}</a>
                  <span class="muted">${date(ver.created_at)}</span>
                </td>
                <td>${versionStatus(ver)}${ver.deprecated ? html` <span class="badge warn">deprecated</span>` : ''}</td>
                <td class="reason">
                  ${extractionStatus(ver, job)}
                  ${job && ver.comfy_node_extract_status !== 'pending' ? html`<div class="muted">job ${job.state}, ${job.attempts} ${job.attempts === 1 ? 'attempt' : 'attempts'}${job.last_error ? html`: ${job.last_error}` : ''}</div>` : ''}
                </td>
                <td>
                  ${
                    ver.status === 'NodeVersionStatusDeleted'
                      ? html`<span class="muted">unpublished</span>`
                      : html`${actionButton(ctx, `${vBase}/deprecate`, ver.deprecated ? `Undeprecate ${ver.version}` : `Deprecate ${ver.version}`, { deprecated: ver.deprecated ? '0' : '1' })}
                        ${actionButton(ctx, `${vBase}/unpublish`, `Unpublish ${ver.version}`, {}, true)}`
                  }
                </td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>`,
  });
}
