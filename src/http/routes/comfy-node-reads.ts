import { Type } from '@sinclair/typebox';
import {
  ComfyNode,
  ComfyNodeList,
  ComfyNodeListAll,
  ComfyNodeUpdate,
  Node,
  NodeList,
  ResolveRequest,
  ResolveResponse,
  type Resolution,
} from '../../contract/index.js';
import type { Registry } from '../../registry/registry.js';
import { ComfyNodeChanges } from '../../contract/comfy-node-changes.js';
import { versionComfyNodeChanges } from '../../registry/version-changes.js';
import { isAdmin } from '../../registry/principals.js';
import { getComfyNode, listAllComfyNodes, listVersionComfyNodes, searchNodes, updateComfyNode } from '../../registry/comfy-node-reads.js';
import { nodeDetails } from '../../registry/nodes.js';
import { pageCount, pageWindow } from '../../registry/paging.js';
import { requireProvider, resolveComfyNodeName, resolveRequest } from '../../registry/resolve.js';
import { fillFromUplink, mirrorProvider } from '../../registry/mirror/resolve.js';
import { mirrorNodeListing } from '../../registry/mirror/lists.js';
import { MAX_TYPE_FILTERS, searchComfyNodes, type TypeMatch } from '../../registry/comfy-node-type-index.js';
import type { App } from '../app.js';
import { packKeys, resolverKeys } from '../cache-keys.js';
import { throughUplink } from '../uplink.js';
import { mirrorComfyNodes, readsThroughUplink } from '../../registry/mirror/reads.js';
import { toComfyNode, toNode, toNodeList, toNodes } from '../mappers.js';
import {
  ComfyNodeParams,
  MAX_ALL_COMFY_NODES_PAGE,
  MAX_NODE_PAGE,
  MAX_VERSION_COMFY_NODES_PAGE,
  VersionParams,
  bearerAuth,
  errorResponses,
} from '../schemas.js';

const tags = ['Comfy nodes'];

