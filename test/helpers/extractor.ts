import { extractPack } from '../../src/extract/index.js';
import type { Extractor } from '../../src/jobs/protocol.js';

/**
 * The real extractor, run in this thread: for tests of the pipeline around it, which need not pay
 * for a worker thread each (test/thread-extractor.test.ts and the server's own worker cover threads).
 */
export const inlineExtractor: Extractor = {
  extract: (zip) => extractPack({ zip }),
  close: async () => {},
};
