import { Type } from '@sinclair/typebox';
import type { App } from '../../http/app.js';
import { RegistryError } from '../../contract/index.js';
import { searchComfyNodes } from '../../registry/comfy-node-type-index.js';
import { versionComfyNodeChanges } from '../../registry/version-changes.js';
import { comfyNodeProviders } from '../../registry/comfy-node-providers.js';
import { listVersionComfyNodes } from '../../registry/comfy-node-reads.js';
import { extractionJobsOf } from '../../registry/extraction-admin.js';
import { getNode, getVersion, listNodes, listVersions, nodeDetails } from '../../registry/nodes.js';
import { pageCount, pageWindow } from '../../registry/paging.js';
import { searchComfyNodeNames, searchPacks } from '../../registry/pack-search.js';
import { assertPublisherOwner, isAdmin, type Principal } from '../../registry/principals.js';
import { getPublisher } from '../../registry/publishers.js';
import type { Registry } from '../../registry/registry.js';
import { comfyNodePage, publisherPage } from '../pages/comfy-node.js';
import { packPage, versionPage } from '../pages/pack.js';
import { comfyNodeIndexPage, comfyNodeNames, homePage, searchResults } from '../pages/search.js';
import { sendPage } from '../respond.js';
import type { TypeFilterView } from '../pages/type-filter.js';
import type { VersionChangesView } from '../pages/version-changes.js';

const PAGE_SIZE = 20;
/** A version page draws every comfy node of the version. */
const ALL_COMFY_NODES = { page: 1, limit: 10_000, offset: 0 };

const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }));
const PageNo = Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 }));

async function canManage(reg: Registry, p: Principal, publisherId: string): Promise<boolean> {
  if (p.kind === 'anonymous' || p.kind === 'unknown') return false;
  return assertPublisherOwner(reg, p, publisherId).then(
    () => true,
    () => false,
  );
}

const trimmed = (text: string | undefined): string => (text ?? '').trim();

/** Comfy nodes by input and output type (`IMAGE,MASK` asks for either); a type list naming no type is refused inline. */
async function typeFilter(reg: Registry, p: Principal, name: string, inputType: string, outputType: string, pageNo?: number) {
  const paging = pageWindow(pageNo, 50, 50, 50);
  const search = { inputTypes: inputType ? [inputType] : [], outputTypes: outputType ? [outputType] : [], q: name || undefined };
  try {
    const { rows, total } = await searchComfyNodes(reg, p, search, paging);
    return { matches: rows, total, page: paging.page, pages: pageCount(total, paging.limit) } satisfies TypeFilterView;
  } catch (err) {
    if (err instanceof RegistryError && err.code === 'BAD_REQUEST') return { refused: err.message } satisfies TypeFilterView;
    throw err;
  }
}

/** A version's changes since the previous one; a side without extracted comfy nodes is a note, not an error. */
async function versionChanges(reg: Registry, p: Principal, nodeId: string, version: string): Promise<VersionChangesView> {
  try {
    return { report: await versionComfyNodeChanges(reg, p, nodeId, version) };
  } catch (err) {
    if (err instanceof RegistryError && err.code === 'COMFY_NODES_NOT_EXTRACTED') return { notExtracted: err.message };
    throw err;
  }
}

/** Home and search, at `/`. */
export async function homeRoute(app: App, reg: Registry) {
  app.get(
    '/',
    { schema: { hide: true, querystring: Type.Object({ q: Text(200), page: PageNo, fragment: Text(20) }) } },
    async (req, reply) => {
      const q = req.query.q ?? '';
      const paging = pageWindow(req.query.page, PAGE_SIZE, PAGE_SIZE, PAGE_SIZE);
      const { rows, total } = await searchPacks(reg, req.ui.principal, q, paging);
      const view = { q, results: await nodeDetails(reg, rows), total, page: paging.page, pages: pageCount(total, paging.limit) };
      // The live search asks for the results alone.
      if (req.query.fragment === 'results') return sendPage(req, reply, searchResults(view));
      return sendPage(req, reply, homePage(req.ui, view));
    },
  );
}

