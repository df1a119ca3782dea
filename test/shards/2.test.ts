// One process for several test files: the TypeScript and the server's modules load once (see test/shards.test.ts).
import '../shutdown.test.js';
import '../server.test.js';
import '../thread-extractor.test.js';
import '../sqlite-checkpoints.test.js';
import '../extract/evaluator.test.js';
import '../extract/cli.test.js';
import '../s3-registry.test.js';
import '../readme-walkthrough.test.js';
