import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import type { Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/database.js';
import { buildApp, type App } from './http/app.js';
import { createRegistry, ensureGeneratedAdminToken, type Registry } from './registry/registry.js';
import { LocalArchiveStore } from './storage/local-archive-store.js';
import { LocalJobSource } from './jobs/local-job-source.js';
import { Worker, workerId } from './jobs/worker.js';

export interface RunningServer {
  app: App;
  reg: Registry;
  database: DatabaseHandle;
  url: string;
  close(): Promise<void>;
}

/** First start without COMFYREG_ADMIN_TOKEN: generate one, keep it (0600) and say it once. */
async function bootstrapAdminToken(reg: Registry, config: Config, log: pino.Logger): Promise<void> {
  if (config.adminToken) return;
  const token = await ensureGeneratedAdminToken(reg);
  if (!token) return;
  const file = path.join(config.dataDir, 'admin-token');
  fs.mkdirSync(config.dataDir, { recursive: true });
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  process.stderr.write(`\ncomfyreg: generated an admin token (also saved to ${file}, mode 0600):\n\n  ${token}\n\n`);
  log.info({ file }, 'generated admin token');
}

export async function startServer(config: Config): Promise<RunningServer> {
  const log = pino({
    level: config.logLevel,
    redact: { paths: ['req.headers.authorization', 'personal_access_token', 'token'], remove: true },
  });
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  const store = new LocalArchiveStore(path.join(config.dataDir, 'archives'));
  const reg = await createRegistry({
    database,
    store,
    publicUrl: config.publicUrl,
    review: config.review,
    adminToken: config.adminToken,
    serviceTokens: config.serviceTokens,
  });
  await bootstrapAdminToken(reg, config, log);
  const app = await buildApp(reg, {
    maxBody: config.maxBody,
    maxArchive: config.maxArchive,
    readCache: config.readCache,
    logger: {
      level: config.logLevel,
      serializers: {
        // Signed upload URLs carry a capability in their query string: log the path only.
        req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url.split('?')[0] }),
      },
    },
  });
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await app.close();
    await database.close();
    throw err;
  }
  const worker = config.worker ? new Worker({ source: new LocalJobSource(reg, workerId(), 300), log: log.child({ component: 'worker' }) }) : null;
  if (worker) {
    reg.onJobQueued = () => worker.nudge();
    worker.start();
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ database: database.describe, url: `http://${config.host}:${port}`, publicUrl: config.publicUrl }, 'comfyreg listening');
  return {
    app,
    reg,
    database,
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    close: async () => {
      await worker?.stop();
      await app.close();
      await database.close();
    },
  };
}
