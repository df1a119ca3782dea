import { Type } from '@sinclair/typebox';
import { ADMIN_NODE_FIELDS, Node, NodeInput, NodeList, NodeVersion, VersionUpdate } from '../../contract/index.js';
import type { Registry } from '../../registry/registry.js';
import { isAdmin } from '../../registry/principals.js';
import {
  banNode,
  createNode,
  deleteNode,
  getNode,
  getVersion,
  listNodes,
  listVersions,
  nodeDetails,
  updateNode,
} from '../../registry/nodes.js';
import { getPublisher } from '../../registry/publishers.js';
import { deleteVersion, installVersion, updateVersion } from '../../registry/versions.js';
import { pageWindow } from '../../registry/paging.js';
import { mirrorNodeListing } from '../../registry/mirror/lists.js';
import type { App } from '../app.js';
import { nodeKeys, packKeys } from '../cache-keys.js';
import { throughUplink } from '../uplink.js';
import { mirrorInstall, mirrorNode, mirrorVersion, mirrorVersions, readsThroughUplink } from '../../registry/mirror/reads.js';
import { toNodeList, toNodeVersion, toNodes } from '../mappers.js';
import {
  MAX_ARRAY_PAGE,
  MAX_NODE_PAGE,
  NodeParams,
  OwnerParams,
  Paging,
  PublisherParams,
  TOTAL_COUNT_HEADER,
  VersionOwnerParams,
  VersionParams,
  bearerAuth,
  errorResponses,
} from '../schemas.js';

