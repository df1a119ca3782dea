/**
 * The by-name resolver (GET /comfy-nodes/{name}/node) at registry scale.
 *
 * Fills a temporary SQLite registry (3,000 packs × 5 versions, ~1,000,000 comfy-node rows;
 * generated, deterministic; copied into a private schema when --database-url names a PostgreSQL
 * database), loads the real server (with its answer cache, and without) and a bare node:http server
 * answering the same bytes from memory with autocannon, in turns, round by round; then the mixed
 * run (bench/resolve-mixed.ts), the same resolving load while other clients install and publish,
 * also in turns; then times the resolver on a 10,000-row registry against the 1,000,000-row one.
 * `--duration` is each server's load time per phase, split into `--rounds` rounds.
 *
 * Run: npx tsx bench/resolve.ts [--duration 10] [--rounds 5] [--connections 32] [--install-rate 300] [--database-url postgres://…]
 * Each server runs in a child process so that it never shares an event loop with the load generator.
 */
import { spawn, type ChildProcess } from 'node:child_process';
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
import { tuneForServing } from '../src/v8-flags.js';
import { autocannon, createPublisher, mixedRun, type AutocannonResult, type MixedResult, type Publisher } from './resolve-mixed.js';
import { copyToPostgres, dropSchema } from './pg-copy.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const DURATION = arg('duration', 10);
const CONNECTIONS = arg('connections', 32);
const INSTALL_RATE = arg('install-rate', 300);
const ROUNDS = arg('rounds', 5);
const urlFlag = process.argv.indexOf('--database-url');
/** PostgreSQL when given; children read it from the environment. */
const DATABASE_URL = urlFlag > 0 ? process.argv[urlFlag + 1] : process.env.COMFYREG_BENCH_DATABASE_URL;
const SELF = fileURLToPath(import.meta.url);
const ADMIN_TOKEN = 'bench-admin';
const SERVICE_TOKEN = 'bench-service';

/** A generated registry: its SQLite file, and the PostgreSQL schema it was copied into, if any. */
interface Target {
  file: string;
  schema?: string;
}
const targetArg = (t: Target) => (t.schema ? `${t.file}#${t.schema}` : t.file);
const targetOf = (arg: string): Target => {
  const [file, schema] = arg.split('#');
  return { file, schema };
};

async function openRegistry(target: Target, readCache?: number): Promise<{ database: DatabaseHandle; reg: Registry; app: App }> {
  const dir = path.dirname(target.file);
  const database = target.schema
    ? await openDatabase({ url: DATABASE_URL, dataDir: dir, schema: target.schema })
    : await openDatabase({ url: target.file, dataDir: dir });
  const reg = await createRegistry({
    database,
    store: new LocalArchiveStore(path.join(dir, 'archives')),
    publicUrl: 'http://127.0.0.1',
    adminToken: ADMIN_TOKEN,
    serviceTokens: [SERVICE_TOKEN],
  });
  // Request logging off, as an operator running at `warn`; the work per request is otherwise the product's.
  const app = await buildApp(reg, { maxBody: 16 * 1024 * 1024, maxArchive: 1024 * 1024, logger: false, readCache });
  return { database, reg, app };
}

