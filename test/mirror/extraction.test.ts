import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend } from '../helpers/registry.js';
import { json } from '../helpers/flow.js';
import { MirrorExtraction } from '../../src/jobs/mirror-extraction.js';
import { ThreadExtractor } from '../../src/jobs/thread-extractor.js';
import { download, mirrorPair, publishUpstream, type MirrorPair } from './helpers.js';

const quiet = { info: () => {}, warn: () => {} };

forEachBackend('mirror extraction of upstream versions without comfy nodes', (backend) => {
  let p: MirrorPair;
  let extractor: ThreadExtractor;
  let extraction: MirrorExtraction;
  before(async () => {
    p = await mirrorPair(backend);
    extractor = new ThreadExtractor();
    extraction = new MirrorExtraction(p.mirror.reg, extractor, quiet).start();
    await publishUpstream(p.up, p.upWorld, 'pending-pack', '1.0.0', { classes: ['MirrorOnlyNode', 'MirrorOther'] });
    await publishUpstream(p.up, p.upWorld, 'extracted-pack', '1.0.0', { comfyNodes: ['UpNode'] });
  });
  after(async () => {
    await extraction?.stop();
    await extractor?.close();
    await p?.close();
  });

  it('extracts a stored upstream archive upstream had no comfy nodes for, and says so', async () => {
    const before = await json(p.mirror, 'GET', '/nodes/pending-pack/versions/1.0.0/comfy-nodes');
    assert.deepEqual(before.body.comfy_nodes, []);
    assert.equal((await json(p.mirror, 'GET', '/comfy-nodes/MirrorOnlyNode/node')).status, 404);

    assert.equal((await download(`${p.mirror.url}/mirror/archives/pending-pack/1.0.0`)).status, 200);
    await extraction.idle();

    const after = await json(p.mirror, 'GET', '/nodes/pending-pack/versions/1.0.0/comfy-nodes');
    assert.deepEqual(
      after.body.comfy_nodes.map((c: { comfy_node_name: string; category: string }) => [c.comfy_node_name, c.category]),
      [
        ['MirrorOnlyNode', 'mirror'],
        ['MirrorOther', 'mirror'],
      ],
    );
    const version = await json(p.mirror, 'GET', '/nodes/pending-pack/versions/1.0.0');
    assert.equal(version.body.comfy_node_extract_status, 'success');
    assert.match(version.body.comfy_node_extract_reason, /extracted by comfyreg/);
    const node = await json(p.mirror, 'GET', '/nodes/pending-pack');
    assert.equal(node.body.latest_version.comfy_node_extract_status, 'success');

    const resolved = await json(p.mirror, 'GET', '/comfy-nodes/MirrorOnlyNode/node');
    assert.equal(resolved.status, 200);
    assert.equal(resolved.body.id, 'pending-pack');
    const bulk = await json(p.mirror, 'POST', '/comfy-nodes/resolve', { names: ['MirrorOther'] });
    assert.deepEqual(bulk.body.results.MirrorOther, { node_id: 'pending-pack', version: '1.0.0', source: 'registry' });
  });

  it("serves upstream's comfy nodes as upstream sent them, and does not extract those versions", async () => {
    assert.equal((await download(`${p.mirror.url}/mirror/archives/extracted-pack/1.0.0`)).status, 200);
    await extraction.idle();
    const list = await json(p.mirror, 'GET', '/nodes/extracted-pack/versions/1.0.0/comfy-nodes');
    assert.deepEqual(
      list.body.comfy_nodes.map((c: { comfy_node_name: string; category: string }) => [c.comfy_node_name, c.category]),
      [['UpNode', 'upstream']],
    );
    const own = await p.mirror.database.db.selectFrom('mirror_extractions').select('node_key').execute();
    assert.deepEqual(
      own.map((r) => r.node_key),
      ['pending-pack'],
    );
  });
});
