import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { forEachBackend, startRegistry, whenChanged, type TestRegistry } from './helpers/registry.js';
import { json, publish, upload, world, zipOf, type World } from './helpers/flow.js';
import { ManualClock } from './helpers/clock.js';
import { Worker } from '../src/jobs/worker.js';
import { LocalJobSource } from '../src/jobs/local-job-source.js';
import { inlineExtractor } from './helpers/extractor.js';

const PACK = {
  'blur-pack/__init__.py': 'from .nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS\n',
  'blur-pack/nodes.py': `
class Blur:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",), "radius": ("INT", {"default": 1, "min": 0, "max": 64})}}
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "run"
    CATEGORY = "image/filters"

class Sharpen(Blur):
    RETURN_NAMES = ("sharp",)

NODE_CLASS_MAPPINGS = {"BlurPack": Blur, "SharpenPack": Sharpen}
NODE_DISPLAY_NAME_MAPPINGS = {"BlurPack": "Blur (pack)"}
`,
};

const extractStatus = async (t: TestRegistry, nodeId: string, version = '1.0.0') =>
  (await json(t, 'GET', `/nodes/${nodeId}/versions/${version}`)).body as {
    comfy_node_extract_status: string;
    comfy_node_extract_reason: string;
  };

const comfyRows = (t: TestRegistry, versionId: string) =>
  t.database.db.selectFrom('comfy_nodes').selectAll().where('node_version_id', '=', versionId).orderBy('comfy_node_name').execute();

const job = (t: TestRegistry, versionId: string) =>
  t.database.db.selectFrom('extraction_jobs').selectAll().where('node_version_id', '=', versionId).executeTakeFirst();

function spawnWorker(registry: string, token: string, extra: string[] = []): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'worker', '--registry', registry, '--poll-ms', '200', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, COMFYREG_SERVICE_TOKEN: token },
  });
}

const stopProcess = (p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') =>
  new Promise<void>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once('exit', () => resolve());
    p.kill(signal);
  });

