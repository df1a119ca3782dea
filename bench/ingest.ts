/**
 * CreateComfyNodes through HTTP against a raw prepared-statement insert of the same rows.
 * Run: npx tsx bench/ingest.ts [rounds]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { openDatabase } from '../src/db/database.js';
import { buildApp } from '../src/http/app.js';
import { createRegistry } from '../src/registry/registry.js';
import { LocalArchiveStore } from '../src/storage/local-archive-store.js';

const ROUNDS = Number(process.argv[2] ?? 15);
const NODES = 1000;

/** A deterministic, realistic node: the kind of input_types a real pack posts. */
function node(i: number) {
  const combo = Array.from({ length: 4 }, (_, k) => `option_${i}_${k}.safetensors`);
  const input = {
    required: {
      image: ['IMAGE'],
      model: ['MODEL'],
      [`width_${i}`]: ['INT', { default: 512, min: 64, max: 16384, step: 8, tooltip: 'The width of the generated image in pixels.' }],
      [`height_${i}`]: ['INT', { default: 512, min: 64, max: 16384, step: 8 }],
      strength: ['FLOAT', { default: 1.0, min: 0.0, max: 10.0, step: 0.01, round: 0.001 }],
      checkpoint: [combo, { default: combo[0] }],
      mode: [['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos'], { default: 'bilinear' }],
      text: ['STRING', { multiline: true, default: '' }],
    },
    optional: { mask: ['MASK'], latent: ['LATENT'], seed: ['INT', { default: 0, min: 0, max: 18446744073709551615 }] },
    hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO', unique_id: 'UNIQUE_ID' },
  };
  return {
    category: `bench/category_${i % 17}`,
    description: `Bench node ${i}: resizes and masks images.`,
    function: 'execute',
    input_types: JSON.stringify(input),
    return_types: JSON.stringify(['IMAGE', 'MASK', 'INT']),
    return_names: JSON.stringify(['image', 'mask', 'count']),
    output_is_list: [false, false, false],
    deprecated: false,
    experimental: i % 10 === 0,
    display_name: `Bench Node ${i}`,
    output_node: false,
  };
}

const nodes = Object.fromEntries(Array.from({ length: NODES }, (_, i) => [`BenchNode${i}`, node(i)]));
const body = JSON.stringify({ success: true, nodes });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function httpRounds(dir: string): Promise<number[]> {
  const database = await openDatabase({ dataDir: dir });
  const serviceToken = 'bench-service-token';
  const reg = await createRegistry({
    database,
    store: new LocalArchiveStore(path.join(dir, 'archives')),
    publicUrl: 'http://127.0.0.1',
    serviceTokens: [serviceToken],
  });
  const app = await buildApp(reg, { maxBody: 16 * 1024 * 1024, maxArchive: 1024 * 1024 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  const t0 = new Date().toISOString();
  await database.db.insertInto('publishers').values({ id: 'bench', name: 'bench', description: '', website: '', support: '', source_code_repo: '', logo: '', status: 'PublisherStatusActive', created_at: t0 }).execute();
  const { newNodeRow } = await import('../src/registry/nodes.js');
  await database.db.insertInto('nodes').values(newNodeRow('bench-pack', 'bench', {})).execute();
  const times: number[] = [];
  for (let r = 0; r < ROUNDS + 2; r++) {
    const version = `1.0.${r}`;
    await database.db
      .insertInto('node_versions')
      .values({ id: `v${r}`, node_id: 'bench-pack', version, changelog: '', dependencies: '[]', deprecated: 0, status: 'NodeVersionStatusActive', status_reason: '', comfy_node_extract_status: 'pending', comfy_node_extract_reason: '', cloud_build_info: '{}', archive_key: null, archive_size: null, archive_sha256: null, supported_os: '[]', supported_accelerators: '[]', supported_comfyui_version: '', supported_comfyui_frontend_version: '', created_at: t0 })
      .execute();
    const start = process.hrtime.bigint();
    const res = await fetch(`http://127.0.0.1:${port}/nodes/bench-pack/versions/${version}/comfy-nodes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${serviceToken}` },
      body,
    });
    await res.arrayBuffer();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (res.status !== 204) throw new Error(`unexpected ${res.status}`);
    if (r >= 2) times.push(ms); // the first two warm the JIT and the caches
  }
  await app.close();
  await database.close();
  return times;
}

async function rawRounds(dir: string): Promise<number[]> {
  const database = await openDatabase({ dataDir: dir });
  await database.close();
  const conn = new SQLite(path.join(dir, 'comfyreg.sqlite'));
  conn.pragma('journal_mode = WAL');
  conn.pragma('synchronous = NORMAL');
  conn.pragma('foreign_keys = OFF');
  const insert = conn.prepare(
    `INSERT INTO comfy_nodes (node_version_id, comfy_node_name, category, description, function, input_types, return_types, return_names,
       output_is_list, deprecated, experimental, display_name, output_node, policy, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
  );
  const times: number[] = [];
  for (let r = 0; r < ROUNDS + 2; r++) {
    const start = process.hrtime.bigint();
    const t = new Date().toISOString();
    conn.transaction(() => {
      for (const [name, n] of Object.entries(nodes)) {
        insert.run(`raw${r}`, name, n.category, n.description, n.function, n.input_types, n.return_types, n.return_names, JSON.stringify(n.output_is_list), 0, n.experimental ? 1 : 0, n.display_name, 0, 'ComfyNodePolicyActive', t);
      }
    })();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r >= 2) times.push(ms);
  }
  conn.close();
  return times;
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-bench-ingest-'));
try {
  fs.mkdirSync(path.join(root, 'http'));
  fs.mkdirSync(path.join(root, 'raw'));
  const raw = median(await rawRounds(path.join(root, 'raw')));
  const http = median(await httpRounds(path.join(root, 'http')));
  console.log(`CreateComfyNodes ingest: ${NODES} nodes, ${(body.length / 1e6).toFixed(2)} MB JSON, ${ROUNDS} rounds (median)`);
  console.log(`  raw prepared insert, one SQLite transaction: ${raw.toFixed(1)} ms`);
  console.log(`  HTTP POST through comfyreg (parse, validate, insert, commit): ${http.toFixed(1)} ms`);
  console.log(`  ratio HTTP / raw: ${(http / raw).toFixed(2)}x (target <= 3x)`);
  console.log(`  node ${process.version}, ${os.cpus().length} cpus`);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
