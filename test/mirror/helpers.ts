import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { startRegistry, type Backend, type TestRegistry } from '../helpers/registry.js';
import { comfyNode, postComfyNodes, publish, upload, world, zipOf, type World } from '../helpers/flow.js';
import { UplinkProxy } from '../helpers/uplink-proxy.js';
import { ManualClock } from '../helpers/clock.js';
import type { UplinkConfig } from '../../src/settings/uplink.js';

/** A pack's Python: one V1 comfy node per name, which comfyreg's extractor finds. */
export function packSource(names: string[]): string {
  const classes = names.map(
    (n) =>
      `class ${n}:\n    @classmethod\n    def INPUT_TYPES(cls):\n        return {"required": {"image": ("IMAGE",)}}\n    RETURN_TYPES = ("IMAGE",)\n    FUNCTION = "run"\n    CATEGORY = "mirror"\n`,
  );
  return `${classes.join('\n')}\nNODE_CLASS_MAPPINGS = {${names.map((n) => `"${n}": ${n}`).join(', ')}}\n`;
}

/** Publishes `nodeId@version` upstream through the real flow, uploads its archive, and posts `comfyNodes` (none: left unextracted). */
export async function publishUpstream(
  up: TestRegistry,
  w: World,
  nodeId: string,
  version: string,
  opts: { comfyNodes?: string[]; classes?: string[]; padding?: Buffer } = {},
): Promise<Buffer> {
  const { signedUrl } = await publish(up, w, nodeId, version, 'comfy-org');
  const archive = await zipOf({
    '__init__.py': packSource(opts.classes ?? opts.comfyNodes ?? ['Blur']),
    'README.md': `${nodeId} ${version}`,
    ...(opts.padding ? { 'weights.bin': opts.padding } : {}),
  });
  const res = await upload(up, signedUrl, archive);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  if (opts.comfyNodes) {
    const posted = await postComfyNodes(up, nodeId, version, {
      success: true,
      nodes: Object.fromEntries(opts.comfyNodes.map((n) => [n, comfyNode({ category: 'upstream' })])),
    });
    assert.equal(posted.status, 204, JSON.stringify(posted.body));
  }
  return archive;
}

export interface MirrorPair {
  up: TestRegistry;
  upWorld: World;
  proxy: UplinkProxy;
  mirror: TestRegistry;
  clock: ManualClock;
  logs: string[];
  close(): Promise<void>;
}

/**
 * Two registries on loopback: `up` plays api.comfy.org, `mirror` has it as its uplink, through a
 * proxy that can take the upstream away and bring it back. The mirror's clock is moved by hand
 * for max ages and the breaker's timeout.
 */
export async function mirrorPair(
  backend: Backend,
  uplink: Partial<UplinkConfig> = {},
  opts: { maxArchive?: number } = {},
): Promise<MirrorPair> {
  const up = await startRegistry('sqlite');
  const upWorld = await world(up, 'comfy-org', 'upstream-owner');
  const proxy = new UplinkProxy(up.url);
  await proxy.start();
  const clock = new ManualClock();
  const logs: string[] = [];
  const mirror = await startRegistry(backend, {
    clock,
    log: (line) => logs.push(line),
    maxArchive: opts.maxArchive,
    uplink: { uplink: proxy.url, uplinkTimeout: 2, uplinkMaxFails: 2, uplinkFailTimeout: 300, ...uplink },
  });
  return {
    up,
    upWorld,
    proxy,
    mirror,
    clock,
    logs,
    async close() {
      await mirror.close();
      await proxy.stop();
      await up.close();
    },
  };
}

/** GET over real HTTP, the body as bytes. */
export async function download(url: string): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
