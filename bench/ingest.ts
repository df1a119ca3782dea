/**
 * CreateComfyNodes through HTTP against a raw insert of the same rows.
 * Run: npx tsx bench/ingest.ts [rounds] [--database-url postgres://…]
 * SQLite (default): the baseline is one prepared statement in one transaction. PostgreSQL: a raw
 * multi-row insert in one transaction, each in a private schema of that database, dropped after.
 * The server runs in a child process; the client (this process) times each request end to end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { openDatabase } from '../src/db/database.js';
import { buildApp } from '../src/http/app.js';
import { createRegistry } from '../src/registry/registry.js';
import { LocalArchiveStore } from '../src/storage/local-archive-store.js';
import { newNodeRow } from '../src/registry/nodes.js';

const ROUNDS = Number(/^\d+$/.test(process.argv[2] ?? '') ? process.argv[2] : 15);
const urlFlag = process.argv.indexOf('--database-url');
/** PostgreSQL when given; the child reads it from the environment so its arguments stay positional. */
const DATABASE_URL = urlFlag > 0 ? process.argv[urlFlag + 1] : process.env.COMFYREG_BENCH_DATABASE_URL;
const HTTP_SCHEMA = `bench_ingest_http_${process.pid}`;
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
const bodyBytes = Buffer.from(body);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const SERVICE_TOKEN = 'bench-service-token';

/** Child process: a real server on a fresh SQLite file with ROUNDS + 2 pending versions; prints its port. */
async function serve(dir: string, schema: string): Promise<void> {
  const database = DATABASE_URL
    ? await openDatabase({ url: DATABASE_URL, dataDir: dir, schema, dropSchemaOnClose: true })
    : await openDatabase({ dataDir: dir });
  const stop = async () => {
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  const reg = await createRegistry({
    database,
    store: new LocalArchiveStore(path.join(dir, 'archives')),
    publicUrl: 'http://127.0.0.1',
    serviceTokens: [SERVICE_TOKEN],
  });
  const app = await buildApp(reg, { maxBody: 16 * 1024 * 1024, maxArchive: 1024 * 1024 });
  const t0 = new Date().toISOString();
  await database.db
    .insertInto('publishers')
    .values({
      id: 'bench',
      name: 'bench',
      description: '',
      website: '',
      support: '',
      source_code_repo: '',
      logo: '',
      status: 'PublisherStatusActive',
      created_at: t0,
    })
    .execute();
  await database.db
    .insertInto('nodes')
    .values(newNodeRow('bench-pack', 'bench', {}, t0))
    .execute();
  for (let r = 0; r < ROUNDS + 2; r++) {
    await database.db
      .insertInto('node_versions')
      .values({
        id: `v${r}`,
        node_id: 'bench-pack',
        version: `1.0.${r}`,
        changelog: '',
        dependencies: '[]',
        deprecated: 0,
        status: 'NodeVersionStatusActive',
        status_reason: '',
        comfy_node_extract_status: 'pending',
        comfy_node_extract_reason: '',
        cloud_build_info: '{}',
        archive_key: null,
        archive_size: null,
        archive_sha256: null,
        supported_os: '[]',
        supported_accelerators: '[]',
        supported_comfyui_version: '',
        supported_comfyui_frontend_version: '',
        created_at: t0,
      })
      .execute();
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`PORT ${(app.server.address() as { port: number }).port}\n`);
}

/** The client runs in this process and the server in a child, as a real extractor and registry do. */
async function startPoster(dir: string): Promise<{ round(r: number): Promise<number>; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), String(ROUNDS), 'serve', dir, HTTP_SCHEMA], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...(DATABASE_URL ? { COMFYREG_BENCH_DATABASE_URL: DATABASE_URL } : {}) },
  });
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    // node:http rather than fetch: undici's own overhead for a 1.3 MB body is larger than the
    // server's parsing, and it is the client's cost, not the registry's.
    async round(r) {
      const start = process.hrtime.bigint();
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          `http://127.0.0.1:${port}/nodes/bench-pack/versions/1.0.${r}/comfy-nodes`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'content-length': bodyBytes.length, authorization: `Bearer ${SERVICE_TOKEN}` },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(bodyBytes);
      });
      if (status !== 204) throw new Error(`unexpected ${status}`);
      return Number(process.hrtime.bigint() - start) / 1e6;
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The baseline: the same rows through one prepared statement in one transaction, with SQLite's
 * defaults (the log is checkpointed inside the commit that crosses 1,000 pages), or, for
 * reference, never checkpointed at all (work deferred for ever, which no server can do).
 */
