import { comfyNodeTypes } from '../../contract/comfy-node-types.js';
import type { TypeMatch } from '../../registry/comfy-node-type-index.js';
import { html, seg, type Html } from '../html.js';
import { badge, pager } from '../layout.js';

/** The comfy-node index's type filter: its matches, or why the asked types were refused. */
export type TypeFilterView = { matches: TypeMatch[]; total: number; page: number; pages: number } | { refused: string };

export interface TypeFilterAsk {
  name: string;
  inputType: string;
  outputType: string;
}

function asked(a: TypeFilterAsk): string {
  const parts = [a.inputType ? `taking ${a.inputType}` : '', a.outputType ? `giving ${a.outputType}` : ''].filter(Boolean);
  return parts.join(' and ') + (a.name ? `, matching “${a.name}”` : '');
}

function match(m: TypeMatch): Html {
  const types = comfyNodeTypes(m.input_types, m.return_types);
  return html`<li>
    <a class="title" href="/ui/comfy-nodes/${seg(m.comfy_node_name)}">${m.comfy_node_name}</a
    >${m.display_name && m.display_name !== m.comfy_node_name ? html` ${m.display_name}` : ''}
    <span class="muted">
      · in <a href="/ui/packs/${seg(m.node_id)}/${seg(m.version)}#cn-${seg(m.comfy_node_name)}">${m.node_id} ${m.version}</a> · takes
      ${types.inputs.join(', ') || 'nothing'} · gives ${types.outputs.join(', ') || 'nothing'}</span
    >
    ${
      m.wildcard_input_types
        ? html`${badge('wildcard', 'info')}
            <span class="muted">takes ${m.wildcard_input_types.join(', ')} only through an input typed <code>*</code> (any type)</span>`
        : ''
    }
  </li>`;
}

/** Comfy nodes by what they take and give: each a pack's newest extracted version's node. */
export function typeFilterResults(a: TypeFilterAsk, v: TypeFilterView): Html {
  if ('refused' in v)
    return html`<p class="notice bad" role="status">${v.refused}. Type names look like <code>IMAGE</code> or <code>IMAGE,MASK</code>.</p>`;
  return html`<p class="muted" role="status">
      ${v.total} comfy ${v.total === 1 ? 'node' : 'nodes'} ${asked(a)} (each pack's newest extracted version)
    </p>
    <ul class="results">
      ${v.matches.map(match)}
    </ul>
    ${pager('/ui/comfy-nodes', { name: a.name || undefined, input_type: a.inputType || undefined, output_type: a.outputType || undefined }, v.page, v.pages)}`;
}
