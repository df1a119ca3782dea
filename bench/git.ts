/*
 * Packs as git repositories and the Manager channel, measured.
 *
 * 1. `git clone` of a pack with 20 versions of a ~5 MB archive from comfyreg (/git/{id}), against
 *    `git clone` of the same history (the same tags too) from a bare repository made with plain git
 *    commands and served by a plain static file server, in the same run. The first clone from comfyreg builds the
 *    repository (reported apart); the ratio compares warm clones (median of rounds).
 * 2. The channel files for 5,000 packs (3 versions and 10 comfy nodes each): CPU time to build
 *    custom-node-list.json and extension-node-map.json, against reading the nodes table alone.
 *
 *   npx tsx bench/git.ts [rounds=5] [packs=5000]
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import { openDatabase } from '../src/db/database.js';
import type { NodeVersionRow } from '../src/db/schema.js';
import { bindServer, buildApp } from '../src/http/app.js';
import { createRegistry, type Registry } from '../src/registry/registry.js';
import { newNodeRow } from '../src/registry/nodes.js';
import { customNodeList, extensionNodeMap } from '../src/registry/manager-channel.js';
import { LocalArchiveStore } from '../src/storage/local-archive-store.js';
import { zipOf } from '../test/helpers/flow.js';

const rounds = Number(process.argv[2] ?? 5);
const packCount = Number(process.argv[3] ?? 5000);
const VERSIONS = 20;
const run = promisify(execFile);
const gitEnv = { PATH: process.env.PATH, HOME: os.tmpdir(), GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };
const git = (args: string[], cwd?: string) => run('git', args, { cwd, env: gitEnv, maxBuffer: 64 << 20 });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-bench-git-'));

/**
 * Version i of a pack: 100 Python files (one line changes per version) and a 4.5 MB binary whose
 * last 64 KiB change per version, as model-bearing packs do; deflated, about 5 MB.
 */
const weights = randomBytes(4.5 * 1024 * 1024);
function versionFiles(i: number): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (let f = 0; f < 100; f++) {
    const lines = Array.from({ length: 200 }, (_, l) => `def f_${f}_${l}(x):\n    return x * ${l} + ${f}  # helper ${l}\n`);
    lines[f % 200] = `VERSION = ${i}\n`;
    files[`nodes/mod_${f}.py`] = Buffer.from(lines.join(''));
  }
  const w = Buffer.from(weights);
  randomBytes(64 * 1024).copy(w, w.length - 64 * 1024);
  files['models/weights.bin'] = w;
  files['__init__.py'] = Buffer.from(`NODE_CLASS_MAPPINGS = {}\nVERSION = ${i}\n`);
  return files;
}

async function seedPublisher(reg: Registry, t0: string) {
  await reg.db
    .insertInto('publishers')
    .values({
      id: 'bench',
      name: 'Bench',
      description: '',
      website: '',
      support: '',
      source_code_repo: '',
      logo: '',
      status: 'PublisherStatusActive',
      created_at: t0,
    })
    .execute();
}

const versionRow = (nodeId: string, version: string, createdAt: string, extra: Partial<NodeVersionRow> = {}): NodeVersionRow => ({
  id: randomUUID(),
  node_id: nodeId,
  version,
  changelog: `Release ${version}`,
  dependencies: '[]',
  deprecated: 0,
  status: 'NodeVersionStatusActive',
  status_reason: '',
  comfy_node_extract_status: 'success',
  comfy_node_extract_reason: '',
  cloud_build_info: '{}',
  archive_key: null,
  archive_size: null,
  archive_sha256: null,
  supported_os: '[]',
  supported_accelerators: '[]',
  supported_comfyui_version: '',
  supported_comfyui_frontend_version: '',
  created_at: createdAt,
  ...extra,
});

/** A static file server for a folder: what `git clone` over dumb HTTP needs, and nothing else. */
function staticServer(root: string): Promise<{ url: string; close(): void }> {
  const server = http.createServer((req, res) => {
    const file = path.join(root, decodeURIComponent(new URL(req.url!, 'http://x').pathname));
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) return res.writeHead(404).end();
      res.writeHead(200, { 'content-length': st.size });
      fs.createReadStream(file).pipe(res);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => server.close() }),
    ),
  );
}

