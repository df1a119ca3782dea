import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../src/cli.js';
import { CHANGE_KINDS } from '../src/contract/comfy-node-changes.js';
import { forEachBackend, startRegistry, type TestRegistry } from './helpers/registry.js';
import { publisher } from './helpers/comfy-packs.js';
import { publish } from './helpers/flow.js';
import { NEW_PACK, OLD_PACK, assertFixtureReport, publishPack, zipFolder } from './helpers/change-fixtures.js';

async function diff(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (c: Buffer) => (o += c));
  err.on('data', (c: Buffer) => (e += c));
  const code = await main(['diff', ...args], { out, err });
  return { code, out: o, err: e };
}

describe('comfyreg diff on packs', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-diff-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('prints every change as a table and exits 1 when something breaks', async () => {
    const r = await diff(OLD_PACK, NEW_PACK);
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /^NODE\s+CHANGE\s+BREAKS\s+DETAIL$/m);
    for (const kind of Object.keys(CHANGE_KINDS))
      assert.match(r.out, new RegExp(`\\s${kind}\\s+${CHANGE_KINDS[kind as keyof typeof CHANGE_KINDS] ? 'yes' : 'no'}\\s`), kind);
    assert.match(r.out, /^NodeRemoved\s+node_removed\s+yes/m);
    assert.match(r.out, /1 added, 1 removed, 26 changed; breaks workflows saved with the old version\n$/);
  });

  it('prints the API report with --json', async () => {
    const r = await diff('--json', OLD_PACK, NEW_PACK);
    assert.equal(r.code, 1, r.err);
    const report = JSON.parse(r.out);
    assert.deepEqual([report.from, report.to], [OLD_PACK, NEW_PACK]);
    assertFixtureReport(report);
  });

  it('reads zips, and exits 0 when nothing breaks', async () => {
    const zip = path.join(tmp, 'old.zip');
    fs.writeFileSync(zip, await zipFolder(OLD_PACK));
    const same = await diff(zip, OLD_PACK);
    assert.deepEqual([same.code, same.out.trim().split('\n').at(-1)], [0, '0 added, 0 removed, 0 changed; nothing breaks saved workflows']);
    const back = await diff('--json', NEW_PACK, zip);
    assert.equal(back.code, 1, 'going back removes NodeAdded');
  });

  it('exits 2 on a usage or read error', async () => {
    const junk = path.join(tmp, 'junk.zip');
    fs.writeFileSync(junk, 'not a zip');
    for (const args of [
      [OLD_PACK],
      [OLD_PACK, NEW_PACK, OLD_PACK],
      [OLD_PACK, '--nope', NEW_PACK],
      [OLD_PACK, path.join(tmp, 'missing')],
      [junk, OLD_PACK],
      [OLD_PACK, 'pack@1.0.0'],
    ]) {
      const r = await diff(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.out}`);
      assert.ok(r.err.length > 0);
      assert.equal(r.out, '');
    }
  });
});

forEachBackend('comfyreg diff against a registry', (backend) => {
  let t: TestRegistry;
  before(async () => {
    t = await startRegistry(backend, { readCache: 0 });
    const w = await publisher(t, 'diffpub');
    await publishPack(t, w, 'dif', '1.0.0', OLD_PACK);
    await publishPack(t, w, 'dif', '1.1.0', NEW_PACK);
    await publish(t, w, 'dif', '1.2.0', w.pub);
  });
  after(async () => t?.close());

  it('reads {nodeId}@{version} through the registry API', async () => {
    const r = await diff('dif@1.0.0', 'dif@1.1.0', '--registry', t.url, '--json');
    assert.equal(r.code, 1, r.err);
    const report = JSON.parse(r.out);
    assert.deepEqual([report.from, report.to], ['dif@1.0.0', 'dif@1.1.0']);
    assertFixtureReport(report);
  });

  it('finds nothing between a published version and the folder it was made from', async () => {
    const r = await diff(`--registry=${t.url}`, 'dif@1.1.0', NEW_PACK);
    assert.equal(r.code, 0, r.out + r.err);
  });

  it('exits 2 for unknown or unextracted versions and an unreachable registry', async () => {
    for (const args of [
      ['dif@9.9.9', NEW_PACK, '--registry', t.url],
      ['dif@1.2.0', NEW_PACK, '--registry', t.url],
      ['nope@1.0.0', NEW_PACK, '--registry', t.url],
      ['dif@1.0.0', NEW_PACK, '--registry', 'http://127.0.0.1:1'],
    ]) {
      const r = await diff(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.out}`);
      assert.match(r.err, /^comfyreg diff: /);
    }
  });
});
