import { Type } from '@sinclair/typebox';
import type { App } from '../app.js';
import type { Registry } from '../../registry/registry.js';
import {
  createAccessToken,
  createPublisher,
  deleteAccessToken,
  getPublisher,
  listAccessTokens,
  listPublisherMembers,
  listPublishers,
  setPublisherBanned,
  updatePublisher,
} from '../../registry/publishers.js';
import { toPublisher } from '../mappers.js';
import { PersonalAccessToken, Publisher, errorResponses } from '../schemas.js';

const auth = [{ BearerAuth: [] }];
const PublisherParams = Type.Object({ publisherId: Type.String({ maxLength: 100 }) });
const PublisherInput = Type.Object({
  id: Type.Optional(Type.String({ maxLength: 100 })),
  name: Type.Optional(Type.String({ maxLength: 200 })),
  description: Type.Optional(Type.String({ maxLength: 10_000 })),
  website: Type.Optional(Type.String({ maxLength: 2000 })),
  support: Type.Optional(Type.String({ maxLength: 2000 })),
  source_code_repo: Type.Optional(Type.String({ maxLength: 2000 })),
  logo: Type.Optional(Type.String({ maxLength: 2000 })),
});

export async function publisherRoutes(app: App, reg: Registry) {
  const withMembers = async (id: string) => {
    const row = await getPublisher(reg, id);
    return toPublisher(row, await listPublisherMembers(reg, [row.id]));
  };

  app.post(
    '/publishers',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'Create a publisher; the caller becomes its owner',
        tags: ['Publishers'],
        security: auth,
        body: PublisherInput,
        response: { 201: Type.Ref(Publisher), ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const row = await createPublisher(reg, req.principal, { ...req.body, id: req.body.id ?? '' });
      return reply.code(201).send(await withMembers(row.id));
    },
  );

  app.get(
    '/publishers',
    { schema: { summary: 'Every active publisher', tags: ['Publishers'], response: { 200: Type.Array(Type.Ref(Publisher)) } } },
    async () => {
      const rows = await listPublishers(reg);
      const members = await listPublisherMembers(reg, rows.map((r) => r.id));
      return rows.map((r) => toPublisher(r, members));
    },
  );

  app.get(
    '/publishers/:publisherId',
    {
      schema: {
        summary: 'A publisher',
        tags: ['Publishers'],
        params: PublisherParams,
        response: { 200: Type.Ref(Publisher), ...errorResponses(404) },
      },
    },
    async (req) => withMembers(req.params.publisherId),
  );

  app.put(
    '/publishers/:publisherId',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'Update a publisher (owner or admin)',
        tags: ['Publishers'],
        security: auth,
        params: PublisherParams,
        body: PublisherInput,
        response: { 200: Type.Ref(Publisher), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await updatePublisher(reg, req.principal, req.params.publisherId, req.body);
      return withMembers(req.params.publisherId);
    },
  );

  app.post(
    '/publishers/:publisherId/ban',
    {
      config: { roles: [] },
      schema: {
        summary: 'Ban a publisher (admin)',
        tags: ['Admin'],
        security: auth,
        params: PublisherParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await setPublisherBanned(reg, req.principal, req.params.publisherId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/publishers/:publisherId/tokens',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'Create a personal access token (shown once)',
        tags: ['Publishers'],
        security: auth,
        params: PublisherParams,
        body: Type.Object({ name: Type.String({ maxLength: 200 }), description: Type.Optional(Type.String({ maxLength: 2000 })) }),
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
        tags: ['Publishers'],
        security: auth,
        params: PublisherParams,
        response: { 200: Type.Array(Type.Ref(PersonalAccessToken)), ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => {
      const rows = await listAccessTokens(reg, req.principal, req.params.publisherId);
      return rows.map((r) => ({ id: r.id, name: r.name, description: r.description, createdAt: r.created_at, token: r.token_hint }));
    },
  );

  app.delete(
    '/publishers/:publisherId/tokens/:tokenId',
    {
      config: { roles: ['user'] },
      schema: {
        summary: 'Delete a personal access token',
        tags: ['Publishers'],
        security: auth,
        params: Type.Object({ publisherId: Type.String({ maxLength: 100 }), tokenId: Type.String({ maxLength: 100 }) }),
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await deleteAccessToken(reg, req.principal, req.params.publisherId, req.params.tokenId);
      return reply.code(204).send(null);
    },
  );
}
