import { POLICIES } from '../../contract/index.js';
import type { NodeRow, PublisherRow } from '../../db/schema.js';
import type { ComfyNodeProvider } from '../../registry/comfy-node-providers.js';
import { isAdmin } from '../../registry/principals.js';
import { html, seg, type Html } from '../html.js';
import { badge, csrfField, page } from '../layout.js';
import { nodeCard } from '../node-card.js';
import type { UiContext } from '../session.js';
import { safeUrl } from './common.js';

function policyForm(ctx: UiContext, name: string, p: ComfyNodeProvider): Html {
  const id = `policy-${seg(p.node.id)}`;
  return html`<form method="post" action="/ui/admin/comfy-nodes/${seg(name)}/policy" class="inline">
    ${csrfField(ctx)}
    <input type="hidden" name="node_id" value="${p.node.id}" />
    <input type="hidden" name="version" value="${p.version}" />
    <label for="${id}">Policy for ${p.node.id}</label>
    <select id="${id}" name="policy">
      ${POLICIES.map((pol) => html`<option value="${pol}" ${pol === p.comfyNode.policy ? 'selected' : ''}>${pol.replace('ComfyNodePolicy', '')}</option>`)}
    </select>
    <button type="submit">Set policy</button>
  </form>`;
}

export function comfyNodePage(ctx: UiContext, name: string, providers: ComfyNodeProvider[]): Html {
  const admin = isAdmin(ctx.principal);
  const picked = providers.find((p) => p.picked);
  return page({
    title: name,
    ctx,
    crumbs: [['Home', '/'], ['Comfy nodes', '/ui/comfy-nodes'], [name]],
    body: html`<h1><code>${name}</code></h1>
      <p role="status">
        ${
          picked
            ? html`The resolver answers <a href="/ui/packs/${seg(picked.node.id)}">${picked.node.id}</a> for this node type.`
            : html`No pack resolves this node type.`
        }
      </p>
      ${picked ? html`<div class="cards">${nodeCard(picked.comfyNode)}</div>` : ''}
      <h2>Packs providing it, in the resolver's order</h2>
      <p class="muted">Packs that preempt the name come first, then lower search ranking, more downloads, and the pack id.</p>
      <ol class="results providers">
        ${providers.map(
          (p) =>
            html`<li class="${p.picked ? 'picked' : ''}">
              <a class="title" href="/ui/packs/${seg(p.node.id)}/${seg(p.version)}">${p.node.id} ${p.version}</a>
              ${p.picked ? badge('resolver picks this', 'ok') : ''}
              ${p.comfyNode.policy !== 'ComfyNodePolicyActive' ? badge(p.comfyNode.policy.replace('ComfyNodePolicy', ''), 'bad') : ''}
              <span class="muted">
                · ${p.node.downloads} downloads${p.node.search_ranking !== null ? ` · ranking ${p.node.search_ranking}` : ''}</span
              >
              ${admin ? html`<div>${policyForm(ctx, name, p)} <a href="/ui/admin/packs/${seg(p.node.id)}">ranking and preempted names</a></div>` : ''}
            </li>`,
        )}
      </ol>`,
  });
}

export function publisherPage(ctx: UiContext, publisher: PublisherRow, packs: NodeRow[], canManage: boolean): Html {
  const site = safeUrl(publisher.website);
  return page({
    title: publisher.name || publisher.id,
    ctx,
    crumbs: [['Home', '/'], [publisher.id]],
    body: html`<h1>${publisher.name || publisher.id}</h1>
      ${publisher.status !== 'PublisherStatusActive' ? html`<p class="notice bad">This publisher is banned.</p>` : ''}
      ${publisher.description ? html`<p class="desc">${publisher.description}</p>` : ''}
      <dl class="facts">
        <dt>Id</dt>
        <dd><code>${publisher.id}</code></dd>
        ${
          site
            ? html`<dt>Website</dt>
                <dd><a href="${site}" rel="nofollow noopener">${publisher.website}</a></dd>`
            : ''
        }
      </dl>
      ${canManage ? html`<p><a href="/ui/publishers/${seg(publisher.id)}/manage">Manage this publisher</a></p>` : ''}
      <h2>Packs</h2>
      ${packs.length === 0 ? html`<p class="muted">No pack yet.</p>` : ''}
      <ul class="results">
        ${packs.map(
          (n) =>
            html`<li>
              <a class="title" href="/ui/packs/${seg(n.id)}">${n.name || n.id}</a>
              <span class="muted">· <code>${n.id}</code> · ${n.downloads} downloads</span>
              ${n.description ? html`<div class="desc">${n.description.slice(0, 300)}</div>` : ''}
            </li>`,
        )}
      </ul>`,
  });
}

export function errorPage(ctx: UiContext, status: number, code: string, message: string): Html {
  const title =
    status === 404
      ? 'Not found'
      : status === 401
        ? 'Sign in required'
        : status === 403
          ? 'Not allowed'
          : status >= 500
            ? 'Something went wrong'
            : 'Bad request';
  return page({
    title,
    ctx,
    body: html`<h1>${title}</h1>
      <p class="notice bad">${message}</p>
      <p class="muted">Error <code>${code}</code> (HTTP ${status}).</p>
      ${status === 401 ? html`<p><a href="/ui/sign-in">Sign in</a></p>` : html`<p><a href="/">Back to the search</a></p>`}`,
  });
}