/** Comfy-node reads (contract §3), the by-name resolver and bulk resolution. */
export async function comfyNodeReadRoutes(app: App, reg: Registry) {
  app.get(
    '/nodes/:nodeId/versions/:version/comfy-nodes',
    {
      config: { cacheKeys: packKeys },
      schema: {
        summary: "ListComfyNodes: a version's comfy nodes by name; an unextracted version has none",
        tags,
        operationId: 'ListComfyNodes',
        params: VersionParams,
        querystring: Type.Object({
          page: Type.Optional(Type.Integer({ description: '1-based; below 1 means 1' })),
          limit: Type.Optional(
            Type.Integer({ description: `default 10, at most ${MAX_VERSION_COMFY_NODES_PAGE}; below 1 means the default` }),
          ),
        }),
        response: { 200: ComfyNodeList, ...errorResponses(400, 404) },
      },
    },
    async (req, reply) => {
      const paging = pageWindow(req.query.page, req.query.limit, 10, MAX_VERSION_COMFY_NODES_PAGE);
      const { nodeId, version } = req.params;
      if (await readsThroughUplink(reg, nodeId)) {
        const { rows, total } = await throughUplink(req, reply, () => mirrorComfyNodes(reg, nodeId, version, paging));
        return { comfy_nodes: rows, totalNumberOfPages: pageCount(total, paging.limit) };
      }
      const { rows, total } = await listVersionComfyNodes(reg, req.principal, req.params.nodeId, req.params.version, paging);
      return { comfy_nodes: rows.map((r) => toComfyNode(r)), totalNumberOfPages: pageCount(total, paging.limit) };
    },
  );

  app.get(
    '/nodes/:nodeId/versions/:version/comfy-nodes/:comfyNodeName',
    {
      config: { cacheKeys: packKeys },
      schema: {
        summary: 'GetComfyNode: one comfy node of a version, every field present',
        tags,
        operationId: 'GetComfyNode',
        params: ComfyNodeParams,
        response: { 200: Type.Ref(ComfyNode), ...errorResponses(404) },
      },
    },
    async (req) => toComfyNode(await getComfyNode(reg, req.principal, req.params.nodeId, req.params.version, req.params.comfyNodeName)),
  );

  app.get(
    '/nodes/:nodeId/versions/:version/comfy-node-changes',
    {
      config: { cacheKeys: packKeys },
      schema: {
        summary: "What changed in a pack's comfy nodes since another version, and whether it breaks saved workflows",
        description:
          'since: the older version (default: the previous extracted version in semver order; none: every node is added). Each change has a kind and says whether a workflow saved with the old version fails to load or to run (docs/comfy-node-changes.md).',
        tags,
        operationId: 'GetComfyNodeChanges',
        params: VersionParams,
        querystring: Type.Object({ since: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }),
        response: { 200: ComfyNodeChanges, ...errorResponses(400, 404, 409) },
      },
    },
    async (req) => versionComfyNodeChanges(reg, req.principal, req.params.nodeId, req.params.version, req.query.since),
  );

  app.put(
    '/nodes/:nodeId/versions/:version/comfy-nodes/:comfyNodeName',
    {
      config: { roles: [] },
      schema: {
        summary: 'UpdateComfyNode (admin): partial update of any field but the name, policy included',
        tags,
        operationId: 'UpdateComfyNode',
        security: bearerAuth,
        params: ComfyNodeParams,
        body: ComfyNodeUpdate,
        response: { 200: Type.Ref(ComfyNode), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => toComfyNode(await updateComfyNode(reg, req.params.nodeId, req.params.version, req.params.comfyNodeName, req.body)),
  );

  app.get(
    '/comfy-nodes',
    {
      schema: {
        summary: 'ListAllComfyNodes: every served comfy node, with exact filters; or a search by input type, output type and text',
        description:
          "With input_type, output_type or q, only each pack's newest extracted version is searched (the versions node_version names, when given); without them every served version is listed.",
        tags,
        operationId: 'ListAllComfyNodes',
        querystring: Type.Object({
          node_id: Type.Optional(Type.String({ maxLength: 200 })),
          node_version: Type.Optional(Type.String({ maxLength: 200 })),
          comfy_node_name: Type.Optional(Type.String({ maxLength: 1024 })),
          input_type: Type.Optional(
            Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
              maxItems: MAX_TYPE_FILTERS,
              description: 'repeatable: the node has an input of each (a `*` input accepts any; `IMAGE,MASK` is either)',
            }),
          ),
          output_type: Type.Optional(
            Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
              maxItems: MAX_TYPE_FILTERS,
              description: 'repeatable: the node has an output of each (`IMAGE,MASK` is either)',
            }),
          ),
          q: Type.Optional(Type.String({ maxLength: 200, description: 'case-insensitive substring of name, display name or category' })),
          page: Type.Optional(Type.Integer({ description: '1-based; below 1 means 1' })),
          pageSize: Type.Optional(
            Type.Integer({ description: `default and maximum ${MAX_ALL_COMFY_NODES_PAGE}; below 1 means the default` }),
          ),
        }),
        response: { 200: ComfyNodeListAll, ...errorResponses(400) },
      },
    },
    async (req) => {
      const q = req.query;
      const paging = pageWindow(q.page, q.pageSize, MAX_ALL_COMFY_NODES_PAGE, MAX_ALL_COMFY_NODES_PAGE);
      const filter = { nodeId: q.node_id, nodeVersion: q.node_version, comfyNodeName: q.comfy_node_name };
      const search = { ...filter, inputTypes: q.input_type ?? [], outputTypes: q.output_type ?? [], q: q.q || undefined };
      const searching = search.inputTypes.length > 0 || search.outputTypes.length > 0 || search.q !== undefined;
      const { rows, total }: { rows: TypeMatch[]; total: number } = searching
        ? await searchComfyNodes(reg, req.principal, search, paging)
        : await listAllComfyNodes(reg, req.principal, filter, paging);
      return {
        comfy_nodes: rows.map((r) =>
          toComfyNode(r, {
            node_id: r.node_id,
            version: r.version,
            ...(r.wildcard_input_types ? { wildcard_input_types: r.wildcard_input_types } : {}),
          }),
        ),
        total,
        page: paging.page,
        page_size: paging.limit,
      };
    },
  );

  app.get(
    '/comfy-nodes/:comfyNodeName/node',
    {
      // Ranking reads download counts as written so far, up to one flush interval old.
      config: { cacheKeys: resolverKeys, countsMayLag: true },
      schema: {
        summary: 'GetNodeByComfyNodeName: the node pack that provides a comfy node',
        description:
          "Ranking: packs preempting the name, then lower search_ranking (none last), more downloads, node id. Only each pack's newest successfully extracted version counts; Banned comfy nodes and inactive packs never resolve.",
        tags,
        operationId: 'GetNodeByComfyNodeName',
        params: Type.Object({ comfyNodeName: Type.String({ maxLength: 1024 }) }),
        response: { 200: Type.Ref(Node), ...errorResponses(404) },
      },
    },
    async (req, reply) => {
      const name = req.params.comfyNodeName;
      const found = reg.uplink ? await resolveComfyNodeName(reg, name) : await requireProvider(reg, name);
      if (!found) return throughUplink(req, reply, () => mirrorProvider(reg, name));
      return toNode(reg, found.node, { publisher: found.publisher, latest: found.latest, admin: isAdmin(req.principal) });
    },
  );

  app.post(
    '/comfy-nodes/resolve',
    {
      config: { countsMayLag: true },
      schema: {
        summary: 'Bulk resolution: the providing pack of many names, or of every node type of a workflow, in one round trip',
        description:
          'Send exactly one of names (at most 5,000) and workflow (UI format with subgraphs, or API format). Node types whose workflow nodes carry properties.cnr_id are answered from it (source cnr_id, version = properties.ver when present).',
        tags,
        operationId: 'ResolveComfyNodes',
        body: ResolveRequest,
        response: { 200: ResolveResponse, ...errorResponses(400, 413) },
      },
    },
    async (req) => {
      const resolved = await resolveRequest(reg, req.body);
      if (reg.uplink) await fillFromUplink(reg, resolved);
      // A null-prototype object: a node type called "__proto__" is a key like any other.
      const results: Record<string, Resolution | null> = Object.create(null);
      for (const [name, r] of resolved) results[name] = r;
      return { results };
    },
  );

  app.get(
    '/nodes/search',
    {
      schema: {
        summary:
          'searchNodes: packs whose newest extracted version has comfy node comfy_node_search, and/or whose id, name or description contain search',
        tags: ['Nodes'],
        operationId: 'searchNodes',
        querystring: Type.Object({
          comfy_node_search: Type.Optional(Type.String({ maxLength: 1024, description: 'exact comfy node name' })),
          search: Type.Optional(Type.String({ maxLength: 200, description: 'case-insensitive substring of id, name or description' })),
          page: Type.Optional(Type.Integer()),
          limit: Type.Optional(Type.Integer({ description: `default 10, at most ${MAX_NODE_PAGE}` })),
        }),
        response: { 200: NodeList, ...errorResponses(400) },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const paging = pageWindow(q.page, q.limit, 10, MAX_NODE_PAGE);
      const { rows, total } = await searchNodes(
        reg,
        req.principal,
        { comfyNodeSearch: q.comfy_node_search || undefined, search: q.search },
        paging,
      );
      const nodes = toNodes(reg, await nodeDetails(reg, rows), isAdmin(req.principal));
      if (reg.uplink) {
        const params = { search: q.search, comfy_node_search: q.comfy_node_search };
        const local = { onPage: rows.length, total };
        const upstream = await throughUplink(req, reply, () => mirrorNodeListing(reg, { path: '/nodes/search', params }, paging, local));
        return toNodeList([...nodes, ...upstream.nodes], upstream.total, paging);
      }
      return toNodeList(nodes, total, paging);
    },
  );
}