export async function nodeRoutes(app: App, reg: Registry) {
  app.get(
    '/nodes',
    {
      schema: {
        summary: 'Node packs, most downloaded first',
        tags: ['Nodes'],
        querystring: Type.Object({
          ...Paging(MAX_NODE_PAGE, 10).properties,
          node_id: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 1000 })),
        }),
        response: { 200: NodeList, ...errorResponses(400) },
      },
    },
    async (req, reply) => {
      const paging = pageWindow(req.query.page, req.query.limit, 10, MAX_NODE_PAGE);
      const { rows, total } = await listNodes(reg, { nodeIds: req.query.node_id }, paging);
      const nodes = toNodes(reg, await nodeDetails(reg, rows), isAdmin(req.principal));
      // Mirror mode: the uplink's packs follow the local ones (a node_id filter reads local packs only).
      if (reg.uplink && !req.query.node_id?.length) {
        const local = { onPage: rows.length, total };
        const upstream = await throughUplink(req, reply, () => mirrorNodeListing(reg, { path: '/nodes', params: {} }, paging, local));
        return toNodeList([...nodes, ...upstream.nodes], upstream.total, paging);
      }
      return toNodeList(nodes, total, paging);
    },
  );

  app.get(
    '/nodes/:nodeId',
    {
      config: { cacheKeys: nodeKeys },
      schema: { summary: 'A node pack', tags: ['Nodes'], params: NodeParams, response: { 200: Type.Ref(Node), ...errorResponses(404) } },
    },
    async (req, reply) => {
      if (await readsThroughUplink(reg, req.params.nodeId)) return throughUplink(req, reply, () => mirrorNode(reg, req.params.nodeId));
      const admin = isAdmin(req.principal);
      return toNodes(reg, await nodeDetails(reg, [await getNode(reg, req.params.nodeId, { includeHidden: admin })]), admin)[0];
    },
  );

  app.get(
    '/nodes/:nodeId/versions',
    {
      config: { cacheKeys: packKeys },
      schema: {
        summary: 'Versions of a node pack, newest first',
        tags: ['Nodes'],
        params: NodeParams,
        response: { 200: Type.Array(Type.Ref(NodeVersion)), ...errorResponses(404) },
      },
    },
    async (req, reply) => {
      if (await readsThroughUplink(reg, req.params.nodeId)) return throughUplink(req, reply, () => mirrorVersions(reg, req.params.nodeId));
      return (await listVersions(reg, req.params.nodeId, req.principal)).map((v) =>
        toNodeVersion(reg, v, { admin: isAdmin(req.principal) }),
      );
    },
  );

  app.get(
    '/nodes/:nodeId/versions/:version',
    {
      config: { cacheKeys: packKeys },
      schema: {
        summary: 'One version (exact, then semver-normalised match)',
        tags: ['Nodes'],
        params: VersionParams,
        response: { 200: Type.Ref(NodeVersion), ...errorResponses(404) },
      },
    },
    async (req, reply) => {
      const { nodeId, version } = req.params;
      if (await readsThroughUplink(reg, nodeId)) return throughUplink(req, reply, () => mirrorVersion(reg, nodeId, version));
      return toNodeVersion(reg, await getVersion(reg, nodeId, version, req.principal), { admin: isAdmin(req.principal) });
    },
  );

  app.get(
    '/nodes/:nodeId/install',
    {
      // The answer cache keeps a local pack's install answer until the pack changes, and counts a download per hit.
      config: { cacheKeys: packKeys, countsMayLag: true },
      schema: {
        summary: 'The version to install (latest, or ?version=) with its downloadUrl; counts a download',
        tags: ['Nodes'],
        params: NodeParams,
        querystring: Type.Object({ version: Type.Optional(Type.String({ maxLength: 200 })) }),
        response: { 200: Type.Ref(NodeVersion), ...errorResponses(403, 404) },
      },
    },
    async (req, reply) => {
      const version = req.query.version || undefined;
      if (await readsThroughUplink(reg, req.params.nodeId))
        return throughUplink(req, reply, () => mirrorInstall(reg, req.params.nodeId, version));
      const row = await installVersion(reg, req.principal, req.params.nodeId, version);
      if (reg.downloads.batched) req.cacheOnServe = () => void reg.downloads.count(row.node_id);
      return toNodeVersion(reg, row);
    },
  );

  app.get(
    '/publishers/:publisherId/nodes',
    {
      schema: {
        summary: `A publisher's node packs, ${MAX_ARRAY_PAGE} a page at most (the ${TOTAL_COUNT_HEADER} header says how many in all)`,
        tags: ['Publishers'],
        params: PublisherParams,
        querystring: Paging(MAX_ARRAY_PAGE, MAX_ARRAY_PAGE),
        response: { 200: Type.Array(Type.Ref(Node)), ...errorResponses(400, 404) },
      },
    },
    async (req, reply) => {
      await getPublisher(reg, req.params.publisherId);
      const paging = pageWindow(req.query.page, req.query.limit, MAX_ARRAY_PAGE, MAX_ARRAY_PAGE);
      const { rows, total } = await listNodes(reg, { publisherId: req.params.publisherId }, paging);
      reply.header(TOTAL_COUNT_HEADER, total);
      return toNodes(reg, await nodeDetails(reg, rows), isAdmin(req.principal));
    },
  );

  app.post(
    '/publishers/:publisherId/nodes',
    {
      config: { roles: ['user'], adminFields: ADMIN_NODE_FIELDS },
      schema: {
        summary: 'Create a node pack (publisher owner)',
        tags: ['Publishers'],
        security: bearerAuth,
        params: PublisherParams,
        body: NodeInput,
        response: { 201: Type.Ref(Node), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const row = await createNode(reg, req.principal, req.params.publisherId, { ...req.body, id: req.body.id ?? '' });
      return reply.code(201).send(toNodes(reg, await nodeDetails(reg, [row]), isAdmin(req.principal))[0]);
    },
  );

  app.put(
    '/publishers/:publisherId/nodes/:nodeId',
    {
      config: { roles: ['user'], adminFields: ADMIN_NODE_FIELDS },
      schema: {
        summary: 'Partial update of a node pack (owner; preempted_comfy_node_names and search_ranking: admin)',
        tags: ['Publishers'],
        security: bearerAuth,
        params: OwnerParams,
        body: NodeInput,
        response: { 200: Type.Ref(Node), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const row = await updateNode(reg, req.principal, req.params.publisherId, req.params.nodeId, req.body);
      return toNodes(reg, await nodeDetails(reg, [row]), isAdmin(req.principal))[0];
    },
  );

  app.delete(
    '/publishers/:publisherId/nodes/:nodeId',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'Delete a node pack (owner)',
        tags: ['Publishers'],
        security: bearerAuth,
        params: OwnerParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await deleteNode(reg, req.principal, req.params.publisherId, req.params.nodeId);
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/publishers/:publisherId/nodes/:nodeId/versions/:versionId',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'Update the changelog and deprecation of a version (owner); versionId is the id or the version',
        tags: ['Publishers'],
        security: bearerAuth,
        params: VersionOwnerParams,
        body: VersionUpdate,
        response: { 200: Type.Ref(NodeVersion), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) =>
      toNodeVersion(
        reg,
        await updateVersion(reg, req.principal, req.params.publisherId, req.params.nodeId, req.params.versionId, req.body),
      ),
  );

  app.delete(
    '/publishers/:publisherId/nodes/:nodeId/versions/:versionId',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'Unpublish a version (owner): it is no longer listed, installed or resolved',
        tags: ['Publishers'],
        security: bearerAuth,
        params: VersionOwnerParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await deleteVersion(reg, req.principal, req.params.publisherId, req.params.nodeId, req.params.versionId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/publishers/:publisherId/nodes/:nodeId/ban',
    {
      config: { roles: [] },
      schema: {
        summary: 'Ban a node pack (admin)',
        tags: ['Admin'],
        security: bearerAuth,
        params: OwnerParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await banNode(reg, req.principal, req.params.publisherId, req.params.nodeId);
      return reply.code(204).send(null);
    },
  );
}
