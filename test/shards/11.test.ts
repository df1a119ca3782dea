// One process for several test files: the TypeScript and the server's modules load once (see test/shards.test.ts).
import '../mirror/git.test.js';
