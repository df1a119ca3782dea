import type { ComfyNodeRow } from '../db/schema.js';
import { badge } from './layout.js';
import { html, seg, type Html, type Renderable } from './html.js';

/** One input of a comfy node as ComfyUI's /object_info describes it: a type and its options. */
export interface InputSpec {
  name: string;
  group: 'required' | 'optional' | 'hidden';
  /** The type name, or null for a combo (its choices are in `choices`). */
  type: string | null;
  choices?: unknown[];
  options: Record<string, unknown>;
}

const WIDGET_TYPES = new Set(['INT', 'FLOAT', 'STRING', 'BOOLEAN', 'BOOL']);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The inputs in ComfyUI's order (required, optional, hidden), whatever shape the extractor could read. */
export function parseInputs(inputTypes: string): InputSpec[] {
  const parsed = parseJson(inputTypes);
  if (!isRecord(parsed)) return [];
  const out: InputSpec[] = [];
  for (const group of ['required', 'optional', 'hidden'] as const) {
    const entries = parsed[group];
    if (!isRecord(entries)) continue;
    for (const [name, spec] of Object.entries(entries)) {
      const [head, opts] = Array.isArray(spec) ? spec : [spec, undefined];
      const options = isRecord(opts) ? opts : {};
      if (Array.isArray(head)) out.push({ name, group, type: null, choices: head, options });
      else if (head === 'COMBO' && Array.isArray(options.options)) out.push({ name, group, type: null, choices: options.options, options });
      else out.push({ name, group, type: typeof head === 'string' ? head : JSON.stringify(head ?? null), options });
    }
  }
  return out;
}

const isWidget = (i: InputSpec): boolean => i.group !== 'hidden' && !i.options.forceInput && (i.type === null || WIDGET_TYPES.has(i.type));

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

function widget(i: InputSpec): Html {
  const o = i.options;
  const range = ['min', 'max', 'step'].filter((k) => o[k] !== undefined).map((k) => `${k} ${show(o[k])}`);
  const value = o.default !== undefined ? show(o.default) : i.choices && i.choices.length > 0 ? show(i.choices[0]) : '';
  return html`<li class="widget${i.group === 'optional' ? ' opt' : ''}" ${tooltip(i)}>
    <span>${i.name}${i.group === 'optional' ? html` <span class="t">(optional)</span>` : ''}</span>
    <span class="v">${value}</span>
    ${i.type !== null ? html`<span class="range">${i.type}${range.length ? ` · ${range.join(' · ')}` : ''}${o.multiline ? ' · multiline' : ''}</span>` : ''}
    ${
      i.choices
        ? html`<span class="range"
            >combo: ${i.choices.slice(0, 12).map(show).join(', ')}${i.choices.length > 12 ? `, … (${i.choices.length} choices)` : ''}</span
          >`
        : ''
    }
  </li>`;
}

function socket(i: InputSpec): Html {
  const cls = i.group === 'optional' ? 'opt' : i.group === 'hidden' ? 'hidden-in' : '';
  return html`<li class="sock t-${cssType(i.type ?? 'COMBO')} ${cls}" ${tooltip(i)}>
    ${i.name} <span class="t">${i.type ?? 'COMBO'}${i.group === 'optional' ? ' · optional' : i.group === 'hidden' ? ' · hidden' : ''}</span>
  </li>`;
}

/** The input's tooltip, as ComfyUI shows it on hover. */
const tooltip = (i: InputSpec): Html | '' => (typeof i.options.tooltip === 'string' ? html`title="${i.options.tooltip}"` : '');

const cssType = (t: string): string => t.replace(/[^A-Za-z0-9_-]/g, '_');

function asStrings(text: string): string[] {
  const v = parseJson(text);
  return Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))) : [];
}

function listMarks(text: string): boolean[] {
  const v = parseJson(text);
  return Array.isArray(v) ? v.map((x) => x === true) : [];
}

/** A comfy node card: title, category, sockets with types, widgets with their bounds, outputs, badges. */
export function nodeCard(row: ComfyNodeRow, link?: string): Html {
  const inputs = parseInputs(row.input_types);
  const widgets = inputs.filter(isWidget);
  const sockets = inputs.filter((i) => !isWidget(i));
  const types = asStrings(row.return_types);
  const names = asStrings(row.return_names);
  const lists = listMarks(row.output_is_list);
  const title = row.display_name || row.comfy_node_name;
  const badges: Renderable[] = [
    row.output_node ? badge('output node', 'info') : '',
    row.deprecated ? badge('deprecated', 'warn') : '',
    row.experimental ? badge('experimental', 'warn') : '',
    row.policy !== 'ComfyNodePolicyActive' ? badge(row.policy.replace('ComfyNodePolicy', 'policy: '), 'bad') : '',
  ];
  return html`<article class="node" aria-labelledby="cn-${seg(row.comfy_node_name)}">
    <div class="head">
      <h3 id="cn-${seg(row.comfy_node_name)}">${link ? html`<a href="${link}">${title}</a>` : title}</h3>
      <span class="badges">${badges}</span>
      <span class="cat"
        >${row.category || 'no category'}${title !== row.comfy_node_name ? html` · <code>${row.comfy_node_name}</code>` : ''}</span
      >
    </div>
    <div class="io">
      <div>
        <span class="section">Inputs</span>
        <ul>
          ${sockets.length ? sockets.map(socket) : html`<li class="t">none</li>`}
        </ul>
      </div>
      <div class="outs">
        <span class="section">Outputs</span>
        <ul>
          ${
            types.length
              ? types.map(
                  (t, i) =>
                    html`<li class="sock t-${cssType(t)}">
                      ${names[i] && names[i] !== t ? html`${names[i]} ` : ''}<span class="t">${t}${lists[i] ? ' · list' : ''}</span>
                    </li>`,
                )
              : html`<li class="t">none</li>`
          }
        </ul>
      </div>
    </div>
    ${
      widgets.length
        ? html`<div class="section">Widgets</div>
            <ul class="widgets">
              ${widgets.map(widget)}
            </ul>`
        : ''
    }
    ${row.description ? html`<p class="desc">${row.description}</p>` : ''}
  </article>`;
}
