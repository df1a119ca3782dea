// One process for several test files: the TypeScript and the server's modules load once (see test/shards.test.ts).
import '../ui/browse.test.js';
import '../ui/node-card.test.js';
import '../ui/account.test.js';
import '../ui/admin.test.js';
import '../ui/browser.test.js';
