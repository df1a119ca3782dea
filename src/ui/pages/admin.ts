import type { ExtractionJobRow, NodeRow, NodeVersionRow, PublisherRow } from '../../db/schema.js';
import { html, seg, type Html } from '../html.js';
import { actionButton, csrfField, date, page, pager } from '../layout.js';
import type { UiContext } from '../session.js';
import { extractionStatus } from './common.js';

const adminNav = html`<nav aria-label="Admin" class="card">
  <a href="/ui/admin">Review queue</a> · <a href="/ui/admin/bans">Bans</a> · <a href="/ui/admin/jobs">Extraction jobs</a> ·
  <a href="/ui/comfy-nodes">Comfy-node policies</a> (on each comfy node's page)
</nav>`;

export interface ReviewView {
  pending: (NodeVersionRow & { node_id: string })[];
  total: number;
  page: number;
  pages: number;
  review: boolean;
}

/** A checkbox value naming one version: the pack id and the version, which holds no space. */
export const versionRef = (v: { node_id: string; version: string }): string => `${v.node_id} ${v.version}`;

export function reviewPage(ctx: UiContext, v: ReviewView): Html {
  return page({
    title: 'Review queue',
    ctx,
    crumbs: [['Home', '/'], ['Admin']],
    body: html`<h1>Review queue</h1>
      ${adminNav}
      <p class="muted">
        ${v.review ? 'Review mode is on: new versions wait here until approved.' : 'Review mode is off (COMFYREG_REVIEW): new versions are Active at once.'}
        ${v.total} pending.
      </p>
      ${
        v.pending.length === 0
          ? html`<p>Nothing waits for review.</p>`
          : html`<form method="post" action="/ui/admin/review" class="stack">
              ${csrfField(ctx)}
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Select</th>
                      <th scope="col">Version</th>
                      <th scope="col">Published</th>
                      <th scope="col">Comfy nodes</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${v.pending.map(
                      (ver, i) =>
                        html`<tr>
                          <td><input type="checkbox" id="pick-${i}" name="version" value="${versionRef(ver)}" /></td>
                          <td>
                            <label for="pick-${i}">${ver.node_id} ${ver.version}</label>
                            <a href="/ui/packs/${seg(ver.node_id)}/${seg(ver.version)}">view</a>
                          </td>
                          <td>${date(ver.created_at)}</td>
                          <td class="reason">${extractionStatus(ver)}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>
              <div><label for="reason">Reason (shown to the publisher)</label><input type="text" id="reason" name="reason" /></div>
              <div>
                <button type="submit" name="decision" value="approve">Approve selected</button>
                <button type="submit" name="decision" value="reject" class="danger">Reject selected</button>
              </div>
            </form>`
      }
      ${pager('/ui/admin', {}, v.page, v.pages)}`,
  });
}

export interface BansView {
  packs: NodeRow[];
  publishers: PublisherRow[];
  versions: (NodeVersionRow & { node_id: string })[];
}

const banForm = (ctx: UiContext, kind: string, legend: string, inputs: Html) =>
  html`<form method="post" action="/ui/admin/bans" class="stack card">
    ${csrfField(ctx)}<input type="hidden" name="kind" value="${kind}" />
    <fieldset>
      <legend>${legend}</legend>
      ${inputs}
    </fieldset>
    <div>
      <button type="submit" name="action" value="ban" class="danger">Ban</button>
      <button type="submit" name="action" value="unban">Unban</button>
    </div>
  </form>`;

const text = (id: string, label: string) =>
  html`<div><label for="${id}">${label}</label><input type="text" id="${id}" name="${id.split('-')[1]}" required /></div>`;

export function bansPage(ctx: UiContext, v: BansView): Html {
  return page({
    title: 'Bans',
    ctx,
    crumbs: [['Home', '/'], ['Admin', '/ui/admin'], ['Bans']],
    body: html`<h1>Bans</h1>
      ${adminNav}
      <div class="field-row">
        ${banForm(ctx, 'pack', 'A pack', text('pack-id', 'Pack id'))}
        ${banForm(ctx, 'publisher', 'A publisher', text('publisher-id', 'Publisher id'))}
        ${banForm(ctx, 'version', 'A version', html`${text('version-id', 'Pack id')}${text('version-version', 'Version')}`)}
      </div>
      <h2>Banned now</h2>
      <ul>
        ${v.packs.map((n) => html`<li>pack <a href="/ui/packs/${seg(n.id)}">${n.id}</a> ${actionButton(ctx, '/ui/admin/bans', `Unban pack ${n.id}`, { kind: 'pack', id: n.id, action: 'unban' })}</li>`)}
        ${v.publishers.map((p) => html`<li>publisher <a href="/ui/publishers/${seg(p.id)}">${p.id}</a> ${actionButton(ctx, '/ui/admin/bans', `Unban publisher ${p.id}`, { kind: 'publisher', id: p.id, action: 'unban' })}</li>`)}
        ${v.versions.map((x) => html`<li>version ${x.node_id} ${x.version} <span class="muted">${x.status_reason}</span> ${actionButton(ctx, '/ui/admin/bans', `Unban ${x.node_id} ${x.version}`, { kind: 'version', id: x.node_id, version: x.version, action: 'unban' })}</li>`)}
        ${v.packs.length + v.publishers.length + v.versions.length === 0 ? html`<li class="muted">Nothing is banned.</li>` : ''}
      </ul>`,
  });
}

export function packAdminPage(ctx: UiContext, node: NodeRow, preempted: string[]): Html {
  return page({
    title: `Ranking of ${node.id}`,
    ctx,
    crumbs: [['Home', '/'], ['Admin', '/ui/admin'], [node.id]],
    body: html`<h1>Ranking of <a href="/ui/packs/${seg(node.id)}">${node.id}</a></h1>
      ${adminNav}
      <p class="muted">
        Among packs providing the same comfy-node name, the resolver answers the one preempting it, then the lower search ranking.
      </p>
      <form method="post" action="/ui/admin/packs/${seg(node.id)}" class="stack card">
        ${csrfField(ctx)}
        <div>
          <label for="preempted">Preempted comfy-node names, one a line</label
          ><textarea id="preempted" name="preempted">${preempted.join('\n')}</textarea>
        </div>
        <div>
          <label for="search_ranking">Search ranking (lower first; empty for none)</label>
          <input type="number" id="search_ranking" name="search_ranking" value="${node.search_ranking ?? ''}" />
        </div>
        <button type="submit">Save ranking</button>
      </form>`,
  });
}

export interface JobsView {
  jobs: (ExtractionJobRow & {
    node_id: string | null;
    version: string | null;
    comfy_node_extract_status: string | null;
    comfy_node_extract_reason: string | null;
  })[];
  total: number;
  page: number;
  pages: number;
}

export function jobsPage(ctx: UiContext, v: JobsView): Html {
  return page({
    title: 'Extraction jobs',
    ctx,
    crumbs: [['Home', '/'], ['Admin', '/ui/admin'], ['Extraction jobs']],
    body: html`<h1>Extraction jobs</h1>
      ${adminNav}
      <form method="post" action="/ui/admin/jobs/backfill" class="stack card">
        ${csrfField(ctx)}
        <div>
          <label for="max">Backfill: queue up to this many pending versions that have an archive and no job</label>
          <input type="number" id="max" name="max" value="100" min="1" max="10000" />
        </div>
        <button type="submit">Backfill</button>
      </form>
      <p class="muted">${v.total} ${v.total === 1 ? 'job' : 'jobs'}, oldest first. A finished extraction leaves the queue.</p>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">State</th>
              <th scope="col">Attempts</th>
              <th scope="col">Reason</th>
              <th scope="col"><span class="muted">Action</span></th>
            </tr>
          </thead>
          <tbody>
            ${v.jobs.map(
              (j) =>
                html`<tr>
                  <td>
                    ${j.node_id ? html`<a href="/ui/packs/${seg(j.node_id)}/${seg(j.version ?? '')}">${j.node_id} ${j.version}</a>` : j.node_version_id}
                  </td>
                  <td>${j.state}${j.lease_owner ? html` <span class="muted">by ${j.lease_owner} until ${j.lease_until}</span>` : ''}</td>
                  <td>${j.attempts}</td>
                  <td class="reason">
                    ${j.last_error}${j.comfy_node_extract_status ? html`<div>${extractionStatus({ comfy_node_extract_status: j.comfy_node_extract_status, comfy_node_extract_reason: j.comfy_node_extract_reason ?? '', archive_key: 'stored' }, j)}</div>` : ''}
                  </td>
                  <td>
                    ${j.state !== 'running' ? actionButton(ctx, `/ui/admin/jobs/${seg(j.node_version_id)}/rerun`, `Re-run ${j.node_id ?? ''} ${j.version ?? ''}`) : ''}
                  </td>
                </tr>`,
            )}
            ${
              v.jobs.length === 0
                ? html`<tr>
                    <td colspan="5" class="muted">The queue is empty.</td>
                  </tr>`
                : ''
            }
          </tbody>
        </table>
      </div>
      ${pager('/ui/admin/jobs', {}, v.page, v.pages)}`,
  });
}
