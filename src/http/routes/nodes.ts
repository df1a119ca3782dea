import { Type } from '@sinclair/typebox';
import type { App } from '../app.js';
import type { NodeRow } from '../../db/schema.js';
import type { Registry } from '../../registry/registry.js';
import { notFound } from '../../registry/errors.js';
import { isAdmin, type Principal } from '../../registry/principals.js';
import {
  banNode,
  createNode,
  deleteNode,
  getNode,
  getVersion,
  listNodes,
  listVersions,
  updateNode,
  versionsByIds,
} from '../../registry/nodes.js';
import { getPublisher } from '../../registry/publishers.js';
import { deleteVersion, updateVersion } from '../../registry/versions.js';
import { pageWindow } from '../../registry/paging.js';
import { toNode, toNodeVersion } from '../mappers.js';
import { Node, NodeInput, NodeList, NodeVersion, errorResponses } from '../schemas.js';

const auth = [{ BearerAuth: [] }];
const NodeParams = Type.Object({ nodeId: Type.String({ maxLength: 200 }) });
const VersionParams = Type.Object({ nodeId: Type.String({ maxLength: 200 }), version: Type.String({ maxLength: 200 }) });
const OwnerParams = Type.Object({ publisherId: Type.String({ maxLength: 100 }), nodeId: Type.String({ maxLength: 200 }) });
export const MAX_NODE_PAGE = 100;

/** Nodes with their publisher and latest version, loaded in two queries however many nodes. */
export async function hydrateNodes(reg: Registry, rows: NodeRow[], p: Principal) {
  const pubIds = [...new Set(rows.map((r) => r.publisher_id))];
  const pubs = pubIds.length ? await reg.db.selectFrom('publishers').selectAll().where('id', 'in', pubIds).execute() : [];
  const byId = new Map(pubs.map((x) => [x.id, x]));
  const latest = await versionsByIds(
    reg.db,
    rows.map((r) => r.latest_version_id),
  );
  return rows.map((r) =>
    toNode(reg, r, {
      publisher: byId.get(r.publisher_id),
      latest: r.latest_version_id ? latest.get(r.latest_version_id) : undefined,
      admin: isAdmin(p),
    }),
  );
}

