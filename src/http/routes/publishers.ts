import { Type } from '@sinclair/typebox';
import { NewAccessToken, PersonalAccessToken, Publisher, PublisherInput } from '../../contract/index.js';
import type { Registry } from '../../registry/registry.js';
import { pageWindow } from '../../registry/paging.js';
import {
  createAccessToken,
  createPublisher,
  deleteAccessToken,
  getPublisherDetails,
  listAccessTokens,
  listPublishers,
  publisherDetails,
  setPublisherBanned,
  updatePublisher,
} from '../../registry/publishers.js';
import type { App } from '../app.js';
import { publisherKeys } from '../cache-keys.js';
import { toAccessToken, toPublisherDetails } from '../mappers.js';
import { MAX_ARRAY_PAGE, Paging, PublisherParams, TOTAL_COUNT_HEADER, bearerAuth, errorResponses } from '../schemas.js';

const tags = ['Publishers'];

export async function publisherRoutes(app: App, reg: Registry) {
  app.post(
    '/publishers',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'Create a publisher; the caller becomes its owner',
        tags,
        security: bearerAuth,
        body: PublisherInput,
        response: { 201: Type.Ref(Publisher), ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const row = await createPublisher(reg, req.principal, { ...req.body, id: req.body.id ?? '' });
      return reply.code(201).send(toPublisherDetails(await getPublisherDetails(reg, row.id)));
    },
  );

  app.get(
    '/publishers',
    {
      schema: {
        summary: `Active publishers by id, ${MAX_ARRAY_PAGE} a page at most (the ${TOTAL_COUNT_HEADER} header says how many in all)`,
        tags,
        querystring: Paging(MAX_ARRAY_PAGE, MAX_ARRAY_PAGE),
        response: { 200: Type.Array(Type.Ref(Publisher)), ...errorResponses(400) },
      },
    },
    async (req, reply) => {
      const { rows, total } = await listPublishers(reg, pageWindow(req.query.page, req.query.limit, MAX_ARRAY_PAGE, MAX_ARRAY_PAGE));
      reply.header(TOTAL_COUNT_HEADER, total);
      return (await publisherDetails(reg, rows)).map(toPublisherDetails);
    },
  );

  app.get(
    '/publishers/:publisherId',
    {
      config: { cacheKeys: publisherKeys },
      schema: { summary: 'A publisher', tags, params: PublisherParams, response: { 200: Type.Ref(Publisher), ...errorResponses(404) } },
    },
    async (req) => toPublisherDetails(await getPublisherDetails(reg, req.params.publisherId)),
  );

  app.put(
    '/publishers/:publisherId',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'Update a publisher (owner or admin)',
        tags,
        security: bearerAuth,
        params: PublisherParams,
        body: PublisherInput,
        response: { 200: Type.Ref(Publisher), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await updatePublisher(reg, req.principal, req.params.publisherId, req.body);
      return toPublisherDetails(await getPublisherDetails(reg, req.params.publisherId));
    },
  );

  app.post(
    '/publishers/:publisherId/ban',
    {
      config: { roles: [] },
      schema: {
        summary: 'Ban a publisher (admin)',
        tags: ['Admin'],
        security: bearerAuth,
        params: PublisherParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await setPublisherBanned(reg, req.params.publisherId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/publishers/:publisherId/tokens',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'Create a personal access token (shown once)',
        tags,
        security: bearerAuth,
        params: PublisherParams,
        body: NewAccessToken,
        response: { 201: Type.Object({ token: Type.String() }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const { token } = await createAccessToken(reg, req.principal, req.params.publisherId, req.body);
      return reply.code(201).send({ token });
    },
  );

  app.get(
    '/publishers/:publisherId/tokens',
    {
      config: { roles: ['user'] },
      schema: {
        summary: "A publisher's personal access tokens, masked",
        tags,
        security: bearerAuth,
        params: PublisherParams,
        response: { 200: Type.Array(Type.Ref(PersonalAccessToken)), ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => (await listAccessTokens(reg, req.principal, req.params.publisherId)).map(toAccessToken),
  );

  app.delete(
    '/publishers/:publisherId/tokens/:tokenId',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'Delete a personal access token',
        tags,
        security: bearerAuth,
        params: Type.Object({ ...PublisherParams.properties, tokenId: Type.String({ maxLength: 100 }) }),
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await deleteAccessToken(reg, req.principal, req.params.publisherId, req.params.tokenId);
      return reply.code(204).send(null);
    },
  );
}
