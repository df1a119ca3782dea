import type http from 'node:http';
import pino from 'pino';
import type { DatabaseHandle } from './db/database.js';
import { bindServer, buildApp, type App } from './http/app.js';
import type { Clock, Registry } from './registry/registry.js';
import type { Config } from './settings.js';
import { openRegistry, saveAdminToken } from './setup.js';
import { LocalJobSource } from './jobs/local-job-source.js';
import { Worker, workerId } from './jobs/worker.js';

export interface RunningServer {
  app: App;
  reg: Registry;
  database: DatabaseHandle;
  /** Where this process listens (not necessarily the public URL). */
  url: string;
  close(): Promise<void>;
}

export interface ServerOptions {
  clock?: Clock;
  /** Lines for the operator who started the server (stderr by default): the generated admin token, waits. */
  notice?: (line: string) => void;
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** `comfyreg serve`: bind, set up the registry with the URL it is reached at, then answer. */
export async function startServer(config: Config, opts: ServerOptions = {}): Promise<RunningServer> {
  const notice = opts.notice ?? ((line: string) => process.stderr.write(`${line}\n`));
  const log = pino({
    level: config.logLevel,
    redact: { paths: ['req.headers.authorization', 'personal_access_token', 'token'], remove: true },
  });
  const { server, port } = await bindServer(config.port, config.host);
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  let opened;
  try {
    opened = await openRegistry(config, {
      publicUrl: config.publicUrl ?? `http://localhost:${port}`,
      clock: opts.clock,
      generateAdminToken: true,
      log,
      notice,
    });
  } catch (err) {
    await closeServer(server);
    throw err;
  }
  const { reg, database, generatedAdminToken } = opened;
  if (generatedAdminToken) {
    const file = saveAdminToken(config, generatedAdminToken);
    notice(`\ncomfyreg: generated an admin token (also saved to ${file}, mode 0600):\n\n  ${generatedAdminToken}\n`);
    log.info({ file }, 'generated admin token');
  }
  const app = await buildApp(reg, {
    server,
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
  await app.ready();
  const worker = config.worker
    ? new Worker({ source: new LocalJobSource(reg, workerId(), config.leaseSeconds), log: log.child({ component: 'worker' }) })
    : null;
  if (worker) {
    reg.events.on('jobQueued', () => worker.nudge());
    void worker.start();
  }
  log.info({ database: database.describe, url, publicUrl: reg.publicUrl }, 'comfyreg listening');
  return {
    app,
    reg,
    database,
    url,
    close: async () => {
      await worker?.stop();
      await closeServer(server);
      await app.close();
      await opened.close();
    },
  };
}
