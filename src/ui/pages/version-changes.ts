import type { ChangedComfyNode, ComfyNodeChanges } from '../../contract/comfy-node-changes.js';
import { html, seg, type Html, type Renderable } from '../html.js';
import { badge } from '../layout.js';

/** A version's comfy-node changes against the previous version, or why there are none to show. */
export type VersionChangesView = { report: ComfyNodeChanges } | { notExtracted: string };

const BREAKING = (): Html => badge('breaking', 'bad', 'a workflow saved with the older version fails to load or to run');

function changed(nodeUrl: string, c: ChangedComfyNode): Html {
  return html`<li>
    <a href="${nodeUrl}#cn-${seg(c.name)}"><code>${c.name}</code></a
    >${c.breaking ? html` ${BREAKING()}` : ''}
    <ul>
      ${c.changes.map((x) => html`<li>${x.breaking ? html`${BREAKING()} ` : ''}<code>${x.kind}</code>: ${x.detail}</li>`)}
    </ul>
  </li>`;
}

/** "Changes since {from}" on a version page: added, removed and changed comfy nodes, breaking ones marked in words. */
export function versionChangesSection(nodeId: string, v: VersionChangesView): Renderable {
  if ('notExtracted' in v)
    return html`<p class="muted">What changed since the previous version shows once comfy nodes are extracted (${v.notExtracted}).</p>`;
  const r = v.report;
  if (r.from === null)
    return html`<p class="muted">No earlier version of this pack has extracted comfy nodes: nothing to compare with.</p>`;
  const here = `/ui/packs/${seg(nodeId)}/${seg(r.to)}`;
  const before = `/ui/packs/${seg(nodeId)}/${seg(r.from)}`;
  const none = r.added.length + r.removed.length + r.changed.length === 0;
  return html`<section class="changes" aria-labelledby="changes-title">
    <h2 id="changes-title">Changes since <a href="${before}">${r.from}</a></h2>
    ${
      none
        ? html`<p>No comfy node changed.</p>`
        : r.breaking
          ? html`<p class="notice bad">
              ${BREAKING()} Workflows saved with ${r.from} may fail to load or to run with ${r.to}: see the changes marked breaking.
            </p>`
          : html`<p class="notice ok">Nothing here breaks workflows saved with ${r.from}.</p>`
    }
    ${
      r.added.length
        ? html`<h3>Added (${r.added.length})</h3>
            <ul class="results compact">
              ${r.added.map(
                (n) =>
                  html`<li>
                    <a href="${here}#cn-${seg(n)}"><code>${n}</code></a>
                  </li>`,
              )}
            </ul>`
        : ''
    }
    ${
      r.removed.length
        ? html`<h3>Removed (${r.removed.length})</h3>
            <ul class="results compact">
              ${r.removed.map(
                (n) =>
                  html`<li>
                    <a href="${before}#cn-${seg(n)}"><code>${n}</code></a> ${BREAKING()}
                  </li>`,
              )}
            </ul>`
        : ''
    }
    ${
      r.changed.length
        ? html`<h3>Changed (${r.changed.length})</h3>
            <ul class="results">
              ${r.changed.map((c) => changed(here, c))}
            </ul>`
        : ''
    }
  </section>`;
}
