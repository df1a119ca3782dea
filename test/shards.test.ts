import { it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

/*
 * `npm test` runs test/shards/*.test.ts: a few processes, each importing several test files, so
 * that the TypeScript loader and the server's modules start once per shard instead of once per
 * file (most of the suite's time was that start). Every test file must be in exactly one shard.
 */
const root = path.dirname(new URL(import.meta.url).pathname);

function testFiles(dir: string): string[] {
  return fs
    .readdirSync(path.join(root, dir), { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? ['helpers', 'fixtures', 'shards'].includes(e.name)
          ? []
          : testFiles(path.join(dir, e.name))
        : [path.join(dir, e.name)],
    )
    .filter((f) => f.endsWith('.test.ts'));
}

it('puts every test file in exactly one shard', () => {
  const imported = fs
    .readdirSync(path.join(root, 'shards'))
    .flatMap((s) =>
      [...fs.readFileSync(path.join(root, 'shards', s), 'utf8').matchAll(/import '\.\.\/(.+)\.test\.js';/g)].map((m) => `${m[1]}.test.ts`),
    );
  assert.deepEqual([...imported].sort(), [...new Set(imported)].sort(), 'a file is in two shards');
  assert.deepEqual([...imported].sort(), testFiles('').sort(), 'add the new test file to one of test/shards/*.test.ts');
});