async function timeClone(url: string): Promise<number> {
  const dest = path.join(work, `clone-${randomUUID()}`);
  const start = performance.now();
  await git(['clone', '--quiet', url, dest]);
  const ms = performance.now() - start;
  fs.rmSync(dest, { recursive: true, force: true });
  return ms;
}

async function cloneBench(): Promise<void> {
  const dataDir = path.join(work, 'registry');
  const database = await openDatabase({ dataDir });
  const store = new LocalArchiveStore(path.join(dataDir, 'archives'));
  const { server, port } = await bindServer(0, '127.0.0.1');
  const reg = await createRegistry({ database, store, publicUrl: `http://127.0.0.1:${port}` });
  const app = await buildApp(reg, { server, maxBody: 1 << 20, maxArchive: 1 << 30, gitDir: path.join(dataDir, 'git') });
  await app.ready();
  const t0 = new Date('2025-01-01T00:00:00Z').getTime();
  await seedPublisher(reg, new Date(t0).toISOString());
  await reg.db
    .insertInto('nodes')
    .values(newNodeRow('big-pack', 'bench', { name: 'Big pack' }, new Date(t0).toISOString()))
    .execute();

  // The baseline: the same archives committed with plain git into a bare repository, gc'd.
  const tree = path.join(work, 'baseline-tree');
  await git(['init', '--quiet', '--initial-branch=main', tree]);
  let zipBytes = 0;
  for (let i = 0; i < VERSIONS; i++) {
    const version = `1.${i}.0`;
    const files = versionFiles(i);
    const zip = await zipOf(files);
    zipBytes += zip.length;
    const key = `big-pack/${version}.zip`;
    const stored = await store.put(key, Readable.from([zip]), zip.length + 1);
    const createdAt = new Date(t0 + i * 86_400_000).toISOString();
    await reg.db
      .insertInto('node_versions')
      .values(versionRow('big-pack', version, createdAt, { archive_key: key, archive_size: stored.size, archive_sha256: stored.sha256 }))
      .execute();
    fs.rmSync(path.join(tree, 'nodes'), { recursive: true, force: true });
    for (const [name, data] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(tree, name)), { recursive: true });
      fs.writeFileSync(path.join(tree, name), data);
    }
    await git(['add', '-A'], tree);
    await git(['-c', 'user.name=Bench', '-c', 'user.email=bench@comfyreg', 'commit', '--quiet', '-m', `Release ${version}`], tree);
    // The same refs as comfyreg's: a dumb clone probes each tagged commit before it reads the packs.
    for (const tag of [`v${version}`, version]) await git(['tag', tag], tree);
  }
  const bare = path.join(work, 'static', 'big-pack.git');
  await git(['clone', '--quiet', '--bare', tree, bare]);
  await git(['gc', '--quiet'], bare);
  await git(['update-server-info'], bare);
  const statics = await staticServer(path.join(work, 'static'));

  const base = `http://127.0.0.1:${port}`;
  const cold = await timeClone(`${base}/git/big-pack`);
  const ours: number[] = [];
  const baseline: number[] = [];
  for (let r = 0; r < rounds; r++) {
    baseline.push(await timeClone(`${statics.url}/big-pack.git`));
    ours.push(await timeClone(`${base}/git/big-pack`));
  }
  const packBytes = (dir: string) =>
    fs
      .readdirSync(path.join(dir, 'objects', 'pack'))
      .filter((f) => f.endsWith('.pack'))
      .reduce((n, f) => n + fs.statSync(path.join(dir, 'objects', 'pack', f)).size, 0);
  const gen = fs.readdirSync(path.join(dataDir, 'git', 'big-pack')).find((d) => d.endsWith('.git'))!;
  console.log(`clone: ${VERSIONS} versions, archives ${(zipBytes / VERSIONS / 1048576).toFixed(1)} MB each`);
  console.log(`  first clone from comfyreg (builds the repository): ${cold.toFixed(0)} ms`);
  console.log(
    `  comfyreg clone, median of ${rounds}:            ${median(ours).toFixed(0)} ms (pack ${(packBytes(path.join(dataDir, 'git', 'big-pack', gen)) / 1048576).toFixed(1)} MB)`,
  );
  console.log(
    `  static server clone (git gc'd), median of ${rounds}: ${median(baseline).toFixed(0)} ms (pack ${(packBytes(bare) / 1048576).toFixed(1)} MB)`,
  );
  console.log(`  ratio comfyreg / static: ${(median(ours) / median(baseline)).toFixed(2)} (target ≤ 2)`);
  statics.close();
  await app.close();
  server.close();
  await database.close();
}

