import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { buildApp, type App } from '../../src/http/app.js';
import { createRegistry, type Registry } from '../../src/registry/registry.js';
import { LocalArchiveStore } from '../../src/storage/local-archive-store.js';

export type Backend = 'sqlite' | 'postgres';

export const PG_URL = process.env.COMFYREG_TEST_DATABASE_URL;
export const PG_SKIP = PG_URL ? false : 'PostgreSQL suite skipped: COMFYREG_TEST_DATABASE_URL is not set';
/** Every suite runs once per backend; `skip` says why PostgreSQL did not run. */
export const BACKENDS: { name: Backend; skip: string | false }[] = [
  { name: 'sqlite', skip: false },
  { name: 'postgres', skip: PG_SKIP },
];

export interface TestRegistry {
  app: App;
  reg: Registry;
  database: DatabaseHandle;
  dataDir: string;
  adminToken: string;
  serviceToken: string;
  /** Listens on a real port and points signed URLs at it. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface TestOptions {
  review?: boolean;
  maxBody?: number;
  maxArchive?: number;
}

export async function startRegistry(backend: Backend, opts: TestOptions = {}): Promise<TestRegistry> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-test-'));
  const database = await openDatabase(
    backend === 'postgres' ? { url: PG_URL, dataDir, schema: `t_${randomBytes(6).toString('hex')}`, dropSchemaOnClose: true } : { dataDir },
  );
  const adminToken = `admin-${randomBytes(16).toString('hex')}`;
  const serviceToken = `service-${randomBytes(16).toString('hex')}`;
  const reg = await createRegistry({
    database,
    store: new LocalArchiveStore(path.join(dataDir, 'archives')),
    publicUrl: 'http://localhost:8080',
    review: opts.review,
    adminToken,
    serviceTokens: ['other-service-token', serviceToken],
  });
  const level = process.env.COMFYREG_TEST_LOG;
  const app = await buildApp(reg, {
    logger: level ? { level } : false,
    maxBody: opts.maxBody ?? 16 * 1024 * 1024,
    maxArchive: opts.maxArchive ?? 100 * 1024 * 1024,
  });
  await app.ready();
  return {
    app,
    reg,
    database,
    dataDir,
    adminToken,
    serviceToken,
    async listen() {
      if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
      const addr = app.server.address();
      const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
      reg.publicUrl = url;
      return url;
    },
    async close() {
      await app.close();
      await database.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
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