/** Anonymous browsing under `/ui`: packs, versions with their node cards, comfy nodes, publishers. */
export async function browseRoutes(ui: App, reg: Registry) {
  ui.get(
    '/comfy-nodes',
    {
      schema: {
        hide: true,
        querystring: Type.Object({ name: Text(256), input_type: Text(100), output_type: Text(100), page: PageNo, fragment: Text(20) }),
      },
    },
    async (req, reply) => {
      const [name, inputType, outputType] = [req.query.name, req.query.input_type, req.query.output_type].map(trimmed);
      const typed =
        inputType || outputType ? await typeFilter(reg, req.ui.principal, name, inputType, outputType, req.query.page) : undefined;
      const paging = pageWindow(req.query.page, 50, 50, 50);
      const { rows, total } = typed ? { rows: [], total: 0 } : await searchComfyNodeNames(reg, req.ui.principal, name, paging);
      const view = { name, inputType, outputType, names: rows, total, page: paging.page, pages: pageCount(total, paging.limit), typed };
      const status = typed && 'refused' in typed ? 400 : 200;
      if (req.query.fragment === 'results') return sendPage(req, reply, comfyNodeNames(view), { status });
      return sendPage(req, reply, comfyNodeIndexPage(req.ui, view), { status });
    },
  );

  ui.get(
    '/comfy-nodes/:name',
    { schema: { hide: true, params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 1024 }) }) } },
    async (req, reply) => {
      const providers = await comfyNodeProviders(reg, req.ui.principal, req.params.name);
      return sendPage(req, reply, comfyNodePage(req.ui, req.params.name, providers), { status: providers.length ? 200 : 404 });
    },
  );

  ui.get(
    '/packs/:nodeId',
    { schema: { hide: true, params: Type.Object({ nodeId: Type.String({ maxLength: 200 }) }) } },
    async (req, reply) => {
      const p = req.ui.principal;
      const node = await getNode(reg, req.params.nodeId, { includeHidden: isAdmin(p) });
      const [publisher, versions, manage] = await Promise.all([
        getPublisher(reg, node.publisher_id),
        listVersions(reg, node.id, p),
        canManage(reg, p, node.publisher_id),
      ]);
      const jobs = await extractionJobsOf(
        reg,
        versions.filter((v) => v.comfy_node_extract_status === 'pending').map((v) => v.id),
      );
      const servedVersion = versions.find((v) => v.id === node.latest_extracted_version_id);
      const served = servedVersion
        ? {
            version: servedVersion.version,
            comfyNodes: (await listVersionComfyNodes(reg, p, node.id, servedVersion.version, ALL_COMFY_NODES)).rows,
          }
        : undefined;
      const view = { node, publisher, versions, publicUrl: reg.publicUrl, canManage: manage, jobs, served };
      return sendPage(req, reply, packPage(req.ui, view));
    },
  );

  ui.get(
    '/packs/:nodeId/:version',
    { schema: { hide: true, params: Type.Object({ nodeId: Type.String({ maxLength: 200 }), version: Type.String({ maxLength: 200 }) }) } },
    async (req, reply) => {
      const p = req.ui.principal;
      const node = await getNode(reg, req.params.nodeId, { includeHidden: isAdmin(p) });
      const version = await getVersion(reg, node.id, req.params.version, p);
      const { rows } = await listVersionComfyNodes(reg, p, node.id, version.version, ALL_COMFY_NODES);
      const changes = await versionChanges(reg, p, node.id, version.version);
      const job = (await extractionJobsOf(reg, [version.id])).get(version.id);
      return sendPage(req, reply, versionPage(req.ui, { node, version, comfyNodes: rows, changes, job }));
    },
  );

  ui.get(
    '/publishers/:publisherId',
    { schema: { hide: true, params: Type.Object({ publisherId: Type.String({ maxLength: 100 }) }) } },
    async (req, reply) => {
      const publisher = await getPublisher(reg, req.params.publisherId);
      const { rows } = await listNodes(reg, { publisherId: publisher.id }, { page: 1, limit: 500, offset: 0 });
      const manage = await canManage(reg, req.ui.principal, publisher.id);
      return sendPage(req, reply, publisherPage(req.ui, publisher, rows, manage));
    },
  );
}
