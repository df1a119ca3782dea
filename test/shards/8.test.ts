// One process for several test files: the TypeScript and the server's modules load once (see test/shards.test.ts).
import '../mirror/uplink-client.test.js';
import '../mirror/reads.test.js';
import '../mirror/resolve-lists.test.js';
import '../mirror/archives.test.js';
import '../mirror/extraction.test.js';
import '../mirror/sync-export.test.js';
