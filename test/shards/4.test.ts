// One process for several test files: the TypeScript and the server's modules load once (see test/shards.test.ts).
import '../bad-input.test.js';
import '../no-5xx.test.js';
import '../limits.test.js';
import '../read-cache.test.js';
import '../cache-keys.test.js';
import '../extract/archive.test.js';
import '../registry/publishing.test.js';
import '../registry/operations.test.js';