export async function nodeRoutes(app: App, reg: Registry) {
  app.get(
    '/nodes',
    {
      schema: {
        summary: 'Node packs, most downloaded first',
        tags: ['Nodes'],
        querystring: Type.Object({
          page: Type.Optional(Type.Integer()),
          limit: Type.Optional(Type.Integer()),
          node_id: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 1000 })),
        }),
        response: { 200: NodeList, ...errorResponses(400) },
      },
    },
    async (req) => {
      const { page, limit } = pageWindow(req.query.page, req.query.limit, 10, MAX_NODE_PAGE);
      const { rows, total } = await listNodes(reg, { page, limit, nodeIds: req.query.node_id });
      return { nodes: await hydrateNodes(reg, rows, req.principal), total, page, limit, totalPages: Math.ceil(total / limit) };
    },
  );

  app.get(
    '/nodes/:nodeId',
    { schema: { summary: 'A node pack', tags: ['Nodes'], params: NodeParams, response: { 200: Type.Ref(Node), ...errorResponses(404) } } },
    async (req) =>
      (await hydrateNodes(reg, [await getNode(reg, req.params.nodeId, { includeHidden: isAdmin(req.principal) })], req.principal))[0],
  );

  app.get(
    '/nodes/:nodeId/versions',
    {
      schema: {
        summary: 'Versions of a node pack, newest first',
        tags: ['Nodes'],
        params: NodeParams,
        response: { 200: Type.Array(Type.Ref(NodeVersion)), ...errorResponses(404) },
      },
    },
    async (req) =>
      (await listVersions(reg, req.params.nodeId, req.principal)).map((v) => toNodeVersion(reg, v, { admin: isAdmin(req.principal) })),
  );

  app.get(
    '/nodes/:nodeId/versions/:version',
    {
      schema: {
        summary: 'One version (exact, then semver-normalised match)',
        tags: ['Nodes'],
        params: VersionParams,
        response: { 200: Type.Ref(NodeVersion), ...errorResponses(404) },
      },
    },
    async (req) =>
      toNodeVersion(reg, await getVersion(reg, req.params.nodeId, req.params.version, req.principal), { admin: isAdmin(req.principal) }),
  );

  app.get(
    '/nodes/:nodeId/install',
    {
      schema: {
        summary: 'The version to install (latest, or ?version=) with its downloadUrl; counts a download',
        tags: ['Nodes'],
        params: NodeParams,
        querystring: Type.Object({ version: Type.Optional(Type.String({ maxLength: 200 })) }),
        response: { 200: Type.Ref(NodeVersion), ...errorResponses(404) },
      },
    },
    async (req) => {
      const node = await getNode(reg, req.params.nodeId);
      const version = req.query.version
        ? await getVersion(reg, node.id, req.query.version, req.principal)
        : (await versionsByIds(reg.db, [node.latest_version_id])).get(node.latest_version_id ?? '');
      if (!version) throw notFound(`node ${node.id} has no version to install`, 'VERSION_NOT_FOUND');
      await reg.db
        .updateTable('nodes')
        .set((eb) => ({ downloads: eb('downloads', '+', 1) }))
        .where('id', '=', node.id)
        .execute();
      return toNodeVersion(reg, version);
    },
  );

  app.get(
    '/publishers/:publisherId/nodes',
    {
      schema: {
        summary: "A publisher's node packs",
        tags: ['Publishers'],
        params: Type.Object({ publisherId: Type.String({ maxLength: 100 }) }),
        response: { 200: Type.Array(Type.Ref(Node)), ...errorResponses(404) },
      },
    },
    async (req) => {
      await getPublisher(reg, req.params.publisherId);
      const { rows } = await listNodes(reg, { page: 1, limit: 10_000, publisherId: req.params.publisherId });
      return hydrateNodes(reg, rows, req.principal);
    },
  );

  app.post(
    '/publishers/:publisherId/nodes',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'Create a node pack (publisher owner)',
        tags: ['Publishers'],
        security: auth,
        params: Type.Object({ publisherId: Type.String({ maxLength: 100 }) }),
        body: NodeInput,
        response: { 201: Type.Ref(Node), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const row = await createNode(reg, req.principal, req.params.publisherId, { ...req.body, id: req.body.id ?? '' } as never);
      return reply.code(201).send((await hydrateNodes(reg, [row], req.principal))[0]);
    },
  );

  app.put(
    '/publishers/:publisherId/nodes/:nodeId',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'Partial update of a node pack (owner; preempted_comfy_node_names and search_ranking: admin)',
        tags: ['Publishers'],
        security: auth,
        params: OwnerParams,
        body: NodeInput,
        response: { 200: Type.Ref(Node), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const row = await updateNode(reg, req.principal, req.params.publisherId, req.params.nodeId, req.body as never);
      return (await hydrateNodes(reg, [row], req.principal))[0];
    },
  );

  app.delete(
    '/publishers/:publisherId/nodes/:nodeId',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'Delete a node pack (owner)',
        tags: ['Publishers'],
        security: auth,
        params: OwnerParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await deleteNode(reg, req.principal, req.params.publisherId, req.params.nodeId);
      return reply.code(204).send(null);
    },
  );

  const VersionOwnerParams = Type.Object({ ...OwnerParams.properties, versionId: Type.String({ maxLength: 200 }) });

  app.put(
    '/publishers/:publisherId/nodes/:nodeId/versions/:versionId',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'Update the changelog and deprecation of a version (owner); versionId is the id or the version',
        tags: ['Publishers'],
        security: auth,
        params: VersionOwnerParams,
        body: Type.Object({ changelog: Type.Optional(Type.String({ maxLength: 100_000 })), deprecated: Type.Optional(Type.Boolean()) }),
        response: { 200: Type.Ref(NodeVersion), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => toNodeVersion(reg, await updateVersion(reg, req.principal, req.params.publisherId, req.params.nodeId, req.params.versionId, req.body)),
  );

  app.delete(
    '/publishers/:publisherId/nodes/:nodeId/versions/:versionId',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'Unpublish a version (owner): it is no longer listed, installed or resolved',
        tags: ['Publishers'],
        security: auth,
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
        security: auth,
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
