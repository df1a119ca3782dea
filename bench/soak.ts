/**
 * A soak: mixed traffic (resolves, lists, installs, publishes with uploads, CreateComfyNodes,
 * malformed requests) against two `comfyreg serve` processes on one PostgreSQL database and one
 * shared archive folder, for --minutes (default 10). At 40 % of the run the second instance is
 * killed with SIGKILL and restarted 5 s later (the client routes around it meanwhile, as a load
 * balancer would); at 60 % every PostgreSQL connection of the database is terminated.
 *
 * At the end it checks: no 5xx beyond the 503s of the outage window, every version whose upload
 * was acknowledged is there with its archive (size and SHA-256) and extracted, no job left, and
 * the instances' RSS over the run.
 *
 * Run: npx tsx bench/soak.ts [--minutes 10] [--clients 16] [--database-url postgres://postgres@127.0.0.1:5432/test]
 * A database `comfyreg_soak_<pid>` is created on that server and dropped after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { MALFORMED, archiveOf, type Counts, record, request } from './soak-traffic.js';

const flag = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const MINUTES = Number(flag('minutes', '10'));
const CLIENTS = Number(flag('clients', '16'));
const SERVER_URL = flag('database-url', process.env.COMFYREG_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ADMIN = 'soak-admin-token';
const SERVICE = 'soak-service-token';
const PACKS = 20;

interface Instance {
  name: string;
  port: number;
  proc?: ChildProcess;
  up: boolean;
  rss: number[];
}

function startInstance(inst: Instance, url: string, dataDir: string): Promise<void> {
  inst.proc = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), 'serve', '--port', String(inst.port), '--host', '127.0.0.1'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        COMFYREG_DATABASE_URL: url,
        COMFYREG_DATA_DIR: dataDir,
        COMFYREG_ADMIN_TOKEN: ADMIN,
        COMFYREG_SERVICE_TOKEN: SERVICE,
        COMFYREG_PUBLIC_URL: `http://127.0.0.1:${inst.port}`,
        COMFYREG_INSTANCE_ID: `soak-${inst.name}`,
        COMFYREG_LOG_LEVEL: 'error',
        COMFYREG_LEASE_SECONDS: '30',
      },
    },
  );
  return waitReady(inst);
}

async function waitReady(inst: Instance): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${inst.port}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) {
        inst.up = true;
        return;
      }
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`instance ${inst.name} did not become ready`);
}

function rssOf(proc: ChildProcess | undefined): number {
  try {
    const status = fs.readFileSync(`/proc/${proc?.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const dbName = `comfyreg_soak_${process.pid}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = Object.assign(new URL(SERVER_URL), { pathname: `/${dbName}` }).toString();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-soak-'));
  const instances: Instance[] = [
    { name: 'a', port: 18000 + (process.pid % 1000) * 2, up: false, rss: [] },
    { name: 'b', port: 18001 + (process.pid % 1000) * 2, up: false, rss: [] },
  ];
  const counts: Counts = { byStatus: new Map(), fiveXX: [], connectionErrors: 0, ops: new Map() };
  const acknowledged: { node: string; version: string; sha256: string; size: number }[] = [];
  try {
    for (const inst of instances) await startInstance(inst, url, dataDir);
    const base = (i: number) => `http://127.0.0.1:${instances[i].port}`;

    // A user, a publisher, an access token and PACKS packs with a first version each.
    const user = await request(base(0), 'POST', '/admin/users', { name: 'soak', email: 'soak@example.com' }, ADMIN);
    await request(base(0), 'POST', '/publishers', { id: 'soak', name: 'soak' }, user.body.token);
    const pat = (await request(base(0), 'POST', '/publishers/soak/tokens', { name: 'soak' }, user.body.token)).body.token as string;
    let versionCounter = 0;
    const publish = async (b: string, pack: number): Promise<number> => {
      const version = `1.0.${++versionCounter}`;
      const node = `soak-pack-${pack}`;
      const created = await record(counts, 'publish', () =>
        request(b, 'POST', `/publishers/soak/nodes/${node}/versions`, {
          personal_access_token: pat,
          node: {
            id: node,
            name: `Soak ${pack}`,
            description: 'soak pack',
            license: '{"text": "MIT"}',
            repository: 'https://example.com/soak',
          },
          node_version: { version, changelog: '', dependencies: [] },
        }),
      );
      if (created?.status !== 201) return created?.status ?? 0;
      const archive = await archiveOf(pack, versionCounter);
      const up = await record(counts, 'upload', () =>
        request(b, 'PUT', new URL(created.body.signedUrl).pathname + new URL(created.body.signedUrl).search, archive),
      );
      if (up && up.status < 300)
        acknowledged.push({ node, version, sha256: createHash('sha256').update(archive).digest('hex'), size: archive.length });
      return up?.status ?? 0;
    };
    for (let p = 0; p < PACKS; p++) await publish(base(0), p);

    const started = Date.now();
    const end = started + MINUTES * 60_000;
    const killAt = started + MINUTES * 60_000 * 0.4;
    const terminateAt = started + MINUTES * 60_000 * 0.6;
    let outage: [number, number] | undefined;
    let next = 0;
    const pick = () => {
      for (let k = 0; k < 2; k++) {
        const i = next++ % 2;
        if (instances[i].up) return base(i);
      }
      return base(0);
    };

    const sampler = setInterval(() => {
      for (const inst of instances) if (inst.up) inst.rss.push(rssOf(inst.proc));
    }, 5000);
    const events = (async () => {
      await new Promise((r) => setTimeout(r, killAt - Date.now()));
      const b = instances[1];
      b.up = false;
      b.proc!.kill('SIGKILL');
      console.log(`${((Date.now() - started) / 1000).toFixed(0)} s: instance b killed (SIGKILL)`);
      await new Promise((r) => setTimeout(r, 5000));
      await startInstance(b, url, dataDir);
      console.log(`${((Date.now() - started) / 1000).toFixed(0)} s: instance b restarted and ready`);
      await new Promise((r) => setTimeout(r, Math.max(0, terminateAt - Date.now())));
      const { rows } = await admin.query(
        'SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [dbName],
      );
      outage = [Date.now(), Date.now() + 10_000];
      console.log(`${((Date.now() - started) / 1000).toFixed(0)} s: ${rows.length} PostgreSQL connections terminated`);
    })();

    const names = async (): Promise<string[]> => {
      const res = await request(base(0), 'GET', '/comfy-nodes?limit=100');
      return (res.body?.comfy_nodes ?? []).map((n: { comfy_node_name?: string }) => n.comfy_node_name).filter(Boolean);
    };
    let known = await names();
    const client = async () => {
      while (Date.now() < end) {
        const b = pick();
        const roll = Math.random();
        const pack = Math.floor(Math.random() * PACKS);
        if (roll < 0.35 && known.length)
          await record(counts, 'resolve', () =>
            request(b, 'GET', `/comfy-nodes/${encodeURIComponent(known[Math.floor(Math.random() * known.length)])}/node`),
          );
        else if (roll < 0.5)
          await record(counts, 'list', () => request(b, 'GET', `/nodes?page=${1 + Math.floor(Math.random() * 3)}&limit=10`));
        else if (roll < 0.72) await record(counts, 'install', () => request(b, 'GET', `/nodes/soak-pack-${pack}/install`));
        else if (roll < 0.76) await publish(b, pack);
        else if (roll < 0.8 && acknowledged.length) {
          const v = acknowledged[Math.floor(Math.random() * acknowledged.length)];
          const body = {
            success: true,
            nodes: { SoakPosted: { category: 'soak', function: 'run', input_types: '{}', return_types: '[]' } },
          };
          await record(counts, 'create-comfy-nodes', () =>
            request(b, 'POST', `/nodes/${v.node}/versions/${v.version}/comfy-nodes`, body, SERVICE),
          );
        } else {
          const m = MALFORMED[Math.floor(Math.random() * MALFORMED.length)];
          await record(counts, 'malformed', () => request(b, m.method, m.path, m.body, m.token ? pat : undefined, m.raw));
        }
      }
    };
    const refresh = setInterval(
      () =>
        void names()
          .then((n) => (known = n.length ? n : known))
          .catch(() => {}),
      10_000,
    );
    await Promise.all([...Array.from({ length: CLIENTS }, client), events]);
    clearInterval(refresh);
    clearInterval(sampler);

    // Every job done: wait for the queue to drain.
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    let left = -1;
    for (let i = 0; i < 240; i++) {
      left = Number((await db.query(`SELECT count(*) AS n FROM extraction_jobs WHERE state <> 'failed'`)).rows[0].n);
      if (left === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const failedJobs = Number((await db.query(`SELECT count(*) AS n FROM extraction_jobs WHERE state = 'failed'`)).rows[0].n);
    const rows = (
      await db.query(
        `SELECT node_id, version, archive_key, archive_size, archive_sha256, comfy_node_extract_status AS extract FROM node_versions`,
      )
    ).rows as {
      node_id: string;
      version: string;
      archive_key: string | null;
      archive_size: number;
      archive_sha256: string;
      extract: string;
    }[];
    await db.end();
    const byKey = new Map(rows.map((r) => [`${r.node_id}@${r.version}`, r]));
    const problems: string[] = [];
    for (const a of acknowledged) {
      const r = byKey.get(`${a.node}@${a.version}`);
      if (!r) problems.push(`${a.node}@${a.version}: acknowledged but missing`);
      else if (!r.archive_key || Number(r.archive_size) !== a.size || r.archive_sha256 !== a.sha256)
        problems.push(`${a.node}@${a.version}: archive row differs`);
      else if (
        !fs.existsSync(path.join(dataDir, 'archives', r.archive_key)) ||
        fs.statSync(path.join(dataDir, 'archives', r.archive_key)).size !== a.size
      )
        problems.push(`${a.node}@${a.version}: archive file missing or short`);
      else if (r.extract !== 'success') problems.push(`${a.node}@${a.version}: extraction ${r.extract}`);
    }
    const inOutage = (t: number) => outage !== undefined && t >= outage[0] && t <= outage[1];
    const unexpected5xx = counts.fiveXX.filter((f) => !(f.status === 503 && inOutage(f.at)));
    const total = [...counts.byStatus.values()].reduce((a, b) => a + b, 0);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `\nsoak: ${MINUTES} min, ${CLIENTS} clients, two instances on PostgreSQL, node ${process.version}, ${os.cpus().length} cpus`,
    );
    console.log(
      `  requests: ${total} (${(total / seconds).toFixed(0)}/s); by status: ${[...counts.byStatus]
        .sort()
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ')}`,
    );
    console.log(`  by operation: ${[...counts.ops].map(([o, n]) => `${o} ${n}`).join(', ')}`);
    console.log(`  connection errors (requests in flight to the killed instance): ${counts.connectionErrors}`);
    console.log(`  503 in the outage window: ${counts.fiveXX.length - unexpected5xx.length}; other 5xx: ${unexpected5xx.length}`);
    for (const f of unexpected5xx.slice(0, 10)) console.log(`    ${f.status} ${f.op} at ${((f.at - started) / 1000).toFixed(1)} s`);
    console.log(`  versions acknowledged: ${acknowledged.length}; problems: ${problems.length}`);
    for (const p of problems.slice(0, 10)) console.log(`    ${p}`);
    console.log(`  jobs left: ${left}, failed jobs: ${failedJobs}`);
    for (const inst of instances) {
      const r = inst.rss;
      const first = r.slice(0, Math.max(1, Math.floor(r.length / 5)));
      const last = r.slice(-Math.max(1, Math.floor(r.length / 5)));
      const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      console.log(
        `  RSS ${inst.name}: first fifth ${avg(first).toFixed(0)} MiB, last fifth ${avg(last).toFixed(0)} MiB, max ${Math.max(...r).toFixed(0)} MiB`,
      );
    }
    const ok = unexpected5xx.length === 0 && problems.length === 0 && left === 0 && failedJobs === 0;
    console.log(ok ? 'PASS' : 'FAIL');
    process.exitCode = ok ? 0 : 1;
  } finally {
    for (const inst of instances) inst.proc?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 2000));
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
