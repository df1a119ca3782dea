import type { NodeDetails } from '../../registry/nodes.js';
import { html, seg, type Html } from '../html.js';
import { page, pager } from '../layout.js';
import { typeFilterResults, type TypeFilterView } from './type-filter.js';
import type { UiContext } from '../session.js';

export interface SearchView {
  q: string;
  results: NodeDetails[];
  total: number;
  page: number;
  pages: number;
}

export function searchResults(v: SearchView): Html {
  return html`<p class="muted" role="status">${v.total} ${v.total === 1 ? 'pack' : 'packs'}${v.q ? html` matching “${v.q}”` : ''}</p>
    <ul class="results">
      ${v.results.map(
        ({ node, publisher, latest }) =>
          html`<li>
            <a class="title" href="/ui/packs/${seg(node.id)}">${node.name || node.id}</a>
            <span class="muted">
              ·
              <code>${node.id}</code
              >${publisher ? html` · by ${publisher.name || publisher.id}` : ''}${latest ? ` · v${latest.version}` : ''} · ${node.downloads}
              downloads</span
            >
            ${node.description ? html`<div class="desc">${node.description.slice(0, 300)}</div>` : ''}
          </li>`,
      )}
    </ul>
    ${pager('/', { q: v.q || undefined }, v.page, v.pages)}`;
}

export function homePage(ctx: UiContext, v: SearchView): Html {
  return page({
    title: v.q ? `Search: ${v.q}` : 'Search packs',
    ctx,
    body: html`<h1>Custom-node packs</h1>
      <form class="search" method="get" action="/" role="search" data-live="results">
        <div class="grow">
          <label for="q">Search by pack name, description or comfy-node name</label>
          <input type="search" id="q" name="q" value="${v.q}" autocomplete="off" />
        </div>
        <button type="submit">Search</button>
      </form>
      <p class="muted">Looking for a node type? <a href="/ui/comfy-nodes">Browse comfy nodes</a>, by name or by what they take and give.</p>
      <section id="results" aria-live="polite">${searchResults(v)}</section>`,
  });
}

export interface ComfyNodeIndexView {
  name: string;
  inputType: string;
  outputType: string;
  names: { name: string; providers: number }[];
  total: number;
  page: number;
  pages: number;
  /** The type filter's answer, when an input or output type was asked for (the names are then unused). */
  typed?: TypeFilterView;
}

export function comfyNodeIndexPage(ctx: UiContext, v: ComfyNodeIndexView): Html {
  return page({
    title: 'Comfy nodes',
    ctx,
    crumbs: [['Home', '/'], ['Comfy nodes']],
    body: html`<h1>Comfy nodes</h1>
      <form class="search" method="get" action="/ui/comfy-nodes" role="search" data-live="names">
        <div class="grow">
          <label for="name">Name contains</label><input type="search" id="name" name="name" value="${v.name}" autocomplete="off" />
        </div>
        <div>
          <label for="input_type">Takes (input type)</label
          ><input type="text" id="input_type" name="input_type" value="${v.inputType}" placeholder="IMAGE" />
        </div>
        <div>
          <label for="output_type">Gives (output type)</label
          ><input type="text" id="output_type" name="output_type" value="${v.outputType}" placeholder="MASK" />
        </div>
        <button type="submit">Find</button>
      </form>
      <section id="names" aria-live="polite">${comfyNodeNames(v)}</section>`,
  });
}

/** The comfy-node index's results, which the live search asks for alone. */
export function comfyNodeNames(v: ComfyNodeIndexView): Html {
  if (v.typed) return typeFilterResults(v, v.typed);
  return html`<p class="muted" role="status">${v.total} ${v.total === 1 ? 'name' : 'names'}</p>
    <ul class="results">
      ${v.names.map(
        (n) =>
          html`<li>
            <a class="title" href="/ui/comfy-nodes/${seg(n.name)}">${n.name}</a>
            <span class="muted"> · ${n.providers} ${n.providers === 1 ? 'pack' : 'packs'}</span>
          </li>`,
      )}
    </ul>
    ${pager('/ui/comfy-nodes', { name: v.name || undefined }, v.page, v.pages)}`;
}
