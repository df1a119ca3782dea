/**
 * The by-name resolver (GET /comfy-nodes/{name}/node) at registry scale.
 *
 * Fills a temporary SQLite registry (3,000 packs × 5 versions, ~1,000,000 comfy-node rows;
 * generated, deterministic), loads the real server with autocannon and, in the same run, a bare
 * node:http server answering the same bytes from memory; then times the resolver on a
 * 10,000-row registry against the 1,000,000-row one.
 *
 * Run: npx tsx bench/resolve.ts [--duration 10] [--connections 32]
 * Each server runs in a child process so that it never shares an event loop with the load generator.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp, type App } from '../src/http/app.js';
import { openDatabase, type DatabaseHandle } from '../src/db/database.js';
import { resolveComfyNodeName } from '../src/registry/resolve.js';
import { createRegistry, type Registry } from '../src/registry/registry.js';
import { LocalArchiveStore } from '../src/storage/local-archive-store.js';
import { generateRegistry, type Generated } from './resolve-data.js';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const DURATION = arg('duration', 10);
const CONNECTIONS = arg('connections', 32);
const SELF = fileURLToPath(import.meta.url);

async function openRegistry(file: string, readCache?: number): Promise<{ database: DatabaseHandle; reg: Registry; app: App }> {
  const dir = path.dirname(file);
  const database = await openDatabase({ url: file, dataDir: dir });
  const reg = await createRegistry({
    database,
    store: new LocalArchiveStore(path.join(dir, 'archives')),
    publicUrl: 'http://127.0.0.1',
    adminToken: 'bench-admin',
  });
  // Request logging off, as an operator running at `warn`; the work per request is otherwise the product's.
  const app = await buildApp(reg, { maxBody: 16 * 1024 * 1024, maxArchive: 1024 * 1024, logger: false, readCache });
  return { database, reg, app };
}

/** Child process: `serve-registry[-uncached] <sqlite file>` or `serve-bare <responses.json>`; prints the port. */
async function child(mode: string, file: string): Promise<void> {
  let server: http.Server;
  if (mode.startsWith('serve-registry')) {
    const { app } = await openRegistry(file, mode === 'serve-registry-uncached' ? 0 : undefined);
    await app.listen({ port: 0, host: '127.0.0.1' });
    server = app.server;
  } else {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, { headers: Record<string, string>; body: string }>;
    const answers = new Map(Object.entries(saved).map(([url, r]) => [url, { headers: r.headers, body: Buffer.from(r.body, 'base64') }]));
    server = http.createServer((req, res) => {
      const a = answers.get(req.url ?? '');
      if (!a) return res.writeHead(404).end();
      res.writeHead(200, a.headers).end(a.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  }
  process.stdout.write(`PORT ${(server.address() as { port: number }).port}\n`);
}

function startChild(mode: string, file: string): Promise<{ proc: ChildProcess; base: string }> {
  const proc = spawn(process.execPath, [...process.execArgv, SELF, mode, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve({ proc, base: `http://127.0.0.1:${m[1]}` });
    });
    proc.on('exit', (code) => reject(new Error(`${mode} exited with ${code}`)));
  });
}

async function stopChild(proc: ChildProcess): Promise<void> {
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

async function load(base: string, paths: string[], duration: number): Promise<AutocannonResult> {
  return autocannon({ url: base, connections: CONNECTIONS, duration, requests: paths.map((p) => ({ method: 'GET', path: p })) });
}

const pathOf = (name: string) => `/comfy-nodes/${encodeURIComponent(name)}/node`;

/**
 * Mean and p99 of `rounds` sequential resolutions: the registry call alone (the database work),
 * through the whole HTTP stack with the answer cache missing (the change feed moved before each
 * request), and answered from the cache.
 */
async function timeResolver(file: string, names: string[], rounds: number) {
  const { database, reg, app } = await openRegistry(file);
  await app.ready();
  const samples = { direct: [] as number[], miss: [] as number[], hit: [] as number[] };
  const time = async (into: number[] | null, f: () => Promise<unknown>) => {
    const t0 = process.hrtime.bigint();
    await f();
    if (into) into.push(Number(process.hrtime.bigint() - t0) / 1000);
  };
  const get = async (name: string) => {
    const res = await app.inject({ method: 'GET', url: pathOf(name) });
    if (res.statusCode !== 200) throw new Error(`resolver answered ${res.statusCode} for ${name}`);
  };
  for (let i = 0; i < rounds + 200; i++) {
    const name = names[i % names.length];
    const keep = i >= 200;
    await time(keep ? samples.direct : null, () => resolveComfyNodeName(reg, name));
    reg.changes.touchEverything();
    await time(keep ? samples.miss : null, () => get(name));
    await time(keep ? samples.hit : null, () => get(name));
  }
  await app.close();
  await database.close();
  const stats = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { mean: s.reduce((a, b) => a + b, 0) / s.length, p99: s[Math.floor(s.length * 0.99)] };
  };
  return { direct: stats(samples.direct), miss: stats(samples.miss), hit: stats(samples.hit) };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-bench-resolve-'));
  const started = Date.now();
  try {
    const bigFile = path.join(dir, 'big', 'comfyreg.sqlite');
    const smallFile = path.join(dir, 'small', 'comfyreg.sqlite');
    let t0 = Date.now();
    const big: Generated = await generateRegistry(bigFile, { packs: 3000, versionsPerPack: 5, targetRows: 1_000_000, seed: 1 });
    console.log(
      `generated ${fmt(big.packs)} packs, ${fmt(big.versions)} versions, ${fmt(big.rows)} comfy-node rows in ${fmt((Date.now() - t0) / 1000, 1)} s`,
    );
    t0 = Date.now();
    const small: Generated = await generateRegistry(smallFile, { packs: 30, versionsPerPack: 5, targetRows: 10_000, seed: 2 });
    console.log(
      `generated ${fmt(small.packs)} packs, ${fmt(small.versions)} versions, ${fmt(small.rows)} comfy-node rows in ${fmt((Date.now() - t0) / 1000, 1)} s`,
    );

    const smallTime = await timeResolver(smallFile, small.resolvable, 2000);
    const bigTime = await timeResolver(bigFile, big.resolvable, 2000);

    const paths = big.resolvable.slice(0, 500).map(pathOf);
    const registry = await startChild('serve-registry', bigFile);
    const responses: Record<string, { headers: Record<string, string>; body: string }> = {};
    for (const p of paths) {
      const res = await fetch(registry.base + p);
      if (res.status !== 200) throw new Error(`${p} answered ${res.status}`);
      const headers: Record<string, string> = {};
      for (const h of ['content-type', 'etag', 'cache-control', 'vary']) headers[h] = res.headers.get(h) ?? '';
      responses[p] = { headers, body: Buffer.from(await res.arrayBuffer()).toString('base64') };
    }
    const answersFile = path.join(dir, 'answers.json');
    fs.writeFileSync(answersFile, JSON.stringify(responses));
    await load(registry.base, paths, 2);
    const reg = await load(registry.base, paths, DURATION);
    await stopChild(registry.proc);

    const uncachedServer = await startChild('serve-registry-uncached', bigFile);
    await load(uncachedServer.base, paths, 2);
    const uncached = await load(uncachedServer.base, paths, DURATION);
    await stopChild(uncachedServer.proc);

    const bare = await startChild('serve-bare', answersFile);
    await load(bare.base, paths, 2);
    const raw = await load(bare.base, paths, DURATION);
    await stopChild(bare.proc);

    const avgBytes = Object.values(responses).reduce((a, r) => a + Buffer.from(r.body, 'base64').length, 0) / paths.length;
    console.log(
      `\nGET /comfy-nodes/{name}/node, ${CONNECTIONS} connections, ${DURATION} s, ${paths.length} rotating names, ~${fmt(avgBytes)} B answers`,
    );
    console.log(
      `  comfyreg (SQLite, ${fmt(big.rows)} rows): ${fmt(reg.requests.average)} req/s, p50 ${reg.latency.p50} ms, p99 ${reg.latency.p99} ms, non-2xx ${reg.non2xx}, errors ${reg.errors}`,
    );
    console.log(
      `  same, answer cache off (--read-cache 0): ${fmt(uncached.requests.average)} req/s, p50 ${uncached.latency.p50} ms, p99 ${uncached.latency.p99} ms (ratio ${fmt(uncached.requests.average / raw.requests.average, 2)})`,
    );
    console.log(
      `  bare node:http from memory:        ${fmt(raw.requests.average)} req/s, p50 ${raw.latency.p50} ms, p99 ${raw.latency.p99} ms`,
    );
    console.log(
      `  ratio: ${fmt(reg.requests.average / raw.requests.average, 2)} (target ≥ 0.5); p99 ${reg.latency.p99} ms (target < 10 ms)`,
    );
    console.log(`\nresolver, 2,000 sequential calls (mean / p99, µs):`);
    for (const [rows, t] of [
      [small.rows, smallTime],
      [big.rows, bigTime],
    ] as const) {
      console.log(
        `  ${fmt(rows).padStart(9)} rows: registry call ${fmt(t.direct.mean)} / ${fmt(t.direct.p99)}, HTTP cache miss ${fmt(t.miss.mean)} / ${fmt(t.miss.p99)}, HTTP cache hit ${fmt(t.hit.mean)} / ${fmt(t.hit.p99)}`,
      );
    }
    console.log(
      `  1M / 10k mean: registry call ${fmt(bigTime.direct.mean / smallTime.direct.mean, 2)}, HTTP miss ${fmt(bigTime.miss.mean / smallTime.miss.mean, 2)}, HTTP hit ${fmt(bigTime.hit.mean / smallTime.hit.mean, 2)}`,
    );
    console.log(`\ntotal ${fmt((Date.now() - started) / 1000, 1)} s`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2]?.startsWith('serve-')) await child(process.argv[2], process.argv[3]);
else await main();
