import { Type, type TSchema } from '@sinclair/typebox';

/* Building blocks of the contract's schemas. */

export const Str = (opts: object = {}) => Type.String({ maxLength: 100_000, ...opts });
export const StrList = () => Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 1000 });
export const Opt = <T extends TSchema>(s: T) => Type.Optional(s);

/** A closed set of strings: an `enum` in the served OpenAPI, a literal union in TypeScript. */
export function StringEnum<const T extends readonly string[]>(values: T, opts: object = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts });
}

export const NODE_STATUSES = ['NodeStatusActive', 'NodeStatusDeleted', 'NodeStatusBanned'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];
export const NodeStatus = StringEnum(NODE_STATUSES);

export const VERSION_STATUSES = [
  'NodeVersionStatusActive',
  'NodeVersionStatusDeleted',
  'NodeVersionStatusBanned',
  'NodeVersionStatusPending',
  'NodeVersionStatusFlagged',
] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];
export const VersionStatus = StringEnum(VERSION_STATUSES);
/** Versions that count for `latest_version` and that the public sees. */
export const LIVE_VERSION_STATUSES: VersionStatus[] = ['NodeVersionStatusActive', 'NodeVersionStatusFlagged', 'NodeVersionStatusPending'];

export const PUBLISHER_STATUSES = ['PublisherStatusActive', 'PublisherStatusBanned'] as const;
export type PublisherStatus = (typeof PUBLISHER_STATUSES)[number];
export const PublisherStatus = StringEnum(PUBLISHER_STATUSES);

export const POLICIES = ['ComfyNodePolicyActive', 'ComfyNodePolicyBanned', 'ComfyNodePolicyLocalOnly'] as const;
export type Policy = (typeof POLICIES)[number];
export const Policy = StringEnum(POLICIES, { $id: 'ComfyNodePolicy' });

/**
 * A version's comfy-node extraction status. The extractor may report any lower-case identifier
 * (contract §2: `invalid_format` and others), so the column is open; these are the ones comfyreg
 * itself writes and reads.
 */
export const EXTRACT_STATUSES = ['pending', 'success', 'failed', 'invalid_format'] as const;
export type KnownExtractStatus = (typeof EXTRACT_STATUSES)[number];
export type ExtractStatus = KnownExtractStatus | (string & {});
export const EXTRACT_STATUS_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;
/** Statuses of a version whose comfy nodes are never served: not extracted yet, or extraction failed. */
export const NOT_EXTRACTED_STATUSES: string[] = ['pending', 'failed'] satisfies KnownExtractStatus[];
/** The status of a version whose archive the extractor refused: it is never distributed. */
export const REFUSED_EXTRACT_STATUS: KnownExtractStatus = 'invalid_format';

export const JOB_STATES = ['queued', 'running', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const JobState = StringEnum(JOB_STATES);

export const MEMBER_ROLES = ['owner', 'member'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];