async function channelBench(): Promise<void> {
  const dataDir = path.join(work, 'channel');
  const database = await openDatabase({ dataDir });
  const reg = await createRegistry({
    database,
    store: new LocalArchiveStore(path.join(dataDir, 'archives')),
    publicUrl: 'http://registry.example',
  });
  const t0 = new Date('2025-01-01T00:00:00Z').toISOString();
  await seedPublisher(reg, t0);
  for (let start = 0; start < packCount; start += 500) {
    await reg.db.transaction().execute(async (trx) => {
      for (let p = start; p < Math.min(start + 500, packCount); p++) {
        const id = `pack-${p}`;
        const versions = ['1.0.0', '1.1.0', '2.0.0'].map((v) => versionRow(id, v, t0, { archive_key: `${id}/${v}.zip` }));
        const node = newNodeRow(
          id,
          'bench',
          { name: `Pack ${p}`, description: `Pack number ${p}, with a description of some length.` },
          t0,
        );
        node.latest_version_id = versions[2]!.id;
        node.latest_extracted_version_id = versions[2]!.id;
        await trx.insertInto('nodes').values(node).execute();
        await trx.insertInto('node_versions').values(versions).execute();
        await trx
          .insertInto('comfy_nodes')
          .values(
            Array.from({ length: 10 }, (_, n) => ({
              node_version_id: versions[2]!.id,
              comfy_node_name: `Pack${p}Node${n}`,
              category: 'bench',
              description: '',
              function: 'run',
              input_types: '{}',
              return_types: '[]',
              return_names: '[]',
              output_is_list: '[]',
              deprecated: 0,
              experimental: 0,
              display_name: '',
              output_node: 0,
              policy: 'ComfyNodePolicyActive' as const,
              created_at: t0,
            })),
          )
          .execute();
      }
    });
  }
  const cpu = async (f: () => Promise<unknown>) => {
    const times: number[] = [];
    let out: unknown;
    for (let r = 0; r < rounds; r++) {
      const start = process.cpuUsage();
      out = await f();
      const used = process.cpuUsage(start);
      times.push((used.user + used.system) / 1000);
    }
    return { ms: median(times), out };
  };
  const baseline = await cpu(() => reg.db.selectFrom('nodes').selectAll().execute());
  const list = await cpu(async () => JSON.stringify(await customNodeList(reg)));
  const map = await cpu(async () => JSON.stringify(await extensionNodeMap(reg)));
  const both = list.ms + map.ms;
  console.log(`channel files for ${packCount} packs (3 versions, 10 comfy nodes each), CPU, median of ${rounds}:`);
  console.log(`  custom-node-list.json:   ${list.ms.toFixed(0)} ms (${((list.out as string).length / 1048576).toFixed(1)} MB)`);
  console.log(`  extension-node-map.json: ${map.ms.toFixed(0)} ms (${((map.out as string).length / 1048576).toFixed(1)} MB)`);
  console.log(
    `  both: ${both.toFixed(0)} ms (target < 1000); reading the nodes table alone: ${baseline.ms.toFixed(0)} ms, ratio ${(both / baseline.ms).toFixed(1)}`,
  );
  await database.close();
}

try {
  await cloneBench();
  await channelBench();
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
