/**
 * The error catalogue: every error comfyreg answers, once. A code is the `error` field of the
 * ErrorResponse, stable across releases; `status` is its HTTP status; `message` builds the
 * human-readable text from the call site's arguments; `meaning` is what docs/errors.md says of it.
 * Call sites name a code (`new RegistryError('NODE_NOT_FOUND', id)`); nothing else picks a status.
 */
interface Spec {
  status: number;
  message: (...args: any[]) => string;
  meaning: string;
}

const s = (v: string | number) => String(v);

export const ERRORS = {
  // 400: the request itself is wrong
  BAD_REQUEST: {
    status: 400,
    message: (detail: string) => detail,
    meaning: 'The request does not match the API schema (the message names the field).',
  },
  BAD_URL: { status: 400, message: (detail: string) => detail, meaning: 'The URL cannot be decoded, or holds a NUL character.' },
  INVALID_JSON: {
    status: 400,
    message: (detail: string) => detail,
    meaning: 'The body is not valid JSON, or is empty where JSON is required.',
  },
  NUL_IN_BODY: {
    status: 400,
    message: () => 'the body holds a NUL character (\\u0000)',
    meaning: 'A JSON string holds U+0000, which the databases cannot store.',
  },
  INVALID_NODE_ID: {
    status: 400,
    message: () => 'node id must be 1-100 letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
    meaning: 'A node pack id does not match the allowed pattern.',
  },
  INVALID_PUBLISHER_ID: {
    status: 400,
    message: () => 'publisher id must match ^[a-z][a-z0-9-]*$ and be at most 100 characters',
    meaning: 'A publisher id does not match the allowed pattern.',
  },
  INVALID_URL: {
    status: 400,
    message: (field: string) => `${field} must be an http(s) URL`,
    meaning: 'A URL field (icon, banner_url, repository) is not an http(s) URL.',
  },
  INVALID_VERSION: {
    status: 400,
    message: (v: string) => `"${v}" is not a semantic version`,
    meaning: 'The published version is not a semantic version.',
  },
  INVALID_VERSION_STATUS: {
    status: 400,
    message: (allowed: string) => `status must be one of ${allowed}`,
    meaning: 'An admin set a version status that does not exist.',
  },
  VERSION_EXISTS: {
    status: 400,
    message: () => 'The node version already exists',
    meaning: 'That version of the pack was published before (upstream answers 400 too).',
  },
  NODE_EXISTS: {
    status: 400,
    message: (id: string) => `node id ${id} is already taken`,
    meaning: 'A node pack with that id (compared case-insensitively) exists.',
  },
  PUBLISHER_EXISTS: {
    status: 400,
    message: (id: string) => `publisher id ${id} is already taken`,
    meaning: 'A publisher with that id exists.',
  },
  INVALID_ACCESS_TOKEN: {
    status: 400,
    message: () => 'personal_access_token is not a valid token of this publisher',
    meaning: 'The publish body carries no token, or a token of another publisher (upstream answers 400).',
  },
  INVALID_ID_PATTERN: {
    status: 400,
    message: () => 'an id pattern is 1-100 letters, digits, ".", "_", "-" or "*" (any characters)',
    meaning: 'A reserved-id pattern holds other characters.',
  },
  INVALID_NAME: { status: 400, message: (what: string) => `${what} must not be empty`, meaning: 'A required name is empty.' },
  INVALID_EMAIL: {
    status: 400,
    message: (email: string) => `"${email}" is not an email address`,
    meaning: 'A user email is not an address.',
  },
  INVALID_EXTRACT_STATUS: {
    status: 400,
    message: () => 'status must match ^[a-z][a-z0-9_]{0,31}$',
    meaning: 'CreateComfyNodes `status` is not a lower-case identifier of at most 32 characters.',
  },
  TOO_MANY_COMFY_NODES: {
    status: 400,
    message: (max: number) => `at most ${s(max)} comfy nodes per version`,
    meaning: 'A CreateComfyNodes body holds more than 10,000 nodes.',
  },
  INVALID_COMFY_NODE_NAME: {
    status: 400,
    message: (max: number) => `comfy node names must be 1-${s(max)} characters`,
    meaning: 'A comfy node name is empty or longer than 256 characters.',
  },
  INVALID_JSON_TEXT: {
    status: 400,
    message: (where: string, problem: string) => `${where} ${problem}`,
    meaning: '`input_types`, `return_types` or `return_names` is not JSON text of an object, array and array.',
  },
  BAD_RESOLVE_REQUEST: {
    status: 400,
    message: () => 'send exactly one of "names" and "workflow"',
    meaning: 'A bulk resolution body has neither or both of `names` and `workflow`.',
  },
  TOO_MANY_NAMES: {
    status: 400,
    message: (max: number) => `a workflow may use at most ${s(max)} distinct node types`,
    meaning: 'A workflow sent for resolution uses more than 5,000 node types.',
  },
  // 401 and 403: who is asking
  UNAUTHORIZED: {
    status: 401,
    message: () => 'authentication required: send Authorization: Bearer <token>',
    meaning: 'A protected route was called without credentials, or with a token that matches nobody.',
  },
  FORBIDDEN: {
    status: 403,
    message: (kind: string) => `this operation is not allowed for a ${kind} token`,
    meaning: 'The caller is known but its role may not call this route.',
  },
  ADMIN_FIELD: {
    status: 403,
    message: (fields: string) => `only an admin may set ${fields}`,
    meaning: 'A non-admin sent a field only admins set (preempted_comfy_node_names, search_ranking).',
  },
  NOT_PUBLISHER_MEMBER: {
    status: 403,
    message: (id: string) => `you are not a member of publisher ${id}`,
    meaning: 'The user does not belong to the publisher it acts for.',
  },
  CSRF_REJECTED: {
    status: 403,
    message: () => 'this form is out of date or was sent from another site: reload the page and send it again',
    meaning: 'A web UI form came without the CSRF token of the session (or of the sign-in page), or from another origin.',
  },
  SIGN_IN_REQUIRED: {
    status: 401,
    message: () => 'sign in to see this page',
    meaning: 'A web UI page for publishers or admins was asked for without a session.',
  },
  NODE_OF_OTHER_PUBLISHER: {
    status: 403,
    message: (id: string) => `node ${id} belongs to another publisher`,
    meaning: 'The pack exists under another publisher.',
  },
  PUBLISHER_BANNED: {
    status: 403,
    message: (id: string) => `publisher ${id} is banned`,
    meaning: 'The publisher is banned and may not publish.',
  },
  NODE_BANNED: { status: 403, message: (id: string) => `node ${id} is banned`, meaning: 'The pack is banned and takes no new versions.' },
  INVALID_SIGNATURE: {
    status: 403,
    message: () => 'the upload URL signature is invalid',
    meaning: 'The signed upload URL was altered or not issued by this registry.',
  },
  UPLOAD_URL_EXPIRED: {
    status: 403,
    message: () => 'the upload URL has expired',
    meaning: 'The signed upload URL is older than 15 minutes.',
  },
  VERSION_REFUSED: {
    status: 403,
    message: (version: string, node: string, reason: string) =>
      `version ${version} of node ${node} is not installable: the extractor refused its archive (${reason})`,
    meaning:
      "The version's archive was refused as hostile or unreadable (extract status `invalid_format`: path escapes, links, special files, bombs, size and entry limits, not a zip); install and download refuse it.",
  },
  GIT_PUSH_REFUSED: {
    status: 403,
    message: () => "comfyreg's git repositories are read-only: publish a version instead",
    meaning: "A push (or any write) to a pack's git repository; they are made from published versions only.",
  },
  // 404: what is asked for does not exist (or is hidden from the caller)
  ROUTE_NOT_FOUND: {
    status: 404,
    message: (method: string, path: string) => `no route for ${method} ${path}`,
    meaning: 'No route answers that method and path.',
  },
  NODE_NOT_FOUND: { status: 404, message: (id: string) => `node ${id} not found`, meaning: 'No visible node pack has that id.' },
  VERSION_NOT_FOUND: {
    status: 404,
    message: (version: string, node?: string) => (node ? `version ${version} of node ${node} not found` : `version ${version} not found`),
    meaning: 'The pack has no visible version of that number (or id).',
  },
  NO_INSTALLABLE_VERSION: {
    status: 404,
    message: (node: string) => `node ${node} has no version to install`,
    meaning: 'The pack has no live version.',
  },
  GIT_PATH_NOT_FOUND: {
    status: 404,
    message: (path: string) => `no such file in a git repository: ${path}`,
    meaning: "A path under `/git/{nodeId}` that is not one of the files git's HTTP protocol reads, or an object the repository lacks.",
  },
  PUBLISHER_NOT_FOUND: { status: 404, message: (id: string) => `publisher ${id} not found`, meaning: 'No publisher has that id.' },
  TOKEN_NOT_FOUND: {
    status: 404,
    message: (id: string) => `token ${id} not found`,
    meaning: 'The publisher has no personal access token with that id.',
  },
  COMFY_NODE_NOT_FOUND: {
    status: 404,
    message: (what: string) => `no comfy node ${what}`,
    meaning: 'No (visible) comfy node of that name, in that version or in any pack.',
  },
  ARCHIVE_NOT_FOUND: { status: 404, message: () => 'archive not found', meaning: 'No stored archive has that key.' },
  RESERVATION_NOT_FOUND: {
    status: 404,
    message: (pattern: string) => `no stored reservation ${pattern}`,
    meaning: 'No reserved-id pattern of that text is stored (patterns from COMFYREG_RESERVED_IDS are not removed by the route).',
  },
  JOB_NOT_FOUND: {
    status: 404,
    message: () => 'no running job of this worker for that version',
    meaning: 'The worker holds no lease on that version.',
  },
  // 409: the state does not allow it
  NOT_RERUNNABLE: {
    status: 409,
    message: (version: string, node: string, why: string) => `version ${version} of node ${node} cannot be extracted again: ${why}`,
    meaning: 'An admin asked to re-run the extraction of a version that has its comfy nodes, or no archive.',
  },
  COMFY_NODES_EXIST: {
    status: 409,
    message: (version: string, node: string) => `version ${version} of node ${node} already has comfy nodes`,
    meaning: 'CreateComfyNodes was called for a version that has its comfy nodes; DELETE them first to re-extract.',
  },
  COMFY_NODES_NOT_EXTRACTED: {
    status: 409,
    message: (version: string, node: string) => `version ${version} of node ${node} has no extracted comfy nodes to compare`,
    meaning: 'A comfy-node change report names a version whose extraction is pending or failed.',
  },
  UPLOAD_URL_USED: {
    status: 409,
    message: () => 'this upload URL has already been used',
    meaning: 'The version already has its archive: an upload URL works once.',
  },
  NODE_ID_ON_UPLINK: {
    status: 409,
    message: (id: string) =>
      `node id ${id} is a pack of the uplink; a local pack may take it only once an admin reserves the id (POST /admin/reserved-ids)`,
    meaning:
      'Mirror mode: the uplink has a pack with that id, so a local one would shadow it. An admin reserves ids for local packs with `POST /admin/reserved-ids` or `COMFYREG_RESERVED_IDS`.',
  },
  // 413 and 415: the body
  BODY_TOO_LARGE: { status: 413, message: (detail: string) => detail, meaning: 'The JSON body is larger than COMFYREG_MAX_BODY.' },
  ARCHIVE_TOO_LARGE: {
    status: 413,
    message: (limit: number) => `archive larger than ${s(limit)} bytes`,
    meaning: 'The uploaded archive is larger than COMFYREG_MAX_ARCHIVE.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: (detail: string) => detail,
    meaning: 'The body has a content type the route does not take.',
  },
  RATE_LIMITED: {
    status: 429,
    message: (after: string) => `too many requests; retry in ${after}`,
    meaning:
      'The client address or token made more requests than the configured limit allows in the window; Retry-After says when to try again.',
  },
  // 5xx: ours
  INTERNAL: {
    status: 500,
    message: () => 'internal server error',
    meaning: 'A fault of the server; the log holds the details, the answer none.',
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    message: () => 'the database did not answer; retry shortly',
    meaning:
      'The database connection failed or was terminated (restart, failover); the answer carries Retry-After and the next requests succeed once it answers.',
  },
  UPLINK_UNAVAILABLE: {
    status: 502,
    message: (reason: string) => `the uplink gave no usable answer and nothing is cached: ${reason}`,
    meaning:
      'Mirror mode: the uplink failed, timed out, answered something unusable, or its circuit breaker is open, and comfyreg holds no earlier answer to serve. Retry later.',
  },
  ARCHIVE_STORE_UNAVAILABLE: {
    status: 503,
    message: () => 'the archive store did not answer',
    meaning: 'Reading or writing the archive store failed; the log says why. Retry later.',
  },
  GIT_REPOSITORY_UNAVAILABLE: {
    status: 503,
    message: (node: string) => `the git repository of ${node} could not be built; retry later`,
    meaning: "Building a pack's git repository from its archives failed (a missing archive, git not installed); the log says why.",
  },
  NOT_READY: {
    status: 503,
    message: (failed: string) => `not ready: ${failed}`,
    meaning: '`GET /readyz`: the database, its migrations or the archive store did not pass; `checks` in the body says which, the log why.',
  },
} satisfies Record<string, Spec>;

export type ErrorCode = keyof typeof ERRORS;
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];
type Args<C extends ErrorCode> = Parameters<(typeof ERRORS)[C]['message']>;

/** A failure a client can cause (or an operator must see), by catalogue code. */
export class RegistryError<C extends ErrorCode = ErrorCode> extends Error {
  readonly status: number;

  constructor(
    readonly code: C,
    ...args: Args<C>
  ) {
    super((ERRORS[code].message as (...a: unknown[]) => string)(...args));
    this.name = 'RegistryError';
    this.status = ERRORS[code].status;
  }
}

/** Same as `new RegistryError(...)`, shorter at call sites that `throw fail(...)`. */
export const fail = <C extends ErrorCode>(code: C, ...args: Args<C>): RegistryError<C> => new RegistryError(code, ...args);

/** docs/errors.md's table, made from the catalogue (`npm run errors-table`; a test holds the doc to it). */
export function errorTable(): string {
  return [
    '| code | status | meaning |',
    '|---|---|---|',
    ...ERROR_CODES.map((code) => `| \`${code}\` | ${ERRORS[code].status} | ${ERRORS[code].meaning} |`),
  ].join('\n');
}
