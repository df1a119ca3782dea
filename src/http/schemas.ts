import { Type, type Static, type TSchema } from '@sinclair/typebox';

/*
 * The API contract. These schemas validate requests, serialise responses and are what
 * /openapi.json publishes; field names follow upstream exactly (camel and snake case mixed).
 */
const Str = (opts: object = {}) => Type.String({ maxLength: 100_000, ...opts });
const StrList = () => Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 1000 });
const Opt = <T extends TSchema>(s: T) => Type.Optional(s);

export const ErrorResponse = Type.Object(
  { error: Type.String({ description: 'stable error code' }), message: Type.String() },
  { $id: 'ErrorResponse', description: 'Every 4xx and 5xx answer' },
);

export const User = Type.Object(
  { id: Str(), email: Str(), name: Str(), isApproved: Type.Boolean(), isAdmin: Type.Boolean() },
  { $id: 'User' },
);

export const PublisherMember = Type.Object({
  id: Str(),
  role: Str(),
  user: Type.Object({ id: Str(), email: Str(), name: Str() }),
});

export const Publisher = Type.Object(
  {
    id: Opt(Str()),
    name: Opt(Str()),
    description: Opt(Str()),
    website: Opt(Str()),
    support: Opt(Str()),
    source_code_repo: Opt(Str()),
    logo: Opt(Str()),
    createdAt: Opt(Str()),
    members: Opt(Type.Array(PublisherMember)),
    status: Opt(Str()),
  },
  { $id: 'Publisher' },
);

export const PersonalAccessToken = Type.Object(
  { id: Opt(Str()), name: Opt(Str()), description: Opt(Str()), createdAt: Opt(Str()), token: Opt(Str()) },
  { $id: 'PersonalAccessToken' },
);

export const NodeVersion = Type.Object(
  {
    id: Opt(Str()),
    node_id: Opt(Str()),
    version: Opt(Str()),
    changelog: Opt(Str()),
    dependencies: Opt(StrList()),
    deprecated: Opt(Type.Boolean()),
    downloadUrl: Opt(Str()),
    createdAt: Opt(Str()),
    status: Opt(Str()),
    status_reason: Opt(Str()),
    comfy_node_extract_status: Opt(Str()),
    comfy_node_extract_reason: Opt(Str()),
    cloud_build_info: Opt(Type.Object({ build_id: Str(), location: Str(), project_id: Str(), project_number: Str() })),
    supported_os: Opt(StrList()),
    supported_accelerators: Opt(StrList()),
    supported_comfyui_version: Opt(Str()),
    supported_comfyui_frontend_version: Opt(Str()),
  },
  { $id: 'NodeVersion' },
);

const nodeShape = {
  id: Opt(Str()),
  name: Opt(Str()),
  description: Opt(Str()),
  author: Opt(Str()),
  license: Opt(Str()),
  icon: Opt(Str()),
  banner_url: Opt(Str()),
  repository: Opt(Str()),
  tags: Opt(StrList()),
  latest_version: Opt(Type.Ref(NodeVersion)),
  publisher: Opt(Type.Ref(Publisher)),
  rating: Opt(Type.Number()),
  downloads: Opt(Type.Integer()),
  status: Opt(Str()),
  status_detail: Opt(Str()),
  created_at: Opt(Str()),
  preempted_comfy_node_names: Opt(StrList()),
  search_ranking: Opt(Type.Integer()),
  supported_os: Opt(StrList()),
  supported_accelerators: Opt(StrList()),
  supported_comfyui_version: Opt(Str()),
  supported_comfyui_frontend_version: Opt(Str()),
};
export const Node = Type.Object(nodeShape, { $id: 'Node' });

/** What clients send for a node: `license` may be JSON text or (older clients) an object. */
export const NodeInput = Type.Object({
  ...nodeShape,
  license: Opt(Type.Union([Str(), Type.Object({}, { additionalProperties: true })])),
  latest_version: Opt(Type.Unknown()),
  publisher: Opt(Type.Unknown()),
  rating: Opt(Type.Unknown()),
  downloads: Opt(Type.Unknown()),
  status: Opt(Type.Unknown()),
  status_detail: Opt(Type.Unknown()),
  created_at: Opt(Type.Unknown()),
  search_ranking: Opt(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 })),
});
export type NodeInput = Static<typeof NodeInput>;

export const NodeVersionInput = Type.Object({
  version: Opt(Str({ maxLength: 200 })),
  changelog: Opt(Str()),
  dependencies: Opt(StrList()),
  deprecated: Opt(Type.Boolean()),
  supported_os: Opt(StrList()),
  supported_accelerators: Opt(StrList()),
  supported_comfyui_version: Opt(Str()),
  supported_comfyui_frontend_version: Opt(Str()),
});

export const PublishRequest = Type.Object({
  personal_access_token: Type.String({ maxLength: 512 }),
  node: Opt(NodeInput),
  node_version: Opt(NodeVersionInput),
});

