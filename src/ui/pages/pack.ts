import type { ComfyNodeRow, ExtractionJobRow, NodeRow, NodeVersionRow, PublisherRow } from '../../db/schema.js';
import { html, seg, type Html, type Renderable } from '../html.js';
import { date, page } from '../layout.js';
import { nodeCard } from '../node-card.js';
import type { UiContext } from '../session.js';
import { extractionStatus, licenseText, safeUrl, versionStatus } from './common.js';
import { versionChangesSection, type VersionChangesView } from './version-changes.js';

export interface PackView {
  node: NodeRow;
  publisher: PublisherRow;
  versions: NodeVersionRow[];
  publicUrl: string;
  /** The caller may manage the pack (a member of its publisher, or an admin). */
  canManage: boolean;
  /** Extraction jobs of the versions that have one: why a version is still pending. */
  jobs: Map<string, ExtractionJobRow>;
  /** The comfy nodes of the version the resolver serves for this pack. */
  served?: { version: string; comfyNodes: ComfyNodeRow[] };
}

function servedNodes(nodeId: string, served: PackView['served']): Renderable {
  if (!served) return html`<p class="muted">No version's comfy nodes are known yet: see each version's extraction status below.</p>`;
  return html`<p>From version <a href="/ui/packs/${seg(nodeId)}/${seg(served.version)}">${served.version}</a> (drawn in full there):</p>
    <ul class="results compact">
      ${served.comfyNodes.map(
        (c) =>
          html`<li>
            <a href="/ui/comfy-nodes/${seg(c.comfy_node_name)}"><code>${c.comfy_node_name}</code></a
            >${c.display_name && c.display_name !== c.comfy_node_name ? html` ${c.display_name}` : ''}
            <span class="muted">${c.category}</span>
          </li>`,
      )}
    </ul>`;
}

function link(url: string): Renderable {
  const safe = safeUrl(url);
  return safe ? html`<a href="${safe}" rel="nofollow noopener">${url}</a>` : url;
}

export function packPage(ctx: UiContext, v: PackView): Html {
  const { node, publisher } = v;
  return page({
    title: node.name || node.id,
    ctx,
    crumbs: [['Home', '/'], [publisher.name || publisher.id, `/ui/publishers/${seg(publisher.id)}`], [node.id]],
    body: html`<h1>${node.name || node.id}</h1>
      ${node.status !== 'NodeStatusActive' ? html`<p class="notice bad">This pack is ${node.status.replace('NodeStatus', '').toLowerCase()}.</p>` : ''}
      ${node.description ? html`<p class="desc">${node.description}</p>` : ''}
      <div class="card">
        <dl class="facts">
          <dt>Id</dt>
          <dd><code>${node.id}</code></dd>
          <dt>Publisher</dt>
          <dd><a href="/ui/publishers/${seg(publisher.id)}">${publisher.name || publisher.id}</a></dd>
          ${
            node.author
              ? html`<dt>Author</dt>
                  <dd>${node.author}</dd>`
              : ''
          }
          <dt>Repository</dt>
          <dd>${node.repository ? link(node.repository) : html`<span class="muted">none given</span>`}</dd>
          <dt>License</dt>
          <dd>${licenseText(node.license) || html`<span class="muted">none given</span>`}</dd>
          <dt>Downloads</dt>
          <dd>${node.downloads}</dd>
        </dl>
      </div>
      ${v.canManage ? html`<p><a href="/ui/publishers/${seg(publisher.id)}/packs/${seg(node.id)}">Manage this pack</a></p>` : ''}
      <h2>Install</h2>
      <p>With comfy-cli (pointed at this registry):</p>
      <pre><code>comfy node install ${node.id}</code></pre>
      <p>
        With ComfyUI-Manager: open <em>Manager → Custom Nodes Manager</em>, search for <code>${node.id}</code> and press
        <em>Install</em> (the Manager's registry set to <code>${v.publicUrl}</code>).
      </p>
      <h2>Comfy nodes${v.served ? ` (${v.served.comfyNodes.length})` : ''}</h2>
      ${servedNodes(node.id, v.served)}
      <h2>Versions</h2>
      ${
        v.versions.length === 0
          ? html`<p class="muted">No version is published yet.</p>`
          : html`<div class="table-wrap">
              <table>
                <caption class="muted">
                  Newest first
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Version</th>
                    <th scope="col">Published</th>
                    <th scope="col">Status</th>
                    <th scope="col">Comfy nodes</th>
                    <th scope="col">Changelog</th>
                  </tr>
                </thead>
                <tbody>
                  ${v.versions.map(
                    (ver) =>
                      html`<tr>
                        <td>
                          <a href="/ui/packs/${seg(node.id)}/${seg(ver.version)}">${ver.version}</a
                          >${ver.deprecated ? html` <span class="badge warn">deprecated</span>` : ''}
                        </td>
                        <td>${date(ver.created_at)}</td>
                        <td>${versionStatus(ver)}</td>
                        <td class="reason">${extractionStatus(ver, v.jobs.get(ver.id))}</td>
                        <td class="desc">${ver.changelog}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
      }`,
  });
}

export interface VersionView {
  node: NodeRow;
  version: NodeVersionRow;
  comfyNodes: ComfyNodeRow[];
  /** What changed against the previous version. */
  changes: VersionChangesView;
  job?: ExtractionJobRow;
}

export function versionPage(ctx: UiContext, v: VersionView): Html {
  const { node, version } = v;
  const packUrl = `/ui/packs/${seg(node.id)}`;
  return page({
    title: `${node.name || node.id} ${version.version}`,
    ctx,
    crumbs: [['Home', '/'], [node.id, packUrl], [version.version]],
    body: html`<h1>${node.name || node.id} <span class="muted">${version.version}</span></h1>
      <div class="card">
        <dl class="facts">
          <dt>Published</dt>
          <dd>${date(version.created_at)}</dd>
          <dt>Status</dt>
          <dd>${versionStatus(version)}${version.deprecated ? html` <span class="badge warn">deprecated</span>` : ''}</dd>
          <dt>Comfy nodes</dt>
          <dd>${extractionStatus(version, v.job)}</dd>
          ${
            version.changelog
              ? html`<dt>Changelog</dt>
                  <dd class="desc">${version.changelog}</dd>`
              : ''
          }
        </dl>
      </div>
      <pre><code>comfy node install ${node.id}@${version.version}</code></pre>
      ${versionChangesSection(node.id, v.changes)}
      <h2>${v.comfyNodes.length} comfy ${v.comfyNodes.length === 1 ? 'node' : 'nodes'}</h2>
      ${
        v.comfyNodes.length === 0 && version.comfy_node_extract_status === 'success'
          ? html`<p class="muted">The extractor found no comfy node in this version.</p>`
          : ''
      }
      <div class="cards">${v.comfyNodes.map((c) => nodeCard(c, `/ui/comfy-nodes/${seg(c.comfy_node_name)}`))}</div>`,
  });
}
