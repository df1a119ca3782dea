// One process for several test files: the TypeScript and the server's modules load once (see test/shards.test.ts).
import '../ui/type-filter-and-changes.test.js';
import '../download-counts.test.js';
