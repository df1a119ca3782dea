// One process for several test files: the TypeScript and the server's modules load once (see test/shards.test.ts).
import '../hostile-archives.test.js';
import '../publish-flow.test.js';
import '../resolve.test.js';
import '../create-comfy-nodes.test.js';
import '../database-faults.test.js';
import '../registry/comfy-nodes.test.js';
import '../operations.test.js';
