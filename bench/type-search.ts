/**
 * Type search (GET /comfy-nodes?input_type=…&output_type=…) at registry scale.
 *
 * Generates the registry of bench/resolve.ts (3,000 packs × 5 versions, ~1,000,000 comfy-node rows,
 * bench/resolve-data.ts) and a 10,000-row one, then times sequential searches on each: the registry
 * call alone, over loopback through the HTTP stack with the answer cache missing (the change feed moved before
 * each request), and answered from the cache; and the process's CPU time for a missing request,
 * which other work on the machine does not inflate as it does wall time (the client's share included). The baseline, measured in the same run on the same
 * data, is the search without the index: read every comfy node of each pack's newest extracted
 * version and match its JSON text with the same rules.
 *
 * Run: npx tsx bench/type-search.ts [--rounds 500] [--data DIR]
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { buildApp, type App } from '../src/http/app.js';
import { openDatabase, type DatabaseHandle } from '../src/db/database.js';
import { WILDCARD, comfyNodeTypes, queryMembers } from '../src/contract/comfy-node-types.js';
import { searchComfyNodes, type TypeSearch } from '../src/registry/comfy-node-type-index.js';
import { pageWindow } from '../src/registry/paging.js';
import { ANONYMOUS } from '../src/registry/principals.js';
import { createRegistry, type Registry } from '../src/registry/registry.js';
import { LocalArchiveStore } from '../src/storage/local-archive-store.js';
import { generateRegistry } from './resolve-data.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg('rounds', 500);
/** --data DIR keeps the generated registries there, and a later run with the same DIR reuses them. */
const DATA = (() => {
  const i = process.argv.indexOf('--data');
  return i > 0 ? process.argv[i + 1] : undefined;
})();
const WARMUP = 50;
const SCAN_ROUNDS = 5;

/** The target query first; the others show how the cost follows what is asked. */
const QUERIES: { label: string; search: TypeSearch }[] = [
  { label: 'input_type=IMAGE&output_type=MASK', search: { inputTypes: ['IMAGE'], outputTypes: ['MASK'] } },
  { label: 'output_type=MASK', search: { inputTypes: [], outputTypes: ['MASK'] } },
  { label: 'input_type=LATENT&output_type=IMAGE', search: { inputTypes: ['LATENT'], outputTypes: ['IMAGE'] } },
  { label: 'input_type=IMAGE&input_type=MASK&output_type=IMAGE', search: { inputTypes: ['IMAGE', 'MASK'], outputTypes: ['IMAGE'] } },
];

const queryString = (s: TypeSearch) =>
  [
    ...s.inputTypes.map((t) => `input_type=${encodeURIComponent(t)}`),
    ...s.outputTypes.map((t) => `output_type=${encodeURIComponent(t)}`),
  ].join('&');