async function startRawInserter(dir: string, checkpoints: boolean): Promise<{ round(r: number): number; stop(): void }> {
  const database = await openDatabase({ dataDir: dir });
  await database.close();
  const conn = new SQLite(path.join(dir, 'comfyreg.sqlite'));
  conn.pragma('journal_mode = WAL');
  conn.pragma('synchronous = NORMAL');
  conn.pragma('foreign_keys = OFF');
  if (!checkpoints) conn.pragma('wal_autocheckpoint = 0');
  const insert = conn.prepare(`INSERT INTO comfy_nodes (${COLUMNS}) VALUES (${Array(15).fill('?').join(',')})`);
  return {
    round(r) {
      const start = process.hrtime.bigint();
      const t = new Date().toISOString();
      conn.transaction(() => {
        for (const [name, n] of Object.entries(nodes)) insert.run(...rawRow(r, name, n, t));
      })();
      return Number(process.hrtime.bigint() - start) / 1e6;
    },
    stop: () => conn.close(),
  };
}

const COLUMNS = `node_version_id, comfy_node_name, category, description, function, input_types, return_types, return_names,
       output_is_list, deprecated, experimental, display_name, output_node, policy, created_at`;

function rawRow(r: number, name: string, n: ReturnType<typeof node>, t: string): unknown[] {
  return [
    `raw${r}`,
    name,
    n.category,
    n.description,
    n.function,
    n.input_types,
    n.return_types,
    n.return_names,
    JSON.stringify(n.output_is_list),
    0,
    n.experimental ? 1 : 0,
    n.display_name,
    0,
    'ComfyNodePolicyActive',
    t,
  ];
}

/**
 * The PostgreSQL baseline: the same rows as one multi-row INSERT in one transaction, over one
 * connection of its own, in a schema made by the product's migrations.
 */
