/**
 * The mixed run of bench/resolve.ts: 32 connections resolving names while other clients install
 * packs at a fixed rate (each install is a download-count write) and a publisher publishes a new
 * version once a second (publish, upload, CreateComfyNodes), as a registry in use sees it. The
 * same traffic goes to the bare server, which answers every request from memory.
 */
import { createRequire } from 'node:module';
import { zipOf } from '../test/helpers/flow.js';

export interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  duration: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
export const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface Publisher {
  publisherId: string;
  nodeId: string;
  pat: string;
  serviceToken: string;
  /** Comfy-node names each new version registers (some of them among the names being resolved). */
  names: string[];
}

export interface MixedOptions {
  resolvePaths: string[];
  installPaths: string[];
  duration: number;
  connections: number;
  installRate: number;
  publisher: Publisher;
}

export interface MixedResult {
  resolve: AutocannonResult;
  install: AutocannonResult;
  publishes: number;
  publishFailures: number;
}

async function call(base: string, method: string, path: string, body: unknown, token?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

/** A user, a publisher and its access token, made through the API with the admin token. */
export async function createPublisher(
  base: string,
  adminToken: string,
  suffix: string,
  names: string[],
  serviceToken: string,
): Promise<Publisher> {
  const user = await call(base, 'POST', '/admin/users', { name: `bench-${suffix}`, email: `bench-${suffix}@example.com` }, adminToken);
  if (user.status !== 201) throw new Error(`create user: ${user.status} ${JSON.stringify(user.body)}`);
  const publisherId = `bench-${suffix}`;
  const pub = await call(base, 'POST', '/publishers', { id: publisherId, name: publisherId }, user.body.token);
  if (pub.status !== 201) throw new Error(`create publisher: ${pub.status} ${JSON.stringify(pub.body)}`);
  const tok = await call(base, 'POST', `/publishers/${publisherId}/tokens`, { name: 'bench' }, user.body.token);
  if (tok.status !== 201) throw new Error(`create token: ${tok.status} ${JSON.stringify(tok.body)}`);
  return { publisherId, nodeId: `bench-live-${suffix}`, pat: tok.body.token, serviceToken, names };
}

/** One release as comfy-cli and the extraction service make it: three requests. */
async function publishOnce(base: string, p: Publisher, n: number, archive: Buffer): Promise<boolean> {
  const version = `1.0.${n}`;
  const body = {
    personal_access_token: p.pat,
    node: {
      id: p.nodeId,
      name: 'Bench live pack',
      description: 'published during the bench',
      author: '',
      license: '{"text": "MIT"}',
      icon: '',
      banner_url: '',
      repository: 'https://example.com/bench',
      tags: [],
    },
    node_version: { version, changelog: `release ${n}`, dependencies: [], supported_os: [], supported_accelerators: [] },
  };
  const created = await call(base, 'POST', `/publishers/${p.publisherId}/nodes/${p.nodeId}/versions`, body);
  if (created.status !== 201) return false;
  // The bare server has no upload URL to give: it is sent to a path of its own.
  // (The bench's registry has no public URL of its own: the signed path is sent to the server's port.)
  const signed = typeof created.body?.signedUrl === 'string' ? new URL(created.body.signedUrl) : undefined;
  const upload = signed ? `${base}${signed.pathname}${signed.search}` : `${base}/bare-upload`;
  const put = await fetch(upload, { method: 'PUT', headers: { 'content-type': 'application/zip' }, body: new Uint8Array(archive) });
  await put.arrayBuffer();
  if (put.status >= 300) return false;
  const nodes = Object.fromEntries(
    p.names.map((name) => [
      name,
      {
        category: 'bench/live',
        description: `${name}, release ${n}`,
        function: 'run',
        input_types: JSON.stringify({ required: { image: ['IMAGE'] } }),
        return_types: '["IMAGE"]',
        return_names: '["image"]',
        output_is_list: [false],
      },
    ]),
  );
  const posted = await call(base, 'POST', `/nodes/${p.nodeId}/versions/${version}/comfy-nodes`, { success: true, nodes }, p.serviceToken);
  return posted.status < 300;
}

let release = 0;

export async function mixedRun(base: string, o: MixedOptions): Promise<MixedResult> {
  const archive = await zipOf({ '__init__.py': 'NODE_CLASS_MAPPINGS = {}\n', 'pyproject.toml': '[project]\nname = "bench-live"\n' });
  let publishes = 0;
  let publishFailures = 0;
  let running = true;
  const publishing = (async () => {
    while (running) {
      const next = Date.now() + 1000;
      try {
        if (await publishOnce(base, o.publisher, ++release, archive)) publishes++;
        else publishFailures++;
      } catch {
        publishFailures++;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
  })();
  const [resolve, install] = await Promise.all([
    autocannon({
      url: base,
      connections: o.connections,
      duration: o.duration,
      requests: o.resolvePaths.map((p) => ({ method: 'GET', path: p })),
    }),
    autocannon({
      url: base,
      connections: 8,
      overallRate: o.installRate,
      duration: o.duration,
      requests: o.installPaths.map((p) => ({ method: 'GET', path: p })),
    }),
  ]);
  running = false;
  await publishing;
  return { resolve, install, publishes, publishFailures };
}
