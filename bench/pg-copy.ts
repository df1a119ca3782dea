/**
 * Copies a generated SQLite registry into a private schema of a PostgreSQL database, so the same
 * deterministic registry can be measured on both. The schema is made by the product's migrations;
 * rows go over in multi-row inserts, table by table, in one transaction.
 */
import SQLite from 'better-sqlite3';
import os from 'node:os';
import pg from 'pg';
import { openDatabase } from '../src/db/database.js';

const TABLES = ['users', 'publishers', 'publisher_members', 'access_tokens', 'nodes', 'node_versions', 'comfy_nodes'];
/** PostgreSQL takes at most 65,535 parameters per statement. */
const MAX_PARAMETERS = 60_000;

export async function copyToPostgres(sqliteFile: string, url: string, schema: string): Promise<void> {
  const handle = await openDatabase({ url, dataDir: os.tmpdir(), schema });
  await handle.close();
  const src = new SQLite(sqliteFile, { readonly: true });
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    await client.query('BEGIN');
    // The change-notification triggers would send one NOTIFY per statement to nobody listening yet.
    await client.query("SET LOCAL session_replication_role = 'replica'");
    for (const table of TABLES) {
      const columns = (src.prepare(`pragma table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
      if (columns.length === 0) continue;
      const perStatement = Math.floor(MAX_PARAMETERS / columns.length);
      let batch: unknown[][] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        const values = batch.map((_, i) => `(${columns.map((_, k) => `$${i * columns.length + k + 1}`).join(',')})`).join(',');
        await client.query(`INSERT INTO ${table} (${columns.join(',')}) VALUES ${values}`, batch.flat());
        batch = [];
      };
      for (const row of src
        .prepare(`select ${columns.join(',')} from ${table}`)
        .raw()
        .iterate() as Iterable<unknown[]>) {
        batch.push(row);
        if (batch.length === perStatement) await flush();
      }
      await flush();
    }
    await client.query('COMMIT');
    await client.query('ANALYZE');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    src.close();
    await client.end();
  }
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
