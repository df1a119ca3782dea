import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHANGE_KINDS, type ChangeKind, type ComfyNodeChanges } from '../../src/contract/comfy-node-changes.js';
import { publish, upload, zipOf } from './flow.js';
import { inlineExtractor } from './extractor.js';
import type { TestRegistry } from './registry.js';
import { LocalJobSource } from '../../src/jobs/local-job-source.js';
import { Worker } from '../../src/jobs/worker.js';

/* The fixture pair test/fixtures/changes/{old,new}: one comfy node per kind of change, named after it. */

export const CHANGES_DIR = fileURLToPath(new URL('../fixtures/changes/', import.meta.url));
export const OLD_PACK = path.join(CHANGES_DIR, 'old');
export const NEW_PACK = path.join(CHANGES_DIR, 'new');

const pascal = (kind: string) => kind.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());

/** Node name → the kinds its change from old to new reports, in order. */
export const EXPECTED_CHANGES: Record<string, ChangeKind[]> = Object.fromEntries(
  (Object.keys(CHANGE_KINDS) as ChangeKind[]).map((k) => [pascal(k), [k]]),
);
// Inserting an optional widget before others adds an input and moves the saved widget values.
EXPECTED_CHANGES.WidgetOrderChanged = ['optional_input_added', 'widget_order_changed'];

export function zipFolder(dir: string): Promise<Buffer> {
  const files: Record<string, Buffer> = {};
  for (const name of fs.readdirSync(dir)) files[`pack/${name}`] = fs.readFileSync(path.join(dir, name));
  return zipOf(files);
}

/** Checks a report from old to new against the fixture's names: every kind, with its breaking flag. */
export function assertFixtureReport(report: ComfyNodeChanges): void {
  assert.deepEqual(report.added, ['NodeAdded']);
  assert.deepEqual(report.removed, ['NodeRemoved']);
  assert.equal(report.breaking, true);
  const got = Object.fromEntries(report.changed.map((c) => [c.name, c.changes.map((x) => x.kind)]));
  assert.deepEqual(got, EXPECTED_CHANGES, 'one node per kind, Unchanged absent');
  for (const node of report.changed) {
    for (const change of node.changes) {
      assert.equal(change.breaking, CHANGE_KINDS[change.kind], `${node.name}: ${change.kind}`);
      assert.ok(change.detail.length > 0);
    }
    assert.equal(
      node.breaking,
      node.changes.some((c) => c.breaking),
    );
  }
}

/** Publishes `dir` as nodeId@version through the publish flow and lets the extractor index it. */
export async function publishPack(t: TestRegistry, w: { pat: string; pub: string }, nodeId: string, version: string, dir: string) {
  const { signedUrl } = await publish(t, { pat: w.pat, userToken: '' }, nodeId, version, w.pub);
  assert.equal((await upload(t, signedUrl, await zipFolder(dir))).status, 200);
  const worker = new Worker({ source: new LocalJobSource(t.reg, 'changes-test', 60), extractor: inlineExtractor, pollMs: 60_000 });
  while (await worker.runOnce()) {}
}
