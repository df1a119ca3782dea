import { Type, type TSchema } from '@sinclair/typebox';
import { ComfyNode, ErrorResponse, Node, NodeVersion, PersonalAccessToken, Policy, Publisher, User } from '../contract/index.js';

/*
 * What routes share beyond the contract: path parameters, paging and the ErrorResponse entries of
 * a route's schema. The API shapes themselves live in src/contract.
 */

/** Component schemas registered once with Fastify, so $refs resolve and OpenAPI lists them. */
export const SHARED_SCHEMAS = [ErrorResponse, User, Publisher, PersonalAccessToken, NodeVersion, Node, Policy, ComfyNode];

export const errorResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, Type.Ref(ErrorResponse)])) as Record<number, TSchema>;

export const bearerAuth = [{ BearerAuth: [] }];

export const NodeId = Type.String({ maxLength: 200 });
export const PublisherId = Type.String({ maxLength: 100 });
export const NodeParams = Type.Object({ nodeId: NodeId });
export const VersionParams = Type.Object({ nodeId: NodeId, version: Type.String({ maxLength: 200 }) });
export const ComfyNodeParams = Type.Object({ ...VersionParams.properties, comfyNodeName: Type.String({ maxLength: 1024 }) });
export const PublisherParams = Type.Object({ publisherId: PublisherId });
export const OwnerParams = Type.Object({ publisherId: PublisherId, nodeId: NodeId });
export const VersionOwnerParams = Type.Object({ ...OwnerParams.properties, versionId: Type.String({ maxLength: 200 }) });

export const MAX_NODE_PAGE = 100;
export const MAX_VERSION_COMFY_NODES_PAGE = 10_000;
export const MAX_ALL_COMFY_NODES_PAGE = 100;
/** Lists that upstream answers as bare arrays page through `page`/`limit` and say their size in a header. */
export const MAX_ARRAY_PAGE = 1000;
export const TOTAL_COUNT_HEADER = 'x-total-count';

export const Paging = (maxLimit: number, defaultLimit: number) =>
  Type.Object({
    page: Type.Optional(Type.Integer({ description: '1-based; below 1 means 1' })),
    limit: Type.Optional(Type.Integer({ description: `default ${defaultLimit}, at most ${maxLimit}; below 1 means the default` })),
  });
