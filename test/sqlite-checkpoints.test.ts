import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../src/db/database.js';

describe('SQLite write-ahead log', () => {
  it('is checkpointed after writes, outside the committing transaction, so it stays bounded', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-wal-'));
    const database = await openDatabase({ dataDir: dir });
    try {
      const wal = path.join(dir, 'comfyreg.sqlite-wal');
      const big = 'x'.repeat(1024 * 1024);
      let largest = 0;
      for (let i = 0; i < 24; i++) {
        await database.db
          .insertInto('publishers')
          .values({
            id: `p${i}`,
            name: 'p',
            description: big,
            website: '',
            support: '',
            source_code_repo: '',
            logo: '',
            status: 'PublisherStatusActive',
            created_at: '',
          })
          .execute();
        await database.settled();
        largest = Math.max(largest, fs.statSync(wal).size);
      }
      // 24 MiB went through the log; without checkpoints it would hold all of it.
      assert.ok(largest < 12 * 1024 * 1024, `the log grew to ${largest} bytes`);
      const { rows } = await import('kysely').then(({ sql }) =>
        sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute(database.db),
      );
      assert.equal(rows[0].wal_autocheckpoint, 0, 'SQLite does not checkpoint inside commits');
    } finally {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
