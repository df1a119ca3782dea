import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/cli.js';
import { parseCommandLine } from '../../src/settings/index.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { world, type World } from '../helpers/flow.js';
import { download, publishUpstream } from './helpers.js';

/** The command line in this process: its exit code and what it wrote. */
async function run(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c));
  err.on('data', (c: Buffer) => (stderr += c));
  const status = await main(args, { out, err });
  return { status, stdout, stderr };
}

const getJson = async (base: string, p: string) => {
  const res = await fetch(`${base}${p}`);
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
};

describe('comfyreg mirror sync, export and import', () => {
  let up: TestRegistry;
  let w: World;
  const archives: Record<string, Buffer> = {};
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-mirror-'));
  const mirrorDir = path.join(tmp, 'mirror');
  const offlineDir = path.join(tmp, 'offline');
  const bundle = path.join(tmp, 'mirror.crm');
  let offline: RunningServer | undefined;

  before(async () => {
    up = await startRegistry('sqlite');
    w = await world(up, 'comfy-org', 'upstream-owner');
    archives['sync-a@1.0.0'] = await publishUpstream(up, w, 'sync-a', '1.0.0', { comfyNodes: ['SyncA'] });
    archives['sync-a@1.1.0'] = await publishUpstream(up, w, 'sync-a', '1.1.0', { comfyNodes: ['SyncA', 'SyncA2'] });
    archives['sync-b@2.0.0'] = await publishUpstream(up, w, 'sync-b', '2.0.0', { classes: ['SyncBOwn'] });
  });
  after(async () => {
    await offline?.close(0);
    await up?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const mirrorArgs = ['--data-dir', mirrorDir, '--uplink', '', '--log-level', 'silent'];

  it('syncs the chosen packs, reports what failed, and a second run fetches only what is missing', async () => {
    mirrorArgs[3] = up.url;
    const first = await run(['mirror', 'sync', '--ids', 'sync-a,no-such-pack', ...mirrorArgs]);
    assert.equal(first.status, 1, 'a failure makes the exit code 1');
    const r1 = JSON.parse(first.stdout);
    assert.equal(r1.fetched, 1, 'the latest version only');
    assert.deepEqual(
      r1.failed.map((f: { what: string }) => f.what),
      ['no-such-pack'],
    );
    assert.match(first.stderr, /\] 2\/2 done/);

    const second = await run(['mirror', 'sync', '--ids', 'sync-a,sync-b', '--all-versions', ...mirrorArgs]);
    assert.equal(second.status, 0, second.stderr);
    const r2 = JSON.parse(second.stdout);
    assert.equal(r2.versions, 3);
    assert.equal(r2.fetched, 2, 'sync-a@1.1.0 was stored by the first run');

    const again = JSON.parse((await run(['mirror', 'sync', '--top', '10', '--all-versions', ...mirrorArgs])).stdout);
    assert.equal(again.fetched, 0, 'idempotent');
    assert.equal(again.packs, 2, '--top lists the uplink');
  });

  it('--verify reports an upstream archive that changed and keeps the stored bytes', async () => {
    const row = await up.database.db
      .selectFrom('node_versions')
      .select('archive_key')
      .where('node_id', '=', 'sync-a')
      .where('version', '=', '1.0.0')
      .executeTakeFirstOrThrow();
    await up.reg.store.put(row.archive_key!, Readable.from([Buffer.from('PK changed upstream')]), 1024);
    const verified = await run(['mirror', 'sync', '--ids', 'sync-a', '--all-versions', '--verify', ...mirrorArgs]);
    assert.equal(verified.status, 1);
    assert.deepEqual(
      JSON.parse(verified.stdout).failed.map((f: { what: string }) => f.what),
      ['sync-a@1.0.0'],
    );
    // The export below carries the stored bytes, and the offline installs compare with the originals.
  });

  it('exports the mirror and imports it into an instance without an uplink, whose installs are byte-identical', async () => {
    const exported = await run(['mirror', 'export', bundle, '--data-dir', mirrorDir]);
    assert.equal(exported.status, 0, exported.stderr);
    assert.equal(JSON.parse(exported.stdout).archives, 3);
    await up.close();

    const imported = await run(['mirror', 'import', bundle, '--data-dir', offlineDir]);
    assert.equal(imported.status, 0, imported.stderr);
    assert.equal(JSON.parse(imported.stdout).archives, 3);
    const again = JSON.parse((await run(['mirror', 'import', bundle, '--data-dir', offlineDir])).stdout);
    assert.equal(again.kept, 3, 'importing twice keeps the stored bytes');

    const config = parseCommandLine(
      'serve',
      ['--data-dir', offlineDir, '--port', '0', '--log-level', 'silent', '--worker', 'false'],
      {},
    ).config;
    offline = await startServer(config, { notice: () => {} });
    const base = offline.url;
    for (const [id, version] of [
      ['sync-a', '1.0.0'],
      ['sync-a', '1.1.0'],
      ['sync-b', '2.0.0'],
    ]) {
      const install = await getJson(base, `/nodes/${id}/install?version=${version}`);
      assert.equal(install.status, 200, JSON.stringify(install.body));
      assert.equal(install.headers.get('x-comfyreg-uplink'), 'offline');
      const bytes = await download(`${base}${new URL(install.body.downloadUrl).pathname}`);
      assert.ok(bytes.bytes.equals(archives[`${id}@${version}`]), `${id}@${version} installs byte-identically`);
    }
    assert.equal((await getJson(base, '/nodes/sync-a/install')).body.version, '1.1.0');
    const own = await getJson(base, '/nodes/sync-b/versions/2.0.0/comfy-nodes');
    assert.deepEqual(
      own.body.comfy_nodes.map((c: { comfy_node_name: string }) => c.comfy_node_name),
      ['SyncBOwn'],
      "comfyreg's own extraction travels with the mirror",
    );
    assert.equal((await getJson(base, '/comfy-nodes/SyncA2/node')).body.id, 'sync-a');
    assert.equal((await getJson(base, '/comfy-nodes/SyncBOwn/node')).body.id, 'sync-b');
    assert.equal((await getJson(base, '/nodes/elsewhere')).status, 404);
  });
});