export const PublishResponse = Type.Object({ node_version: Type.Ref(NodeVersion), signedUrl: Str() });

export const Policy = Type.Union(
  [Type.Literal('ComfyNodePolicyActive'), Type.Literal('ComfyNodePolicyBanned'), Type.Literal('ComfyNodePolicyLocalOnly')],
  { $id: 'ComfyNodePolicy' },
);

const comfyNodeFields = {
  category: Opt(Str()),
  description: Opt(Str()),
  function: Opt(Str()),
  input_types: Opt(Type.String({ description: 'JSON text of the /object_info input object' })),
  return_types: Opt(Type.String({ description: 'JSON text of the output array' })),
  return_names: Opt(Type.String({ description: 'JSON text of the output_name array' })),
  output_is_list: Opt(Type.Array(Type.Boolean(), { maxItems: 1000 })),
  deprecated: Opt(Type.Boolean()),
  experimental: Opt(Type.Boolean()),
  display_name: Opt(Str()),
  output_node: Opt(Type.Boolean()),
  policy: Opt(Type.Ref(Policy)),
};

export const ComfyNode = Type.Object(
  {
    comfy_node_name: Opt(Str()),
    ...comfyNodeFields,
    node_id: Opt(Str()),
    version: Opt(Str()),
  },
  { $id: 'ComfyNode' },
);

/** A node in a CreateComfyNodes body: the map key is its name, a name inside is ignored. */
export const ComfyNodeInput = Type.Object({ ...comfyNodeFields, comfy_node_name: Opt(Type.Unknown()) });
export const ComfyNodeUpdate = Type.Object(comfyNodeFields);

export const CreateComfyNodesRequest = Type.Object({
  success: Opt(Type.Boolean()),
  status: Opt(Type.String({ maxLength: 32 })),
  reason: Opt(Type.String({ maxLength: 10_000 })),
  cloud_build_info: Opt(
    Type.Object({ build_id: Opt(Str()), location: Opt(Str()), project_id: Opt(Str()), project_number: Opt(Str()) }),
  ),
  nodes: Opt(
    Type.Unsafe<Record<string, Static<typeof ComfyNodeInput>>>({
      type: 'object',
      additionalProperties: ComfyNodeInput,
      propertyNames: { minLength: 1, maxLength: 256 },
      maxProperties: 10_000,
    }),
  ),
});
export type CreateComfyNodesRequest = Static<typeof CreateComfyNodesRequest>;

export const Paging = Type.Object({
  page: Opt(Type.Integer({ default: 1 })),
  limit: Opt(Type.Integer({ default: 10 })),
});

export const NodeList = Type.Object({
  nodes: Type.Array(Type.Ref(Node)),
  total: Type.Integer(),
  page: Type.Integer(),
  limit: Type.Integer(),
  totalPages: Type.Integer(),
});

/** Shared component schemas, registered once with Fastify so $refs resolve and OpenAPI lists them. */
export const SHARED_SCHEMAS = [ErrorResponse, User, Publisher, PersonalAccessToken, NodeVersion, Node, Policy, ComfyNode];

export const errorResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, Type.Ref(ErrorResponse)])) as Record<number, TSchema>;

export type NodeT = Static<typeof Node>;
export type NodeVersionT = Static<typeof NodeVersion>;
export type PublisherT = Static<typeof Publisher>;
export type ComfyNodeT = Static<typeof ComfyNode>;

/* Comfy-node reads, the resolver and bulk resolution (issue 3). */

export const ComfyNodeList = Type.Object({
  comfy_nodes: Type.Array(Type.Ref(ComfyNode)),
  totalNumberOfPages: Type.Integer(),
});

export const ComfyNodeListAll = Type.Object({
  comfy_nodes: Type.Array(Type.Ref(ComfyNode), { description: 'each entry also carries node_id and version' }),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
});

export const ResolveRequest = Type.Object(
  {
    names: Opt(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 5_000, description: 'comfy node names (node types), at most 5,000' })),
    workflow: Opt(
      Type.Object({}, { additionalProperties: true, description: 'a ComfyUI workflow: UI format (nodes[], definitions.subgraphs[]) or API format ({"<id>": {"class_type": …}})' }),
    ),
  },
  { description: 'exactly one of names and workflow' },
);
export type ResolveRequest = Static<typeof ResolveRequest>;

export const Resolution = Type.Object(
  {
    node_id: Type.String({ description: 'the node pack' }),
    version: Type.String({ description: "the pack's latest version, or the workflow's ver when answered from cnr_id" }),
    source: Type.Union([Type.Literal('registry'), Type.Literal('cnr_id')], { description: 'registry: by-name resolution; cnr_id: the workflow named the pack' }),
  },
  { title: 'ComfyNodeResolution' },
);

export const ResolveResponse = Type.Object({
  results: Type.Record(Type.String(), Type.Union([Resolution, Type.Null()]), {
    description: 'one entry per distinct name or node type, in order of first appearance; null when no pack provides it',
  }),
});
