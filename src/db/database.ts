import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { usePreparedStatements } from './prepared-statements.js';
import type { Database } from './schema.js';
import { migrateToLatest } from './migrations.js';
import { ChangeFeed, ChangeFeedPlugin, listenForChanges } from './change-feed.js';
import { startCheckpoints } from './sqlite-checkpoints.js';
import { waitUntilReachable } from './faults.js';

export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Human-readable location, never including a password. */
  describe: string;
  /** Moves on every write to a table that public reads show, here or (PostgreSQL) elsewhere. */
  changes: ChangeFeed;
  /** Resolves once background upkeep (SQLite's log checkpoint) has caught up with the writes so far. */
  settled(): Promise<void>;
  close(): Promise<void>;
  /** PostgreSQL: the connection pool's figures now (SQLite has one connection and no pool). */
  pool?(): PoolStats;
}

export interface PoolStats {
  max: number;
  /** Connections open, idle or in use. */
  total: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
}

export interface DatabaseOptions {
  /** `postgres://…` selects PostgreSQL; a file path or `sqlite:` URL selects SQLite. */
  url?: string;
  dataDir: string;
  /** PostgreSQL, tests only: a private schema, created when missing. */
  schema?: string;
  /** Tests only: drop that schema on close. */
  dropSchemaOnClose?: boolean;
  /** Where faults of background work go (a checkpoint that failed, a lost change listener). */
  onError?: (err: unknown, context: string) => void;
  /** PostgreSQL: how long to wait at start for a database that does not answer yet (default 0). */
  waitMs?: number;
  /** Told once while waiting for the database at start. */
  onWait?: (message: string) => void;
  /** PostgreSQL `application_name` of the pool's connections (the listener adds `-listener`). */
  applicationName?: string;
}

const logToStderr = (err: unknown, context: string) =>
  process.stderr.write(`comfyreg: ${context}: ${err instanceof Error ? err.message : String(err)}\n`);

// PostgreSQL returns bigint (COUNT(*), SUM) as strings by default; our counts fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));

export function isPostgresUrl(url: string | undefined): boolean {
  return !!url && /^postgres(ql)?:\/\//i.test(url);
}

export async function openDatabase(opts: DatabaseOptions): Promise<DatabaseHandle> {
  const changes = new ChangeFeed();
  const postgres = isPostgresUrl(opts.url);
  const onError = opts.onError ?? logToStderr;
  const handle = postgres ? openPostgres(opts, changes, onError) : openSqlite(opts, changes, onError);
  try {
    if (postgres) {
      await waitUntilReachable(handle.db, handle.describe.replace(/^postgres /, ''), opts.waitMs ?? 0, opts.onWait ?? (() => {}));
      if (opts.schema) await sql.raw(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`).execute(handle.db);
    }
    await migrateToLatest(handle.db, postgres ? opts.schema : undefined);
    if (postgres) {
      const stop = await listenForChanges(opts.url!, opts.schema, changes, onError, `${applicationName(opts)}-listener`);
      const close = handle.close;
      handle.close = async () => {
        await stop();
        await close();
      };
    }
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}

function sqliteFile(opts: DatabaseOptions): string {
  const url = opts.url;
  if (!url) return path.join(opts.dataDir, 'comfyreg.sqlite');
  if (url === ':memory:' || url === 'sqlite::memory:') return ':memory:';
  return url.replace(/^sqlite:(\/\/)?/i, '');
}

function openSqlite(opts: DatabaseOptions, changes: ChangeFeed, onError: (err: unknown, context: string) => void): DatabaseHandle {
  const file = sqliteFile(opts);
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const conn = new SQLite(file);
  conn.pragma('journal_mode = WAL');
  conn.pragma('foreign_keys = ON');
  conn.pragma('busy_timeout = 5000');
  conn.pragma('synchronous = NORMAL');
  if (file !== ':memory:') conn.pragma('wal_autocheckpoint = 0');
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(conn) }),
    plugins: [new ChangeFeedPlugin(changes)],
  });
  if (file === ':memory:')
    return { db, dialect: 'sqlite', describe: 'sqlite :memory:', changes, settled: async () => {}, close: () => db.destroy() };
  const checkpoints = startCheckpoints(db, `${file}-wal`, (err) => onError(err, 'SQLite checkpoint'));
  changes.onChange(checkpoints.written);
  const close = async () => {
    checkpoints.stop();
    await db.destroy();
  };
  return { db, dialect: 'sqlite', describe: `sqlite ${file}`, changes, settled: checkpoints.settled, close };
}

/*
 * Kysely prepares every query anew; compiling SQL is a large part of a small query's cost in
 * SQLite (and of a 1,000-row insert's). Statements are reusable once run, so keep the recent ones.
 */
function withStatementCache(conn: SQLite.Database, max = 256) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => conn.close(),
    prepare(sqlText: string) {
      let stmt = cache.get(sqlText);
      if (stmt) {
        cache.delete(sqlText);
      } else {
        stmt = conn.prepare(sqlText);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
      }
      cache.set(sqlText, stmt);
      return stmt;
    },
  };
}

const applicationName = (opts: DatabaseOptions) => opts.applicationName ?? (opts.schema ? `comfyreg-${opts.schema}` : 'comfyreg');

function openPostgres(opts: DatabaseOptions, changes: ChangeFeed, onError: (err: unknown, context: string) => void): DatabaseHandle {
  const { schema, dropSchemaOnClose: dropSchema = false } = opts;
  const url = opts.url!;
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const max = 10;
  const pool = new pg.Pool({
    connectionString: url,
    max,
    // A database that does not answer costs a request 5 s at most, then a 503, never a hang.
    connectionTimeoutMillis: 5000,
    application_name: applicationName(opts),
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // A connection the server terminates emits 'error': on the pool while idle, on the client while
  // checked out between two statements. Unheard, either would end the process.
  const lost = (err: Error) => onError(err, 'a PostgreSQL connection was lost (the pool replaces it)');
  pool.on('error', lost);
  pool.on('connect', (client) => {
    client.on('error', lost);
    usePreparedStatements(client);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new ChangeFeedPlugin(changes)] });
  const where = new URL(url);
  where.password = '';
  return {
    db,
    dialect: 'postgres',
    describe: `postgres ${where.host}${where.pathname}${schema ? ` (schema ${schema})` : ''}`,
    changes,
    settled: async () => {},
    pool: () => ({ max, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: async () => {
      if (schema && dropSchema)
        await sql
          .raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
          .execute(db)
          .catch((err) => process.stderr.write(`comfyreg: could not drop test schema ${schema}: ${String(err)}\n`));
      await db.destroy();
    },
  };
}

/** True when a database driver reports a unique-constraint violation (SQLite or PostgreSQL). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string } | null;
  return !!e && (e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
}
