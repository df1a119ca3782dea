import assert from 'node:assert/strict';
import { Worker } from '../../src/jobs/worker.js';
import { LocalJobSource } from '../../src/jobs/local-job-source.js';
import { inlineExtractor } from './extractor.js';
import { json, publishBody, upload, zipOf, type World } from './flow.js';
import type { TestRegistry } from './registry.js';

/** A pack source defining the given comfy nodes, as `__init__.py`. */
export function packSource(nodeNames: string[]): string {
  const classes = nodeNames.map((n) => `class ${n}:\n    RETURN_TYPES = ("IMAGE",)\n    FUNCTION = "run"\n    CATEGORY = "test"\n`);
  return `${classes.join('\n')}\nNODE_CLASS_MAPPINGS = {${nodeNames.map((n) => `"${n}": ${n}`).join(', ')}}\n`;
}

/** Publishes `nodeId@version` with `changelog` and uploads a zip of `files`; returns the zip. */
export async function publishFiles(
  t: TestRegistry,
  w: World & { pub: string },
  nodeId: string,
  version: string,
  files: Record<string, string | Buffer>,
  changelog = '',
): Promise<Buffer> {
  const body = publishBody(w.pat, nodeId, version);
  body.node_version.changelog = changelog;
  const res = await json(t, 'POST', `/publishers/${w.pub}/nodes/${nodeId}/versions`, body);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const zip = await zipOf(files);
  const up = await upload(t, res.body.signedUrl, zip);
  assert.equal(up.status, 200, JSON.stringify(up.body));
  return zip;
}

/** Runs every queued extraction job with the real extractor, in this thread. */
export async function extractQueued(t: TestRegistry): Promise<void> {
  const worker = new Worker({ source: new LocalJobSource(t.reg, 'git-test', 60), extractor: inlineExtractor });
  while (await worker.runOnce()) {}
  await worker.stop();
}