async function startRawPostgresInserter(url: string): Promise<{ round(r: number): Promise<number>; stop(): Promise<void> }> {
  const schema = `bench_ingest_raw_${process.pid}`;
  const database = await openDatabase({ url, dataDir: os.tmpdir(), schema });
  await database.close();
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  // The rows' version, node and publisher exist, as for the server: the foreign keys are checked in both.
  const t0 = new Date().toISOString();
  await client.query(
    `INSERT INTO publishers (id, name, description, website, support, source_code_repo, logo, status, created_at)
     VALUES ('raw', 'raw', '', '', '', '', '', 'PublisherStatusActive', $1)`,
    [t0],
  );
  const nodeRow = newNodeRow('raw-pack', 'raw', {}, t0);
  await client.query(
    `INSERT INTO nodes (${Object.keys(nodeRow).join(',')}) VALUES (${Object.keys(nodeRow)
      .map((_, i) => `$${i + 1}`)
      .join(',')})`,
    Object.values(nodeRow),
  );
  for (let r = 0; r < ROUNDS + 2; r++)
    await client.query(
      `INSERT INTO node_versions (id, node_id, version, changelog, dependencies, deprecated, status, status_reason, comfy_node_extract_status,
         comfy_node_extract_reason, cloud_build_info, supported_os, supported_accelerators, supported_comfyui_version, supported_comfyui_frontend_version, created_at)
       VALUES ($1, 'raw-pack', $2, '', '[]', 0, 'NodeVersionStatusActive', '', 'pending', '', '{}', '[]', '[]', '', '', $3)`,
      [`raw${r}`, `1.0.${r}`, t0],
    );
  const width = 15;
  const placeholders = Object.keys(nodes)
    .map((_, i) => `(${Array.from({ length: width }, (_, k) => `$${i * width + k + 1}`).join(',')})`)
    .join(',');
  const text = `INSERT INTO comfy_nodes (${COLUMNS}) VALUES ${placeholders}`;
  return {
    async round(r) {
      const start = process.hrtime.bigint();
      const t = new Date().toISOString();
      await client.query('BEGIN');
      try {
        await client.query({ name: 'raw-insert', text, values: Object.entries(nodes).flatMap(([name, n]) => rawRow(r, name, n, t)) });
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
      return Number(process.hrtime.bigint() - start) / 1e6;
    },
    async stop() {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

async function postgresMain(url: string): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-bench-ingest-'));
  const raw = await startRawPostgresInserter(url);
  const poster = await startPoster(root);
  const rawTimes: number[] = [];
  const httpTimes: number[] = [];
  try {
    for (let r = 0; r < ROUNDS + 2; r++) {
      const rawMs = await raw.round(r);
      const httpMs = await poster.round(r);
      if (r >= 2) (rawTimes.push(rawMs), httpTimes.push(httpMs));
    }
  } finally {
    await raw.stop();
    await poster.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
  const rawMs = median(rawTimes);
  const httpMs = median(httpTimes);
  console.log(
    `CreateComfyNodes ingest on PostgreSQL: ${NODES} nodes, ${(body.length / 1e6).toFixed(2)} MB JSON, ${ROUNDS} interleaved rounds (medians)`,
  );
  console.log(`  raw multi-row insert, one PostgreSQL transaction: ${rawMs.toFixed(1)} ms`);
  console.log(`  HTTP POST through comfyreg (parse, validate, insert, commit): ${httpMs.toFixed(1)} ms`);
  console.log(`  ratio HTTP / raw: ${(httpMs / rawMs).toFixed(2)}x (target <= 3x)`);
  console.log(`  node ${process.version}, ${os.cpus().length} cpus`);
}

if (process.argv[3] === 'serve') {
  await serve(process.argv[4], process.argv[5]);
} else if (DATABASE_URL) {
  await postgresMain(DATABASE_URL);
} else {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-bench-ingest-'));
  try {
    fs.mkdirSync(path.join(root, 'http'));
    fs.mkdirSync(path.join(root, 'raw'));
    fs.mkdirSync(path.join(root, 'raw-nockpt'));
    const rawInserter = await startRawInserter(path.join(root, 'raw'), true);
    const rawNoCheckpoint = await startRawInserter(path.join(root, 'raw-nockpt'), false);
    const poster = await startPoster(path.join(root, 'http'));
    // Interleaved, so all see the same machine; the first two rounds warm the JIT and the caches.
    const rawTimes: number[] = [];
    const rawNoCheckpointTimes: number[] = [];
    const httpTimes: number[] = [];
    try {
      for (let r = 0; r < ROUNDS + 2; r++) {
        const rawMs = rawInserter.round(r);
        const rawNoCheckpointMs = rawNoCheckpoint.round(r);
        const httpMs = await poster.round(r);
        if (r >= 2) {
          rawTimes.push(rawMs);
          rawNoCheckpointTimes.push(rawNoCheckpointMs);
          httpTimes.push(httpMs);
        }
      }
    } finally {
      rawInserter.stop();
      rawNoCheckpoint.stop();
      await poster.stop();
    }
    const raw = median(rawTimes);
    const rawBare = median(rawNoCheckpointTimes);
    const http = median(httpTimes);
    console.log(
      `CreateComfyNodes ingest: ${NODES} nodes, ${(body.length / 1e6).toFixed(2)} MB JSON, ${ROUNDS} interleaved rounds (medians)`,
    );
    console.log(
      `  raw prepared insert, one SQLite transaction: ${raw.toFixed(1)} ms (SQLite defaults), ${rawBare.toFixed(1)} ms (never checkpointed)`,
    );
    console.log(`  HTTP POST through comfyreg (parse, validate, insert, commit): ${http.toFixed(1)} ms`);
    console.log(
      `  ratio HTTP / raw: ${(http / raw).toFixed(2)}x (target <= 3x); against the never-checkpointed insert ${(http / rawBare).toFixed(2)}x`,
    );
    console.log(`  node ${process.version}, ${os.cpus().length} cpus`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
