import assert from 'node:assert/strict';
import yazl from 'yazl';
import type { TestRegistry } from './registry.js';

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export async function json(t: TestRegistry, method: string, url: string, body?: unknown, token?: string) {
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    headers: { ...(token ? bearer(token) : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  let parsed: any = undefined;
  try {
    parsed = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    parsed = res.body;
  }
  return { status: res.statusCode, body: parsed, headers: res.headers };
}

export async function createUser(t: TestRegistry, name = 'ada') {
  const res = await json(t, 'POST', '/admin/users', { name, email: `${name}@example.com` }, t.adminToken);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { user: { id: string }; token: string };
}

export async function createPublisher(t: TestRegistry, userToken: string, id = 'acme') {
  const res = await json(t, 'POST', '/publishers', { id, name: `Publisher ${id}` }, userToken);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

export async function createAccessToken(t: TestRegistry, userToken: string, publisherId = 'acme') {
  const res = await json(t, 'POST', `/publishers/${publisherId}/tokens`, { name: 'ci' }, userToken);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.token as string;
}

/** The body comfy-cli sends, with its empty-string habits. */
export function publishBody(pat: string, nodeId: string, version: string) {
  return {
    personal_access_token: pat,
    node: {
      id: nodeId,
      name: `Pack ${nodeId}`,
      description: 'A pack for tests',
      author: '',
      license: '{"text": "MIT"}',
      icon: '',
      banner_url: '',
      repository: 'https://github.com/example/pack',
      tags: [],
      supported_os: [],
      supported_accelerators: [],
      supported_comfyui_version: '',
      supported_comfyui_frontend_version: '',
    },
    node_version: {
      version,
      changelog: '',
      dependencies: ['numpy'],
      supported_os: [],
      supported_accelerators: [],
      supported_comfyui_version: '',
      supported_comfyui_frontend_version: '',
    },
  };
}

export interface World {
  userToken: string;
  pat: string;
}

/** A user with publisher `acme` and an access token. */
export async function world(t: TestRegistry, publisherId = 'acme', userName = 'ada'): Promise<World> {
  const { token } = await createUser(t, userName);
  await createPublisher(t, token, publisherId);
  const pat = await createAccessToken(t, token, publisherId);
  return { userToken: token, pat };
}

export async function publish(t: TestRegistry, w: World, nodeId: string, version: string, publisherId = 'acme') {
  const res = await json(t, 'POST', `/publishers/${publisherId}/nodes/${nodeId}/versions`, publishBody(w.pat, nodeId, version));
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { node_version: { id: string; version: string }; signedUrl: string };
}

export function zipOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(files)) zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content), name);
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

export async function upload(t: TestRegistry, signedUrl: string, bytes: Buffer, contentType = 'application/zip') {
  const u = new URL(signedUrl);
  const res = await t.app.inject({ method: 'PUT', url: u.pathname + u.search, headers: { 'content-type': contentType }, payload: bytes });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
}

export function comfyNode(overrides: Record<string, unknown> = {}) {
  return {
    category: 'image/filters',
    description: 'Blurs an image',
    function: 'run',
    input_types: JSON.stringify({ required: { image: ['IMAGE'], radius: ['INT', { default: 1, min: 0, max: 64 }] } }),
    return_types: '["IMAGE"]',
    return_names: '["image"]',
    output_is_list: [false],
    deprecated: false,
    experimental: false,
    ...overrides,
  };
}

export async function postComfyNodes(t: TestRegistry, nodeId: string, version: string, body: unknown, token = t.serviceToken) {
  return json(t, 'POST', `/nodes/${nodeId}/versions/${version}/comfy-nodes`, body, token);
}
