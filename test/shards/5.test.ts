// One process for several test files: the TypeScript and the server's modules load once (see test/shards.test.ts).
import '../type-search.test.js';
import '../comfy-node-changes.test.js';
import '../registry/comfy-node-changes.test.js';
import '../diff-cli.test.js';
