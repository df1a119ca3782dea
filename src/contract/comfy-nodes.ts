import { Type, type Static } from '@sinclair/typebox';
import { JobState, Opt, Policy, Str } from './types.js';

/* Comfy nodes (contract §1–§3): what the extractor produces, what CreateComfyNodes takes, what reads serve. */

export const MAX_COMFY_NODES = 10_000;
export const MAX_COMFY_NODE_NAME = 256;

/** Every field of one comfy node that extraction determines (the map key is its name). */
const comfyNodeData = {
  category: Str(),
  description: Str(),
  function: Str(),
  input_types: Type.String({ description: 'JSON text of the /object_info input object' }),
  return_types: Type.String({ description: 'JSON text of the output array' }),
  return_names: Type.String({ description: 'JSON text of the output_name array' }),
  output_is_list: Type.Array(Type.Boolean(), { maxItems: 1000 }),
  deprecated: Type.Boolean(),
  experimental: Type.Boolean(),
  display_name: Str(),
  output_node: Type.Boolean(),
};

/** One comfy node as the static extractor reports it: every field present. */
export const ExtractedComfyNode = Type.Object(comfyNodeData);
export type ExtractedComfyNode = Static<typeof ExtractedComfyNode>;

const comfyNodeFields = { ...Type.Partial(ExtractedComfyNode).properties, policy: Opt(Type.Ref(Policy)) };

export const ComfyNode = Type.Object(
  {
    comfy_node_name: Opt(Str()),
    ...comfyNodeFields,
    node_id: Opt(Str()),
    version: Opt(Str()),
    wildcard_input_types: Opt(
      Type.Array(Str(), {
        description: 'type search only: the asked input types this node accepts only through an input typed `*`',
      }),
    ),
  },
  { $id: 'ComfyNode' },
);
export type ComfyNode = Static<typeof ComfyNode>;

/** A node in a CreateComfyNodes body: the map key is its name, a name inside is ignored. */
export const ComfyNodeInput = Type.Object({ ...comfyNodeFields, comfy_node_name: Opt(Type.Unknown()) });
export type ComfyNodeInput = Static<typeof ComfyNodeInput>;

/** UpdateComfyNode: any field but the name. */
export const ComfyNodeUpdate = Type.Object(comfyNodeFields);
export type ComfyNodeUpdate = Static<typeof ComfyNodeUpdate>;

export const CloudBuildInfoInput = Type.Object({
  build_id: Opt(Str()),
  location: Opt(Str()),
  project_id: Opt(Str()),
  project_number: Opt(Str()),
});
export type CloudBuildInfoInput = Static<typeof CloudBuildInfoInput>;

export const CreateComfyNodesRequest = Type.Object({
  success: Opt(Type.Boolean()),
  status: Opt(Type.String({ maxLength: 32 })),
  reason: Opt(Type.String({ maxLength: 10_000 })),
  cloud_build_info: Opt(CloudBuildInfoInput),
  nodes: Opt(
    Type.Unsafe<Record<string, ComfyNodeInput>>({
      type: 'object',
      additionalProperties: ComfyNodeInput,
      propertyNames: { minLength: 1, maxLength: MAX_COMFY_NODE_NAME },
      maxProperties: MAX_COMFY_NODES,
    }),
  ),
});
export type CreateComfyNodesRequest = Static<typeof CreateComfyNodesRequest>;

/** What extraction of one pack produces: a CreateComfyNodes body with every node complete. */
export const ExtractionResult = Type.Object({
  success: Type.Boolean(),
  status: Opt(Type.String({ maxLength: 32 })),
  reason: Opt(Type.String({ maxLength: 10_000 })),
  nodes: Type.Record(Type.String(), ExtractedComfyNode),
});
export type ExtractionResult = Static<typeof ExtractionResult>;

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

export const MAX_RESOLVE_NAMES = 5_000;

export const ResolveRequest = Type.Object(
  {
    names: Opt(
      Type.Array(Type.String({ maxLength: 256 }), {
        maxItems: MAX_RESOLVE_NAMES,
        description: 'comfy node names (node types), at most 5,000',
      }),
    ),
    workflow: Opt(
      Type.Object(
        {},
        {
          additionalProperties: true,
          description: 'a ComfyUI workflow: UI format (nodes[], definitions.subgraphs[]) or API format ({"<id>": {"class_type": …}})',
        },
      ),
    ),
  },
  { description: 'exactly one of names and workflow' },
);
export type ResolveRequest = Static<typeof ResolveRequest>;

export const Resolution = Type.Object(
  {
    node_id: Type.String({ description: 'the node pack' }),
    version: Type.String({ description: "the pack's latest version, or the workflow's ver when answered from cnr_id" }),
    source: Type.Union([Type.Literal('registry'), Type.Literal('cnr_id')], {
      description: 'registry: by-name resolution; cnr_id: the workflow named the pack',
    }),
  },
  { title: 'ComfyNodeResolution' },
);
export type Resolution = Static<typeof Resolution>;

export const ResolveResponse = Type.Object({
  results: Type.Record(Type.String(), Type.Union([Resolution, Type.Null()]), {
    description: 'one entry per distinct name or node type, in order of first appearance; null when no pack provides it',
  }),
});

/* The extraction queue, as workers in other processes see it. */

/** A leased job: enough to fetch the archive and to say where the result goes. */
export const LeasedJob = Type.Object({
  node_version_id: Type.String(),
  node_id: Type.String(),
  version: Type.String(),
  archive_key: Type.String({ description: 'download it from /archives/{archive_key}' }),
  attempts: Type.Integer(),
  lease_until: Type.String(),
});
export type LeasedJob = Static<typeof LeasedJob>;

export const LeaseRequest = Type.Object({
  worker: Type.String({ minLength: 1, maxLength: 200 }),
  lease_seconds: Opt(Type.Integer({ minimum: 1, maximum: 3600 })),
});

export const JobFailure = Type.Object({
  worker: Type.String({ minLength: 1, maxLength: 200 }),
  reason: Type.String({ maxLength: 10_000 }),
});
export const JobCompletion = Type.Object({ worker: Type.String({ minLength: 1, maxLength: 200 }) });

export const ExtractionJob = Type.Object({
  node_version_id: Type.String(),
  state: JobState,
  attempts: Type.Integer(),
  lease_owner: Type.String(),
  lease_until: Type.String(),
  last_error: Type.String(),
});
export type ExtractionJob = Static<typeof ExtractionJob>;
