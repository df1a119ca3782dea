/** The requests of bench/soak.ts and how their answers are counted. */
import { zipOf } from '../test/helpers/flow.js';

export interface Counts {
  byStatus: Map<number, number>;
  fiveXX: { status: number; op: string; at: number }[];
  connectionErrors: number;
  ops: Map<string, number>;
}

export interface Answer {
  status: number;
  body: any;
}

/** JSON for objects, a zip for a Buffer, `raw` text as it is (to send what is not JSON). */
export async function request(base: string, method: string, path: string, body?: unknown, token?: string, raw?: string): Promise<Answer> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  let payload: string | Uint8Array<ArrayBuffer> | undefined;
  if (raw !== undefined) ((payload = raw), (headers['content-type'] = 'application/json'));
  else if (Buffer.isBuffer(body)) ((payload = new Uint8Array(body)), (headers['content-type'] = 'application/zip'));
  else if (body !== undefined) ((payload = JSON.stringify(body)), (headers['content-type'] = 'application/json'));
  const res = await fetch(base + path, { method, headers, body: payload, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed };
}

/** Runs one request and counts its answer; a request that got no answer counts as a connection error. */
export async function record(counts: Counts, op: string, f: () => Promise<Answer>): Promise<Answer | undefined> {
  counts.ops.set(op, (counts.ops.get(op) ?? 0) + 1);
  let answer: Answer;
  try {
    answer = await f();
  } catch {
    counts.connectionErrors++;
    return undefined;
  }
  counts.byStatus.set(answer.status, (counts.byStatus.get(answer.status) ?? 0) + 1);
  if (answer.status >= 500) counts.fiveXX.push({ status: answer.status, op, at: Date.now() });
  return answer;
}

/** Requests a client may send by mistake or on purpose; each must get a 4xx. */
export const MALFORMED: { method: string; path: string; body?: unknown; raw?: string; token?: boolean }[] = [
  { method: 'POST', path: '/comfy-nodes/resolve', raw: '{"names": [' },
  { method: 'POST', path: '/comfy-nodes/resolve', body: { names: 5 } },
  { method: 'GET', path: '/nodes?page=-1' },
  { method: 'GET', path: '/comfy-nodes/%00/node' },
  { method: 'GET', path: '/nodes/NOT%20AN%20ID!/install' },
  { method: 'POST', path: '/nodes/soak-pack-0/versions/9.9.9/comfy-nodes', body: { success: true, nodes: {} } },
  { method: 'POST', path: '/publishers/soak/nodes/soak-pack-0/versions', body: {} },
  {
    method: 'POST',
    path: '/publishers/soak/nodes/soak-pack-0/versions',
    body: { personal_access_token: 'wrong', node: {}, node_version: {} },
  },
  { method: 'DELETE', path: '/publishers/soak/nodes/soak-pack-0', token: true },
  { method: 'GET', path: '/nodes/soak-pack-0/versions/not-a-version' },
];

/** A small pack of ours: two V1 nodes, one of them named by the pack number and release. */
export function archiveOf(pack: number, release: number): Promise<Buffer> {
  const init = `class SoakNode:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",), "strength": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 2.0})}}
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "run"
    CATEGORY = "soak/${pack}"

class SoakRelease(SoakNode):
    CATEGORY = "soak/releases"

NODE_CLASS_MAPPINGS = {"SoakNode${pack}": SoakNode, "SoakShared": SoakNode, "SoakRelease${pack}_${release}": SoakRelease}
NODE_DISPLAY_NAME_MAPPINGS = {"SoakNode${pack}": "Soak node ${pack}"}
`;
  return zipOf({
    '__init__.py': init,
    'pyproject.toml': `[project]\nname = "soak-pack-${pack}"\nversion = "1.0.${release}"\n`,
  });
}
