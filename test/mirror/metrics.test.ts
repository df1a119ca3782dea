import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { json } from '../helpers/flow.js';
import { mirrorPair, publishUpstream, type MirrorPair } from './helpers.js';

const MAX_AGE = 120_000;

/** `name{labels} value` of one scrape, by series name and its labels as written. */
async function scrape(t: TestRegistry): Promise<Map<string, number>> {
  const res = await t.app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  const out = new Map<string, number>();
  for (const line of res.body.split('\n')) {
    const m = /^(comfyreg_uplink_[a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

forEachBackend('mirror uplink metrics', (backend) => {
  let p: MirrorPair;
  before(async () => {
    p = await mirrorPair(backend, { uplinkMaxAge: MAX_AGE / 1000, uplinkMaxFails: 2 });
    await publishUpstream(p.up, p.upWorld, 'metered-pack', '1.0.0', { comfyNodes: ['MeteredBlur'] });
  });
  after(() => p?.close());

  it('reports the uplink up, then its failures, the open breaker and the reads by outcome', async () => {
    let m = await scrape(p.mirror);
    assert.equal(m.get('comfyreg_uplink_up'), 1);
    assert.equal(m.get('comfyreg_uplink_breaker_open'), 0);
    assert.equal(m.get('comfyreg_uplink_last_success_timestamp_seconds'), undefined, 'absent before the first success');

    assert.equal((await json(p.mirror, 'GET', '/nodes/metered-pack')).status, 200);
    assert.equal((await json(p.mirror, 'GET', '/nodes/metered-pack')).status, 200);
    m = await scrape(p.mirror);
    assert.equal(m.get('comfyreg_uplink_reads_total{outcome="revalidated"}'), 1);
    assert.equal(m.get('comfyreg_uplink_reads_total{outcome="fresh"}'), 1);
    assert.equal(m.get('comfyreg_uplink_last_success_timestamp_seconds'), p.clock.now() / 1000);
    assert.equal(m.get('comfyreg_uplink_consecutive_failures'), 0);

    await p.proxy.stop();
    p.clock.advance(MAX_AGE + 1);
    assert.equal((await json(p.mirror, 'GET', '/nodes/metered-pack')).headers['x-comfyreg-uplink'], 'stale');
    assert.equal((await json(p.mirror, 'GET', '/nodes/never-seen')).status, 502);
    m = await scrape(p.mirror);
    assert.equal(m.get('comfyreg_uplink_consecutive_failures'), 2);
    assert.equal(m.get('comfyreg_uplink_breaker_open'), 1);
    assert.equal(m.get('comfyreg_uplink_up'), 0);
    assert.equal(m.get('comfyreg_uplink_reads_total{outcome="stale"}'), 1);
    assert.equal(m.get('comfyreg_uplink_reads_total{outcome="error"}'), 1);
  });

  it('has no uplink series on a registry without an uplink', async () => {
    const plain = await startRegistry(backend);
    try {
      assert.deepEqual([...(await scrape(plain)).keys()], []);
    } finally {
      await plain.close();
    }
  });
});
