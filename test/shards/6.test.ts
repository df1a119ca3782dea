// One process for several test files: the TypeScript and the server's modules load once (see test/shards.test.ts).
import '../manager-channel.test.js';
import '../git-repos.test.js';
import '../registry/git-history.test.js';