async function open(file: string): Promise<{ database: DatabaseHandle; reg: Registry; app: App }> {
  const dir = path.dirname(file);
  const database = await openDatabase({ url: file, dataDir: dir });
  const reg = await createRegistry({ database, store: new LocalArchiveStore(path.join(dir, 'archives')), publicUrl: 'http://127.0.0.1' });
  const app = await buildApp(reg, { maxBody: 1024 * 1024, maxArchive: 1024 * 1024, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { database, reg, app };
}

/*
 * Requests go over loopback to the listening server, as a client's do. Fastify's inject was used
 * before: it keeps about 90 KB per request alive (a bare Fastify app shows the same), so the heap
 * grew by hundreds of MB over a run and its collections made the p99.
 */
function get(app: App, agent: http.Agent, url: string): Promise<number> {
  const { port } = app.server.address() as { port: number };
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: url, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

interface Stats {
  mean: number;
  p99: number;
}
const stats = (xs: number[]): Stats => {
  const s = [...xs].sort((a, b) => a - b);
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, p99: s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] };
};

async function time(f: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** CPU time of this process across `f` in ms: the work itself, whatever else the machine runs. */
async function cpuTime(f: () => Promise<unknown>): Promise<number> {
  const c0 = process.cpuUsage();
  await f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/** The same search without the index: every newest-version node read and matched in JavaScript. */
async function scan(reg: Registry, s: TypeSearch): Promise<number> {
  const rows = await reg.db
    .selectFrom('comfy_nodes')
    .innerJoin('nodes', 'nodes.latest_extracted_version_id', 'comfy_nodes.node_version_id')
    .select(['comfy_nodes.input_types', 'comfy_nodes.return_types'])
    .where('nodes.status', '=', 'NodeStatusActive')
    .where('comfy_nodes.policy', '!=', 'ComfyNodePolicyBanned')
    .execute();
  let n = 0;
  for (const row of rows) {
    const { inputs, outputs } = comfyNodeTypes(row.input_types, row.return_types);
    const hasInput = (q: string) => inputs.includes(WILDCARD) || queryMembers(q).some((m) => inputs.includes(m));
    const hasOutput = (q: string) => queryMembers(q).some((m) => outputs.includes(m));
    if (s.inputTypes.every(hasInput) && s.outputTypes.every(hasOutput)) n++;
  }
  return n;
}

async function measure(file: string) {
  const { database, reg, app } = await open(file);
  const paging = pageWindow(1, 100, 100, 100);
  const out = [];
  for (const { label, search } of QUERIES) {
    const samples = { call: [] as number[], miss: [] as number[], hit: [] as number[], cpu: [] as number[] };
    const url = `/comfy-nodes?${queryString(search)}`;
    // One kept-alive connection per query: the scans between queries outlast the server's idle timeout.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let total = 0;
    for (let i = 0; i < ROUNDS + WARMUP; i++) {
      const keep = i >= WARMUP;
      const call = await time(async () => (total = (await searchComfyNodes(reg, ANONYMOUS, search, paging)).total));
      reg.changes.touchEverything();
      const miss = await time(async () => {
        const status = await get(app, agent, url);
        if (status !== 200) throw new Error(`${url} answered ${status}`);
      });
      const hit = await time(() => get(app, agent, url));
      reg.changes.touchEverything();
      const cpu = await cpuTime(() => get(app, agent, url));
      if (keep) (samples.call.push(call), samples.miss.push(miss), samples.hit.push(hit), samples.cpu.push(cpu));
    }
    agent.destroy();
    const scanned: number[] = [];
    let scanTotal = 0;
    for (let i = 0; i < SCAN_ROUNDS; i++) scanned.push(await time(async () => (scanTotal = await scan(reg, search))));
    if (scanTotal !== total) throw new Error(`${label}: the index found ${total}, the scan ${scanTotal}`);
    out.push({
      label,
      total,
      call: stats(samples.call),
      miss: stats(samples.miss),
      hit: stats(samples.hit),
      cpu: stats(samples.cpu),
      scan: stats(scanned),
    });
  }
  await app.close();
  await database.close();
  return out;
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const dir = DATA ?? fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-bench-types-'));
  try {
    const sizes = [
      {
        name: '10k',
        file: path.join(dir, 'small', 'comfyreg.sqlite'),
        opts: { packs: 30, versionsPerPack: 5, targetRows: 10_000, seed: 2 },
      },
      {
        name: '1M',
        file: path.join(dir, 'big', 'comfyreg.sqlite'),
        opts: { packs: 3000, versionsPerPack: 5, targetRows: 1_000_000, seed: 1 },
      },
    ];
    const results = [];
    for (const s of sizes) {
      if (!(DATA && fs.existsSync(s.file))) {
        const t0 = Date.now();
        const g = await generateRegistry(s.file, s.opts);
        console.log(
          `generated ${g.packs} packs, ${g.versions} versions, ${g.rows.toLocaleString('en-US')} comfy-node rows, ${g.typeRows.toLocaleString('en-US')} type rows, ${g.pairs.toLocaleString('en-US')} pairs in ${fmt((Date.now() - t0) / 1000)} s`,
        );
      }
      results.push({ name: s.name, queries: await measure(s.file) });
    }
    const [small, big] = results;
    console.log(`\nsequential, ${ROUNDS} rounds each, ms (mean / p99); scan = the same search without the index (${SCAN_ROUNDS} rounds)`);
    for (let q = 0; q < QUERIES.length; q++) {
      const a = small!.queries[q]!;
      const b = big!.queries[q]!;
      console.log(`\n${QUERIES[q]!.label}: ${a.total} matches in 10k rows, ${b.total} in 1M`);
      for (const k of ['call', 'miss', 'hit', 'cpu'] as const) {
        console.log(
          `  ${k.padEnd(5)} 10k ${fmt(a[k].mean, 2)} / ${fmt(a[k].p99, 2)}   1M ${fmt(b[k].mean, 2)} / ${fmt(b[k].p99, 2)}   (1M/10k mean ×${fmt(b[k].mean / a[k].mean)})`,
        );
      }
      console.log(
        `  scan  10k ${fmt(a.scan.mean)}   1M ${fmt(b.scan.mean)}   ratio scan/call on 1M: ×${fmt(b.scan.mean / b.call.mean, 0)}`,
      );
    }
    const target = big!.queries[0]!;
    console.log(
      `\ntarget: ${QUERIES[0]!.label} on 1M rows, HTTP miss p99 ${fmt(target.miss.p99, 2)} ms, its CPU time p99 ${fmt(target.cpu.p99, 2)} ms (target < 20 ms)`,
    );
  } finally {
    if (!DATA) fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