forEachBackend('extraction pipeline', (backend) => {
  let t: TestRegistry;
  let w: World;
  const clock = new ManualClock();
  before(async () => {
    t = await startRegistry(backend, { clock });
    w = await world(t);
  });
  after(async () => t?.close());

  async function publishPack(nodeId: string, files: Record<string, string | Buffer> = PACK) {
    const { signedUrl, node_version } = await publish(t, w, nodeId, '1.0.0');
    assert.equal((await upload(t, signedUrl, await zipOf(files))).status, 200);
    return node_version.id;
  }

  it('indexes an upload with the in-process worker: publish → upload → comfy nodes stored', async () => {
    const worker = new Worker({ source: new LocalJobSource(t.reg, 'in-process', 60), extractor: inlineExtractor, pollMs: 60_000 });
    const nudge = () => worker.nudge();
    t.reg.events.on('jobQueued', nudge);
    void worker.start();
    try {
      const versionId = await publishPack('inproc-pack');
      await whenChanged(t.reg, 'extraction', async () => (await extractStatus(t, 'inproc-pack')).comfy_node_extract_status === 'success');
      const listed = await json(t, 'GET', '/nodes/inproc-pack/versions/1.0.0/comfy-nodes?limit=256');
      assert.equal(listed.status, 200);
      assert.deepEqual(
        listed.body.comfy_nodes.map((n: { comfy_node_name: string }) => n.comfy_node_name),
        ['BlurPack', 'SharpenPack'],
      );
      assert.equal(listed.body.comfy_nodes[0].function, 'run');
      assert.equal((await json(t, 'GET', '/comfy-nodes/SharpenPack/node')).body.id, 'inproc-pack');
      const rows = await comfyRows(t, versionId);
      assert.deepEqual(
        rows.map((r) => r.comfy_node_name),
        ['BlurPack', 'SharpenPack'],
      );
      assert.deepEqual(JSON.parse(rows[0].input_types), {
        required: { image: ['IMAGE'], radius: ['INT', { default: 1, min: 0, max: 64 }] },
      });
      assert.equal(rows[0].display_name, 'Blur (pack)');
      assert.equal(rows[1].return_names, '["sharp"]');
      assert.equal(rows[1].category, 'image/filters', 'inherited from the base class');
      assert.equal(await job(t, versionId), undefined, 'the job is gone once the result is stored');

      // A pack without nodes and a file that is no zip are reported as failures, as upstream does.
      const empty = await publishPack('empty-pack', { 'empty-pack/__init__.py': 'print("hello")\n' });
      await whenChanged(t.reg, 'empty pack', async () => (await extractStatus(t, 'empty-pack')).comfy_node_extract_status !== 'pending');
      assert.deepEqual(await extractStatus(t, 'empty-pack').then((v) => [v.comfy_node_extract_status, v.comfy_node_extract_reason]), [
        'failed',
        'no comfy nodes found',
      ]);
      assert.equal(await job(t, empty), undefined);

      const { signedUrl } = await publish(t, w, 'junk-pack', '1.0.0');
      assert.equal((await upload(t, signedUrl, Buffer.from('this is not a zip file at all'))).status, 200);
      await whenChanged(t.reg, 'junk archive', async () => (await extractStatus(t, 'junk-pack')).comfy_node_extract_status !== 'pending');
      assert.equal((await extractStatus(t, 'junk-pack')).comfy_node_extract_status, 'invalid_format');

      // Re-extraction: DELETE resets the version and queues it again.
      assert.equal((await json(t, 'DELETE', '/nodes/inproc-pack/versions/1.0.0/comfy-nodes', undefined, t.serviceToken)).status, 204);
      await whenChanged(
        t.reg,
        're-extraction',
        async () => (await extractStatus(t, 'inproc-pack')).comfy_node_extract_status === 'success',
      );
      assert.equal((await comfyRows(t, versionId)).length, 2);
    } finally {
      await worker.stop();
      t.reg.events.off('jobQueued', nudge);
    }
  });

  it("runs workers as separate processes over HTTP: a killed worker's job is retried once its lease expires", async () => {
    const base = t.url;
    // A proxy that never answers archive downloads, so the first worker is mid-job when killed.
    const stalled: http.ServerResponse[] = [];
    let onStall: () => void = () => {};
    const firstStall = new Promise<void>((resolve) => (onStall = resolve));
    const proxy = http.createServer((req, res) => {
      if (req.url?.startsWith('/archives/')) {
        stalled.push(res);
        return onStall();
      }
      const upstream = http.request(base + req.url, { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const versionId = await publishPack('killed-pack');
    const first = spawnWorker(proxyUrl, t.serviceToken, ['--lease-seconds', '60']);
    let second: ChildProcess | undefined;
    try {
      await firstStall;
      const leased = (await job(t, versionId))!;
      assert.equal(leased.state, 'running');
      assert.equal(leased.attempts, 1);
      await stopProcess(first, 'SIGKILL');
      // The lease runs out on the registry's clock; nobody waits a real minute.
      clock.advance(61_000);
      second = spawnWorker(base, t.serviceToken);
      await whenChanged(
        t.reg,
        'retry',
        async () => (await extractStatus(t, 'killed-pack')).comfy_node_extract_status === 'success',
        60_000,
      );
      assert.deepEqual(
        (await comfyRows(t, versionId)).map((r) => r.comfy_node_name),
        ['BlurPack', 'SharpenPack'],
      );
      assert.equal(await job(t, versionId), undefined);
      const listed = await fetch(`${base}/nodes/killed-pack/versions/1.0.0/comfy-nodes`).then((r) => r.json());
      assert.equal(listed.comfy_nodes.length, 2);
      // The same worker takes the next upload without being started again.
      const next = await publishPack('remote-pack');
      await whenChanged(
        t.reg,
        'remote extraction',
        async () => (await extractStatus(t, 'remote-pack')).comfy_node_extract_status === 'success',
        60_000,
      );
      assert.equal((await comfyRows(t, next)).length, 2);
      await stopProcess(second);
      assert.equal(second.exitCode, 0, 'the worker stops cleanly on SIGTERM');
    } finally {
      await stopProcess(first, 'SIGKILL');
      if (second) await stopProcess(second);
      for (const res of stalled) res.destroy();
      await new Promise((r) => proxy.close(r));
    }
  });

  it('marks a job failed with its last reason after three failed attempts', async () => {
    const versionId = await publishPack('broken-pack');
    const { archive_key } = await t.database.db
      .selectFrom('node_versions')
      .select('archive_key')
      .where('id', '=', versionId)
      .executeTakeFirstOrThrow();
    await t.reg.store.delete(archive_key!);
    const worker = new Worker({ source: new LocalJobSource(t.reg, 'failing', 60), extractor: inlineExtractor });
    for (let attempt = 1; attempt <= 3; attempt++) {
      assert.equal(await worker.runOnce(), true);
      const j = (await job(t, versionId))!;
      assert.equal(j.attempts, attempt);
      assert.equal(j.state, attempt < 3 ? 'queued' : 'failed');
      assert.match(j.last_error, /missing from the store/);
    }
    assert.equal(await worker.runOnce(), false, 'a failed job is not leased again');
    await worker.stop();
    const v = await extractStatus(t, 'broken-pack');
    assert.equal(v.comfy_node_extract_status, 'failed');
    assert.match(v.comfy_node_extract_reason, /missing from the store/);
  });

  it('gives up on a job whose leases keep expiring without a report', async () => {
    const versionId = await publishPack('silent-pack');
    const lease = () => json(t, 'POST', '/extraction-jobs/lease', { worker: 'ghost', lease_seconds: 1 }, t.serviceToken);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const res = await lease();
      assert.equal(res.status, 200);
      assert.equal(res.body.node_version_id, versionId);
      assert.equal(res.body.attempts, attempt);
      assert.equal((await lease()).status, 204, 'a held lease is not handed out twice');
      clock.advance(1_001);
    }
    assert.equal((await lease()).status, 204, 'the fourth expiry gives up instead of leasing again');
    assert.equal((await job(t, versionId))?.state, 'failed');
    const v = await extractStatus(t, 'silent-pack');
    assert.equal(v.comfy_node_extract_status, 'failed');
    assert.match(v.comfy_node_extract_reason, /did not finish after 3 attempts/);
  });

  it('backfills pending versions that have an archive and no job', async () => {
    const versionId = await publishPack('backfill-pack');
    await t.database.db.deleteFrom('extraction_jobs').execute();
    assert.equal((await json(t, 'POST', '/comfy-nodes/backfill?max_node=0', undefined, t.serviceToken)).status, 400);
    assert.equal((await json(t, 'POST', '/comfy-nodes/backfill', undefined, t.serviceToken)).status, 204);
    const queued = await job(t, versionId);
    assert.equal(queued?.state, 'queued');
    const worker = new Worker({ source: new LocalJobSource(t.reg, 'backfill', 60), extractor: inlineExtractor });
    while (await worker.runOnce()) {}
    await worker.stop();
    assert.equal((await extractStatus(t, 'backfill-pack')).comfy_node_extract_status, 'success');
  });
});
