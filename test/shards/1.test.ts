// One process for several test files: the TypeScript and the server's modules load once (see test/shards.test.ts).
import '../pipeline.test.js';
import '../caching.test.js';
import '../comfy-node-reads.test.js';
import '../auth-matrix.test.js';
import '../settings.test.js';
import '../shards.test.js';
import '../extract/fixtures.test.js';
import '../extract/diagnostics.test.js';
import '../storage/archive-stores.test.js';