/** Child process: `serve-registry[-uncached] <target>` or `serve-bare <responses.json>`; prints the port. */
async function child(mode: string, arg: string): Promise<void> {
  let server: http.Server;
  if (mode.startsWith('serve-registry')) {
    // As `comfyreg serve` does (src/server.ts).
    tuneForServing();
    const { app } = await openRegistry(targetOf(arg), mode === 'serve-registry-uncached' ? 0 : undefined);
    await app.listen({ port: 0, host: '127.0.0.1' });
    server = app.server;
  } else {
    const saved = JSON.parse(fs.readFileSync(arg, 'utf8')) as Record<string, { headers: Record<string, string>; body: string }>;
    const answers = new Map(Object.entries(saved).map(([url, r]) => [url, { headers: r.headers, body: Buffer.from(r.body, 'base64') }]));
    const created = Buffer.from('{}');
    server = http.createServer((req, res) => {
      // Writes of the mixed run: the body is read, and an empty answer given.
      if (req.method === 'POST' || req.method === 'PUT') {
        req.resume();
        req.on('end', () => res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' }).end(created));
        return;
      }
      const a = answers.get(req.url ?? '');
      if (!a) return res.writeHead(404).end();
      res.writeHead(200, a.headers).end(a.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  }
  // An orderly exit, so that a child run with --cpu-prof writes its profile.
  process.once('SIGTERM', () => process.exit(0));
  process.stdout.write(`PORT ${(server.address() as { port: number }).port}\n`);
}

function startChild(mode: string, arg: string): Promise<{ proc: ChildProcess; base: string }> {
  const proc = spawn(process.execPath, [...process.execArgv, SELF, mode, arg], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...(DATABASE_URL ? { COMFYREG_BENCH_DATABASE_URL: DATABASE_URL } : {}) },
  });
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
async function timeResolver(target: Target, names: string[], rounds: number) {
  const { database, reg, app } = await openRegistry(target);
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

type Answers = Record<string, { headers: Record<string, string>; body: string }>;

/** The registry's answers to `paths`, as the bare server will give them. */
async function record(base: string, paths: string[], into: Answers): Promise<void> {
  for (const p of paths) {
    const res = await fetch(base + p);
    if (res.status !== 200) throw new Error(`${p} answered ${res.status}`);
    const headers: Record<string, string> = {};
    for (const h of ['content-type', 'etag', 'cache-control', 'vary']) headers[h] = res.headers.get(h) ?? '';
    into[p] = { headers, body: Buffer.from(await res.arrayBuffer()).toString('base64') };
  }
}

/** The answer cache's hits and misses so far, from the server's /metrics (zeros for the bare server). */
async function cacheCounts(base: string): Promise<{ hits: number; misses: number }> {
  const text = await fetch(`${base}/metrics`).then(
    (r) => (r.ok ? r.text() : ''),
    () => '',
  );
  const count = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { hits: count('comfyreg_read_cache_hits_total'), misses: count('comfyreg_read_cache_misses_total') };
}

/** The share of cacheable requests between two counts that the cache answered. */
const hitRate = (a: { hits: number; misses: number }, b: { hits: number; misses: number }) => {
  const hits = b.hits - a.hits;
  const all = hits + b.misses - a.misses;
  return all === 0 ? 'none cacheable' : `cache hits ${fmt((100 * hits) / all, 1)}%`;
};

/** One round's figures of a load run, the shape the report prints. */
interface Figures {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Rounds of one server folded into one line: medians of the rates and latencies, sums of the failures. */
const fold = (rounds: Figures[]): Figures => ({
  requests: { average: median(rounds.map((r) => r.requests.average)) },
  latency: { p50: median(rounds.map((r) => r.latency.p50)), p99: median(rounds.map((r) => r.latency.p99)) },
  non2xx: rounds.reduce((a, r) => a + r.non2xx, 0),
  errors: rounds.reduce((a, r) => a + r.errors, 0),
});

interface Served {
  label: string;
  mode: string;
  arg: string;
  proc?: ChildProcess;
  base?: string;
  publisher?: Publisher;
  steady: Figures[];
  mixed: MixedResult[];
  hitRate: { steady: string; mixed: string };
}

/*
 * The three servers run side by side and take the load in turns, round by round (the order
 * rotating), so that whatever else slows the machine for a while falls on all of them: on this
 * 2-core machine the bare server alone moved between 17k and 38k req/s from one sequential run to
 * the next. Ratios are medians of each round's ratio to the bare server in the same round.
 */
async function measureInTurns(servers: Served[], paths: string[], installPaths: string[], liveNames: string[]): Promise<void> {
  const roundSeconds = Math.max(2, Math.round(DURATION / ROUNDS));
  for (const s of servers) {
    const child = await startChild(s.mode, s.arg);
    s.proc = child.proc;
    s.base = child.base;
    await load(s.base, paths, 2);
    s.publisher =
      s.mode === 'serve-bare'
        ? { publisherId: 'bare', nodeId: 'bare', pat: 'bare', serviceToken: 'bare', names: liveNames }
        : await createPublisher(s.base, ADMIN_TOKEN, `r${process.pid}x${s.mode}`, liveNames, SERVICE_TOKEN);
  }
  const before = await Promise.all(servers.map((s) => cacheCounts(s.base!)));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < servers.length; k++) {
      const s = servers[(r + k) % servers.length]!;
      s.steady.push(await load(s.base!, paths, roundSeconds));
    }
  }
  const afterSteady = await Promise.all(servers.map((s) => cacheCounts(s.base!)));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < servers.length; k++) {
      const s = servers[(r + k) % servers.length]!;
      s.mixed.push(
        await mixedRun(s.base!, {
          resolvePaths: paths,
          installPaths,
          duration: roundSeconds,
          connections: CONNECTIONS,
          installRate: INSTALL_RATE,
          publisher: s.publisher!,
        }),
      );
    }
  }
  const afterMixed = await Promise.all(servers.map((s) => cacheCounts(s.base!)));
  servers.forEach(
    (s, i) => (s.hitRate = { steady: hitRate(before[i]!, afterSteady[i]!), mixed: hitRate(afterSteady[i]!, afterMixed[i]!) }),
  );
  for (const s of servers) await stopChild(s.proc!);
}

/** The median over rounds of a server's rate over the bare server's in the same round. */
const roundRatio = (a: Figures[], bare: Figures[]) => median(a.map((x, i) => x.requests.average / bare[i]!.requests.average));

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-bench-resolve-'));
  const started = Date.now();
  const schemas: string[] = [];
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
    const bigTarget: Target = { file: bigFile };
    const smallTarget: Target = { file: smallFile };
    if (DATABASE_URL) {
      t0 = Date.now();
      for (const t of [bigTarget, smallTarget]) {
        t.schema = `bench_resolve_${schemas.length}_${process.pid}`;
        schemas.push(t.schema);
        await copyToPostgres(t.file, DATABASE_URL, t.schema);
      }
      console.log(`copied both into PostgreSQL in ${fmt((Date.now() - t0) / 1000, 1)} s`);
    }
    const where = DATABASE_URL ? 'PostgreSQL' : 'SQLite';

    const smallTime = await timeResolver(smallTarget, small.resolvable, 2000);
    const bigTime = await timeResolver(bigTarget, big.resolvable, 2000);

    const paths = big.resolvable.slice(0, 500).map(pathOf);
    const responses: Answers = {};
    const recorder = await startChild('serve-registry', targetArg(bigTarget));
    await record(recorder.base, paths, responses);
    const packIds = [...new Set(paths.map((p) => (JSON.parse(Buffer.from(responses[p].body, 'base64').toString()) as { id: string }).id))];
    const installPaths = packIds.slice(0, 100).map((id) => `/nodes/${encodeURIComponent(id)}/install`);
    await record(recorder.base, installPaths, responses);
    await stopChild(recorder.proc);
    const answersFile = path.join(dir, 'answers.json');
    fs.writeFileSync(answersFile, JSON.stringify(responses));
    // Some of the names being resolved are registered again by every release of the live pack.
    const liveNames = [...big.resolvable.slice(0, 5), 'BenchLiveNode'];

    const served = (label: string, mode: string, arg: string): Served => ({
      label,
      mode,
      arg,
      steady: [],
      mixed: [],
      hitRate: { steady: '', mixed: '' },
    });
    const servers = [
      served('comfyreg', 'serve-registry', targetArg(bigTarget)),
      served('same, answer cache off', 'serve-registry-uncached', targetArg(bigTarget)),
      served('bare node:http', 'serve-bare', answersFile),
    ];
    await measureInTurns(servers, paths, installPaths, liveNames);
    const [reg, uncached, raw] = servers as [Served, Served, Served];

    const avgBytes = paths.reduce((a, p) => a + Buffer.from(responses[p].body, 'base64').length, 0) / paths.length;
    const line = (r: Figures) =>
      `${fmt(r.requests.average)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}`;
    const steadyRatio = (x: Served) => fmt(roundRatio(x.steady, raw.steady), 2);
    const mixedRatio = (x: Served) =>
      fmt(
        roundRatio(
          x.mixed.map((m) => m.resolve),
          raw.mixed.map((m) => m.resolve),
        ),
        2,
      );
    console.log(
      `\nGET /comfy-nodes/{name}/node on ${where}, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${Math.max(2, Math.round(DURATION / ROUNDS))} s per server in turns, ${paths.length} rotating names, ~${fmt(avgBytes)} B answers; medians of the rounds`,
    );
    console.log(`  comfyreg (${fmt(big.rows)} rows):      ${line(fold(reg.steady))} (ratio ${steadyRatio(reg)}; ${reg.hitRate.steady})`);
    console.log(`  same, answer cache off:         ${line(fold(uncached.steady))} (ratio ${steadyRatio(uncached)})`);
    console.log(`  bare node:http from memory:     ${line(fold(raw.steady))}`);
    console.log(
      `\nmixed: the same resolving load while ${INSTALL_RATE} installs/s (8 connections) and one publish/s (publish, upload, CreateComfyNodes) run`,
    );
    for (const r of servers) {
      const resolve = fold(r.mixed.map((m) => m.resolve));
      const installs = r.mixed.reduce((a, m) => a + m.install.requests.total, 0) / r.mixed.reduce((a, m) => a + m.install.duration, 0);
      const installP99 = median(r.mixed.map((m) => m.install.latency.p99));
      const installFailed = r.mixed.reduce((a, m) => a + m.install.non2xx, 0);
      const publishes = r.mixed.reduce((a, m) => a + m.publishes, 0);
      const publishFailures = r.mixed.reduce((a, m) => a + m.publishFailures, 0);
      console.log(
        `  ${`${r.label}:`.padEnd(24)} resolve ${line(resolve)}${r === raw ? '' : ` (ratio ${mixedRatio(r)}; ${r.hitRate.mixed})`}`,
      );
      console.log(
        `  ${''.padEnd(24)} install ${fmt(installs)}/s, p99 ${installP99} ms, non-2xx ${installFailed}; publishes ${publishes}, failed ${publishFailures}`,
      );
    }
    console.log(`  targets: mixed ratio ≥ 0.7 with the cache, ≥ 0.4 with it off`);
    console.log(`\nresolver on ${where}, 2,000 sequential calls (mean / p99, µs):`);
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
    console.log(`\nnode ${process.version}, ${os.cpus().length} cpus; total ${fmt((Date.now() - started) / 1000, 1)} s`);
  } finally {
    for (const schema of schemas) await dropSchema(DATABASE_URL!, schema);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2]?.startsWith('serve-')) await child(process.argv[2], process.argv[3]);
else await main();
