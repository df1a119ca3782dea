/**
 * The web UI's heaviest pages against the JSON API answering the same data.
 *
 * One temporary SQLite registry holds a pack with 10 versions, the newest with 300 comfy nodes
 * (realistic input_types: widgets with bounds, combos, optional and hidden inputs). Over real HTTP
 * (keep-alive, one request at a time, the two kinds interleaved), it times:
 * - the pack page `/ui/packs/{id}` (which lists the served version's comfy nodes) against
 *   `GET /nodes/{id}` + `GET /nodes/{id}/versions` + `GET /nodes/{id}/versions/{v}/comfy-nodes?limit=300`;
 * - the version page `/ui/packs/{id}/{v}` against `GET /nodes/{id}/versions/{v}` +
 *   `GET /nodes/{id}/versions/{v}/comfy-nodes?limit=300`;
 * with the read cache off (every answer computed) and on (the default), and prints each page's
 * bytes on the wire next to the API's.
 *
 * Run: npx tsx bench/ui.ts [--rounds 200]
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../src/db/database.js';
import { buildApp } from '../src/http/app.js';
import { createComfyNodes } from '../src/registry/comfy-node-ingest.js';
import { publishVersion } from '../src/registry/publish.js';
import { createAccessToken, createPublisher } from '../src/registry/publishers.js';
import { createRegistry, type Registry } from '../src/registry/registry.js';
import { createUser } from '../src/registry/users.js';
import { identify } from '../src/registry/principals.js';
import { LocalArchiveStore } from '../src/storage/local-archive-store.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg('rounds', 200);
const NODES = 300;
const PACK = 'bench-pack';

function comfyNode(i: number) {
  const combo = Array.from({ length: 6 }, (_, k) => `model_${i}_${k}.safetensors`);
  return {
    category: `bench/category_${i % 17}`,
    description: `Bench node ${i}: resizes and masks images.`,
    function: 'execute',
    input_types: JSON.stringify({
      required: {
        image: ['IMAGE'],
        model: ['MODEL'],
        width: ['INT', { default: 512, min: 64, max: 16384, step: 8 }],
        strength: ['FLOAT', { default: 1.0, min: 0.0, max: 10.0, step: 0.01 }],
        checkpoint: [combo, { default: combo[0] }],
        mode: [['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos'], { default: 'bilinear' }],
        text: ['STRING', { multiline: true, default: '' }],
      },
      optional: { mask: ['MASK'], seed: ['INT', { default: 0, min: 0, max: 4294967295 }] },
      hidden: { prompt: 'PROMPT', unique_id: 'UNIQUE_ID' },
    }),
    return_types: JSON.stringify(['IMAGE', 'MASK', 'INT']),
    return_names: JSON.stringify(['image', 'mask', 'count']),
    output_is_list: [false, true, false],
    deprecated: false,
    experimental: i % 10 === 0,
    display_name: `Bench Node ${i}`,
    output_node: i % 7 === 0,
  };
}

async function fill(reg: Registry): Promise<string> {
  const { token } = await createUser(reg, { name: 'bench', email: 'bench@example.com' });
  const p = await identify(reg, token);
  await createPublisher(reg, p, { id: 'bench', name: 'Bench' });
  const { token: pat } = await createAccessToken(reg, p, 'bench', { name: 'bench' });
  let last = '';
  for (let v = 0; v < 10; v++) {
    last = `1.${v}.0`;
    await publishVersion(reg, 'bench', PACK, {
      personal_access_token: pat,
      node: { id: PACK, name: 'Bench pack', description: 'A pack with many nodes.', repository: 'https://example.com/bench' },
      node_version: { version: last, changelog: `Release ${last}: faster, smaller.` },
    });
  }
  const nodes = Object.fromEntries(Array.from({ length: NODES }, (_, i) => [`BenchNode${i}`, comfyNode(i)]));
  await createComfyNodes(reg, PACK, last, { success: true, nodes });
  return last;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(base: string, url: string): Promise<{ ms: number; bytes: number; status: number }> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    http
      .get(`${base}${url}`, { agent }, (res) => {
        let headerBytes = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n`.length + 2;
        for (let i = 0; i < res.rawHeaders.length; i += 2) headerBytes += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`.length;
        let body = 0;
        res.on('data', (c: Buffer) => (body += c.length));
        res.on('end', () =>
          resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, bytes: headerBytes + body, status: res.statusCode ?? 0 }),
        );
      })
      .on('error', reject);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median time of fetching `urls` one after the other, and their bytes on the wire. */
async function measure(base: string, kinds: Record<string, string[]>): Promise<Record<string, { ms: number; bytes: number }>> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  const bytes: Record<string, number> = {};
  for (let round = 0; round < ROUNDS + 20; round++) {
    for (const [kind, urls] of Object.entries(kinds)) {
      let ms = 0;
      let size = 0;
      for (const url of urls) {
        const r = await get(base, url);
        if (r.status !== 200) throw new Error(`${url} answered ${r.status}`);
        ms += r.ms;
        size += r.bytes;
      }
      if (round >= 20) times[kind]!.push(ms); // the first rounds warm the JIT and the database
      bytes[kind] = size;
    }
  }
  return Object.fromEntries(Object.keys(kinds).map((k) => [k, { ms: median(times[k]!), bytes: bytes[k]! }]));
}

async function run(readCache: number | undefined) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-bench-ui-'));
  const database = await openDatabase({ dataDir: dir });
  const reg = await createRegistry({ database, store: new LocalArchiveStore(path.join(dir, 'archives')), publicUrl: 'http://127.0.0.1' });
  const version = await fill(reg);
  const app = await buildApp(reg, { maxBody: 16 * 1024 * 1024, maxArchive: 1024 * 1024, readCache });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  try {
    return await measure(base, {
      packPage: [`/ui/packs/${PACK}`],
      packApi: [`/nodes/${PACK}`, `/nodes/${PACK}/versions`, `/nodes/${PACK}/versions/${version}/comfy-nodes?limit=${NODES}`],
      versionPage: [`/ui/packs/${PACK}/${version}`],
      versionApi: [`/nodes/${PACK}/versions/${version}`, `/nodes/${PACK}/versions/${version}/comfy-nodes?limit=${NODES}`],
    });
  } finally {
    await app.close();
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
for (const [label, cache] of [
  ['read cache off', 0],
  ['read cache on (default)', undefined],
] as const) {
  const r = await run(cache);
  console.log(`\n${label}, median of ${ROUNDS} rounds:`);
  for (const [page, api, what] of [
    ['packPage', 'packApi', 'pack page (10 versions)'],
    ['versionPage', 'versionApi', `version page (${NODES} comfy nodes)`],
  ] as const) {
    const ratio = r[page]!.ms / r[api]!.ms;
    console.log(
      `  ${what}: ${r[page]!.ms.toFixed(2)} ms, ${kb(r[page]!.bytes)} | JSON API: ${r[api]!.ms.toFixed(2)} ms, ${kb(r[api]!.bytes)} | ratio ${ratio.toFixed(2)}`,
    );
  }
}
agent.destroy();
