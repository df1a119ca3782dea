import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ThreadExtractor } from '../src/jobs/thread-extractor.js';
import { zipOf } from './helpers/flow.js';

const pack = () =>
  zipOf({
    'p/__init__.py': `
class Invert:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",)}}
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "run"
NODE_CLASS_MAPPINGS = {"Invert": Invert}
`,
  });

describe('extraction thread', () => {
  it('extracts off the main thread and gives the same body as a direct call', async () => {
    const { extractPack } = await import('../src/extract/index.js');
    const zip = await pack();
    const threads = new ThreadExtractor();
    try {
      const viaThread = await threads.extract(zip);
      assert.deepEqual(viaThread.body, (await extractPack({ zip })).body);
      assert.deepEqual(Object.keys(viaThread.body.nodes), ['Invert']);
    } finally {
      await threads.close();
    }
  });

  it('reports a pack that runs out of time as a failure; queued extractions each get an answer', async () => {
    const threads = new ThreadExtractor({ maxHeapMb: 256, timeoutMs: 1 });
    try {
      const slow = await threads.extract(await pack());
      assert.equal(slow.body.success, false);
      assert.match(slow.body.reason ?? '', /took longer than/);
    } finally {
      await threads.close();
    }
    const again = new ThreadExtractor();
    try {
      const results = await Promise.all([again.extract(await pack()), again.extract(await pack())]);
      assert.deepEqual(
        results.map((r) => r.body.success),
        [true, true],
        'queued extractions each get an answer',
      );
    } finally {
      await again.close();
    }
  });

  it('bounds the memory of the extraction thread', async () => {
    // A heap far too small for the parser: the thread dies, the caller gets a failure, not a crash.
    const threads = new ThreadExtractor({ maxHeapMb: 1, timeoutMs: 60_000 });
    try {
      const res = await threads.extract(await pack());
      if (res.body.success) return assert.fail('a 1 MB heap should not be enough');
      assert.match(res.body.reason ?? '', /memory|stopped|crashed/);
    } finally {
      await threads.close();
    }
  });
});
