import { Type, type Static } from '@sinclair/typebox';
import { ERROR_CODES } from './errors.js';
import { NodeStatus, Opt, PublisherStatus, Str, StrList, StringEnum, VersionStatus } from './types.js';

/*
 * The registry's API shapes (contract §4). Field names follow upstream exactly, camel and snake
 * case mixed; comfyreg never answers null for an absent value.
 */

export const ErrorResponse = Type.Object(
  { error: StringEnum(ERROR_CODES, { description: 'stable error code (docs/errors.md)' }), message: Type.String() },
  { $id: 'ErrorResponse', description: 'Every 4xx and 5xx answer' },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

export const User = Type.Object(
  { id: Str(), email: Str(), name: Str(), isApproved: Type.Boolean(), isAdmin: Type.Boolean() },
  { $id: 'User' },
);
export type User = Static<typeof User>;

export const NewUser = Type.Object({
  name: Type.String({ maxLength: 200 }),
  email: Type.String({ maxLength: 320 }),
  isAdmin: Opt(Type.Boolean()),
});
export type NewUser = Static<typeof NewUser>;

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
    status: Opt(PublisherStatus),
  },
  { $id: 'Publisher' },
);
export type Publisher = Static<typeof Publisher>;

/** What a client sends to create or update a publisher. */
export const PublisherInput = Type.Object({
  id: Opt(Type.String({ maxLength: 100 })),
  name: Opt(Type.String({ maxLength: 200 })),
  description: Opt(Type.String({ maxLength: 10_000 })),
  website: Opt(Type.String({ maxLength: 2000 })),
  support: Opt(Type.String({ maxLength: 2000 })),
  source_code_repo: Opt(Type.String({ maxLength: 2000 })),
  logo: Opt(Type.String({ maxLength: 2000 })),
});
export type PublisherInput = Static<typeof PublisherInput>;

export const PersonalAccessToken = Type.Object(
  { id: Opt(Str()), name: Opt(Str()), description: Opt(Str()), createdAt: Opt(Str()), token: Opt(Str()) },
  { $id: 'PersonalAccessToken' },
);
export type PersonalAccessToken = Static<typeof PersonalAccessToken>;

export const NewAccessToken = Type.Object({ name: Type.String({ maxLength: 200 }), description: Opt(Type.String({ maxLength: 2000 })) });
export type NewAccessToken = Static<typeof NewAccessToken>;

export const CloudBuildInfo = Type.Object({ build_id: Str(), location: Str(), project_id: Str(), project_number: Str() });

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
    status: Opt(VersionStatus),
    status_reason: Opt(Str()),
    comfy_node_extract_status: Opt(Str()),
    comfy_node_extract_reason: Opt(Str()),
    cloud_build_info: Opt(CloudBuildInfo),
    supported_os: Opt(StrList()),
    supported_accelerators: Opt(StrList()),
    supported_comfyui_version: Opt(Str()),
    supported_comfyui_frontend_version: Opt(Str()),
  },
  { $id: 'NodeVersion' },
);
export type NodeVersion = Static<typeof NodeVersion>;

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
  status: Opt(NodeStatus),
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
export type Node = Static<typeof Node>;

/** Node fields only an admin may set; the route gate refuses them from anyone else. */
export const ADMIN_NODE_FIELDS = ['preempted_comfy_node_names', 'search_ranking'] as const;

/** What clients send for a node: `license` may be JSON text or (older clients) an object; read-only fields are ignored. */
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
export type NodeVersionInput = Static<typeof NodeVersionInput>;

export const PublishRequest = Type.Object({
  personal_access_token: Type.String({ maxLength: 512 }),
  node: Opt(NodeInput),
  node_version: Opt(NodeVersionInput),
});
export type PublishRequest = Static<typeof PublishRequest>;

export const PublishResponse = Type.Object({ node_version: Type.Ref(NodeVersion), signedUrl: Str() });

/** What an owner may change of a published version (upstream's updateNodeVersion). */
export const VersionUpdate = Type.Object({
  changelog: Opt(Type.String({ maxLength: 100_000 })),
  deprecated: Opt(Type.Boolean()),
});
export type VersionUpdate = Static<typeof VersionUpdate>;

/** An admin's decision on a version: approve a Pending one, flag or ban it. */
export const VersionStatusUpdate = Type.Object({
  status: Type.String({ maxLength: 64 }),
  status_reason: Opt(Type.String({ maxLength: 10_000 })),
});
export type VersionStatusUpdate = Static<typeof VersionStatusUpdate>;

export const UploadReceipt = Type.Object({ id: Type.String(), size: Type.Integer(), sha256: Type.String() });

export const NodeList = Type.Object({
  nodes: Type.Array(Type.Ref(Node)),
  total: Type.Integer(),
  page: Type.Integer(),
  limit: Type.Integer(),
  totalPages: Type.Integer(),
});
export type NodeList = Static<typeof NodeList>;
