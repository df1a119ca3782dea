import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type http from 'node:http';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { bindServer, buildApp, type App } from '../../src/http/app.js';
import type { RateLimits } from '../../src/http/rate-limits.js';
import { createRegistry, type Clock, type Registry } from '../../src/registry/registry.js';
import { LocalArchiveStore } from '../../src/storage/local-archive-store.js';
import type { ArchiveStore } from '../../src/storage/archive-store.js';
import type { DownloadMode } from '../../src/http/routes/archives.js';
import { mirrorOptions } from '../../src/setup.js';
import { parseCommandLine } from '../../src/settings/index.js';
import type { UplinkConfig } from '../../src/settings/uplink.js';

export type Backend = 'sqlite' | 'postgres';

export const PG_URL = process.env.COMFYREG_TEST_DATABASE_URL;
export const PG_SKIP = PG_URL ? false : 'PostgreSQL suite skipped: COMFYREG_TEST_DATABASE_URL is not set';
/** Every suite runs once per backend; `skip` says why PostgreSQL did not run. */
export const BACKENDS: { name: Backend; skip: string | false }[] = [
  { name: 'sqlite', skip: false },
  { name: 'postgres', skip: PG_SKIP },
];

/**
 * `describe(title (backend), fn)` once per backend. A backend that cannot run gets one skipped
 * test in its place, so the runner's summary counts it as skipped (a skipped suite is not counted).
 */
export function forEachBackend(title: string, fn: (backend: Backend) => void): void {
  for (const b of BACKENDS) {
    if (b.skip) it(`${title} (${b.name})`, { skip: b.skip }, () => {});
    else describe(`${title} (${b.name})`, () => fn(b.name));
  }
}

/** A suite that needs PostgreSQL; without it, one skipped test stands in its place (counted as skipped). */
export function postgresOnly(title: string, fn: () => void): void {
  if (PG_SKIP) it(title, { skip: PG_SKIP }, () => {});
  else describe(title, fn);
}

export interface TestRegistry {
  app: App;
  reg: Registry;
  database: DatabaseHandle;
  dataDir: string;
  adminToken: string;
  serviceToken: string;
  /** The real port it listens on; signed URLs and downloadUrls point here. */
  url: string;
  /** The same URL (the server listens from the start). */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface TestOptions {
  review?: boolean;
  maxBody?: number;
  maxArchive?: number;
  clock?: Clock;
  readCache?: number;
  store?: ArchiveStore;
  rateLimits?: RateLimits;
  downloads?: DownloadMode;
  metricsToken?: string;
  /** How long download counts gather before they are written (the registry's default when absent). */
  downloadFlushMs?: number;
  /** Receives the server's log lines (JSON, level info and up). */
  log?: (line: string) => void;
  /** Mirror mode: the uplink settings (see src/settings/uplink.ts), seconds as there. */
  uplink?: Partial<UplinkConfig> & { uplink: string };
}

export async function startRegistry(backend: Backend, opts: TestOptions = {}): Promise<TestRegistry> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-test-'));
  const database = await openDatabase(
    backend === 'postgres' ? { url: PG_URL, dataDir, schema: `t_${randomBytes(6).toString('hex')}`, dropSchemaOnClose: true } : { dataDir },
  );
  const adminToken = `admin-${randomBytes(16).toString('hex')}`;
  const serviceToken = `service-${randomBytes(16).toString('hex')}`;
  const { server, port } = await bindServer(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  try {
    return await assemble();
  } catch (err) {
    await closeServer(server);
    await database.close();
    throw err;
  }

  async function assemble(): Promise<TestRegistry> {
    const reg = await createRegistry({
      database,
      store: opts.store ?? new LocalArchiveStore(path.join(dataDir, 'archives')),
      publicUrl: url,
      review: opts.review,
      adminToken,
      serviceTokens: ['other-service-token', serviceToken],
      clock: opts.clock,
      uplink: opts.uplink ? testMirror(opts) : undefined,
      downloadFlushMs: opts.downloadFlushMs,
    });
    const level = process.env.COMFYREG_TEST_LOG;
    const app = await buildApp(reg, {
      server,
      logger: opts.log ? { level: 'info', stream: { write: opts.log } } : level ? { level } : false,
      maxBody: opts.maxBody ?? 16 * 1024 * 1024,
      maxArchive: opts.maxArchive ?? 100 * 1024 * 1024,
      readCache: opts.readCache,
      rateLimits: opts.rateLimits,
      downloads: opts.downloads,
      metricsToken: opts.metricsToken,
      pool: database.pool,
      gitDir: path.join(dataDir, 'git'),
    });
    await app.ready();
    return {
      app,
      reg,
      database,
      dataDir,
      adminToken,
      serviceToken,
      url,
      listen: async () => url,
      async close() {
        await closeServer(server);
        await app.close();
        await database.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
}

/** The mirror options `serve` would build from these uplink settings (defaults for the rest). */
function testMirror(opts: TestOptions) {
  const config = { ...parseCommandLine('serve', [], {}).config, ...opts.uplink, maxArchive: opts.maxArchive ?? 100 * 1024 * 1024 };
  const lines = opts.log ?? (() => {});
  const log = {
    info: (o: object, msg: string) => lines(JSON.stringify({ level: 30, ...o, msg })),
    warn: (o: object, msg: string) => lines(JSON.stringify({ level: 40, ...o, msg })),
    error: (o: object, msg: string) => lines(JSON.stringify({ level: 50, ...o, msg })),
  };
  return mirrorOptions(config, log, opts.clock ? () => opts.clock!.now() : Date.now);
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Resolves once `check()` holds, re-checking after every change the registry's change feed sees
 * (no timer): for work that ends in a write, such as an extraction being stored.
 */
export async function whenChanged<T>(
  reg: Registry,
  what: string,
  check: () => Promise<T | undefined | null | false>,
  ms = 30_000,
): Promise<T> {
  const first = await check();
  if (first) return first;
  return new Promise<T>((resolve, reject) => {
    let busy = false;
    let again = false;
    const timer = setTimeout(() => finish(new Error(`gave up waiting for ${what}`)), ms);
    const finish = (err: Error | null, value?: T) => {
      clearTimeout(timer);
      reg.changes.offChange(onChange);
      if (err) reject(err);
      else resolve(value as T);
    };
    const onChange = () => {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      void (async () => {
        do {
          again = false;
          const v = await check().catch(() => undefined);
          if (v) return finish(null, v);
        } while (again);
        busy = false;
      })();
    };
    reg.changes.onChange(onChange);
  });
}

/** Row counts of every table, to show that a refused request changed nothing. */
export async function tableCounts(t: TestRegistry): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of [
    'users',
    'publishers',
    'publisher_members',
    'access_tokens',
    'nodes',
    'node_versions',
    'comfy_nodes',
    'extraction_jobs',
  ] as const) {
    const row = await t.database.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  return out;
}

/** A fingerprint of every version row and comfy node, for "the database is unchanged" checks. */
export async function snapshot(t: TestRegistry): Promise<string> {
  const versions = await t.database.db.selectFrom('node_versions').selectAll().orderBy('id').execute();
  const nodes = await t.database.db.selectFrom('comfy_nodes').selectAll().orderBy('node_version_id').orderBy('comfy_node_name').execute();
  return JSON.stringify({ counts: await tableCounts(t), versions, nodes });
}
