import { Type } from '@sinclair/typebox';
import { POLICIES, fail, type Policy } from '../../contract/index.js';
import type { App } from '../../http/app.js';
import { listBans, unbanNode, unbanPublisher } from '../../registry/bans.js';
import { updateComfyNode } from '../../registry/comfy-node-reads.js';
import { backfill } from '../../registry/extraction-queue.js';
import { listJobsWithVersions, rerunExtraction } from '../../registry/extraction-admin.js';
import { banNode, getNode, updateNode } from '../../registry/nodes.js';
import { pageCount, pageWindow } from '../../registry/paging.js';
import { setPublisherBanned } from '../../registry/publishers.js';
import type { Registry } from '../../registry/registry.js';
import { listPendingVersions, setVersionsStatus, type VersionRef } from '../../registry/review.js';
import { seg } from '../html.js';
import { bansPage, jobsPage, packAdminPage, reviewPage } from '../pages/admin.js';
import { adminOnly, field, formOf, redirectAfterPost, sendPage } from '../respond.js';

const hide = { hide: true };
const PageQuery = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  done: Type.Optional(Type.String({ maxLength: 40 })),
});
const PAGE = 100;

function preemptedOf(json: string): string[] {
  try {
    const v = JSON.parse(json);
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

function ranking(text: string): number | undefined {
  if (text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || Math.abs(n) > 1_000_000)
    throw fail('BAD_REQUEST', 'search ranking must be a whole number between -1,000,000 and 1,000,000');
  return n;
}

/** The review queue, bans, comfy-node policies, ranking and the extraction queue: admins only. */
export async function adminUiRoutes(ui: App, reg: Registry) {
  ui.get('/admin', { schema: { ...hide, querystring: PageQuery } }, async (req, reply) => {
    adminOnly(req);
    const paging = pageWindow(req.query.page, PAGE, PAGE, PAGE);
    const { rows, total } = await listPendingVersions(reg, paging);
    return sendPage(
      req,
      reply,
      reviewPage(req.ui, { pending: rows, total, page: paging.page, pages: pageCount(total, PAGE), review: reg.review }),
    );
  });

  ui.post('/admin/review', { schema: hide }, async (req, reply) => {
    adminOnly(req);
    const form = formOf(reg, req);
    const decision = form.get('decision');
    if (decision !== 'approve' && decision !== 'reject') throw fail('BAD_REQUEST', 'decision must be approve or reject');
    const refs: VersionRef[] = form.getAll('version').map((v) => {
      const [nodeId = '', version = ''] = v.split(' ');
      return { nodeId, version };
    });
    if (refs.length === 0) throw fail('BAD_REQUEST', 'select at least one version');
    await setVersionsStatus(
      reg,
      refs,
      decision === 'approve' ? 'NodeVersionStatusActive' : 'NodeVersionStatusBanned',
      field(form, 'reason'),
    );
    return redirectAfterPost(reply, '/ui/admin', 'reviewed');
  });

  ui.get('/admin/bans', { schema: hide }, async (req, reply) => {
    adminOnly(req);
    return sendPage(req, reply, bansPage(req.ui, await listBans(reg)));
  });

  ui.post('/admin/bans', { schema: hide }, async (req, reply) => {
    const p = adminOnly(req);
    const form = formOf(reg, req);
    const [kind, action, id] = [form.get('kind'), form.get('action'), field(form, 'id')];
    if (action !== 'ban' && action !== 'unban') throw fail('BAD_REQUEST', 'action must be ban or unban');
    if (!id) throw fail('BAD_REQUEST', 'an id is required');
    if (kind === 'pack') {
      const node = await getNode(reg, id, { includeHidden: true });
      if (action === 'ban') await banNode(reg, p, node.publisher_id, node.id);
      else await unbanNode(reg, node.id);
    } else if (kind === 'publisher') {
      if (action === 'ban') await setPublisherBanned(reg, id);
      else await unbanPublisher(reg, id);
    } else if (kind === 'version') {
      const status = action === 'ban' ? 'NodeVersionStatusBanned' : 'NodeVersionStatusActive';
      await setVersionsStatus(reg, [{ nodeId: id, version: field(form, 'version') }], status, field(form, 'reason'));
    } else throw fail('BAD_REQUEST', 'kind must be pack, publisher or version');
    return redirectAfterPost(reply, '/ui/admin/bans', 'ban-saved');
  });

  ui.post(
    '/admin/comfy-nodes/:name/policy',
    { schema: { ...hide, params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 1024 }) }) } },
    async (req, reply) => {
      adminOnly(req);
      const form = formOf(reg, req);
      const policy = form.get('policy') ?? '';
      if (!(POLICIES as readonly string[]).includes(policy)) throw fail('BAD_REQUEST', `policy must be one of ${POLICIES.join(', ')}`);
      await updateComfyNode(reg, field(form, 'node_id'), field(form, 'version'), req.params.name, { policy: policy as Policy });
      return redirectAfterPost(reply, `/ui/comfy-nodes/${seg(req.params.name)}`, 'policy-saved');
    },
  );

  const PackParams = Type.Object({ nodeId: Type.String({ maxLength: 200 }) });
  ui.get('/admin/packs/:nodeId', { schema: { ...hide, params: PackParams } }, async (req, reply) => {
    adminOnly(req);
    const node = await getNode(reg, req.params.nodeId, { includeHidden: true });
    return sendPage(req, reply, packAdminPage(req.ui, node, preemptedOf(node.preempted_comfy_node_names)));
  });

  ui.post('/admin/packs/:nodeId', { schema: { ...hide, params: PackParams } }, async (req, reply) => {
    const p = adminOnly(req);
    const form = formOf(reg, req);
    const node = await getNode(reg, req.params.nodeId, { includeHidden: true });
    const names = (form.get('preempted') ?? '')
      .split(/[\r\n,]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    await updateNode(reg, p, node.publisher_id, node.id, {
      preempted_comfy_node_names: names,
      search_ranking: ranking(field(form, 'search_ranking')),
    });
    return redirectAfterPost(reply, `/ui/admin/packs/${seg(node.id)}`, 'ranking-saved');
  });

  ui.get('/admin/jobs', { schema: { ...hide, querystring: PageQuery } }, async (req, reply) => {
    adminOnly(req);
    const paging = pageWindow(req.query.page, PAGE, PAGE, PAGE);
    const { rows, total } = await listJobsWithVersions(reg, paging);
    return sendPage(req, reply, jobsPage(req.ui, { jobs: rows, total, page: paging.page, pages: pageCount(total, PAGE) }));
  });

  ui.post('/admin/jobs/backfill', { schema: hide }, async (req, reply) => {
    adminOnly(req);
    const max = Number(formOf(reg, req).get('max') ?? '100');
    if (!Number.isInteger(max) || max < 1 || max > 10_000) throw fail('BAD_REQUEST', 'backfill takes 1 to 10,000 versions');
    await backfill(reg, max);
    return redirectAfterPost(reply, '/ui/admin/jobs', 'backfill-queued');
  });

  ui.post(
    '/admin/jobs/:versionId/rerun',
    { schema: { ...hide, params: Type.Object({ versionId: Type.String({ maxLength: 100 }) }) } },
    async (req, reply) => {
      adminOnly(req);
      formOf(reg, req);
      await rerunExtraction(reg, req.params.versionId);
      return redirectAfterPost(reply, '/ui/admin/jobs', 'rerun-queued');
    },
  );
}
