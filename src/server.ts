import type http from 'node:http';
import pino from 'pino';
import type { DatabaseHandle } from './db/database.js';
import { bindServer, buildApp, type App } from './http/app.js';
import { reclaimOrphanedLeases } from './registry/extraction-queue.js';
import type { Clock, Registry } from './registry/registry.js';
import type { Config } from './settings/index.js';
import { gitDir, openRegistry, saveAdminToken } from './setup.js';
import { LocalJobSource } from './jobs/local-job-source.js';
import { Worker, workerId } from './jobs/worker.js';
import { MirrorExtraction } from './jobs/mirror-extraction.js';
import { ThreadExtractor } from './jobs/thread-extractor.js';
import { tuneForServing } from './v8-flags.js';

export interface RunningServer {
  app: App;
  reg: Registry;
  database: DatabaseHandle;
  /** Where this process listens (not necessarily the public URL). */
  url: string;
  /**
   * Stops accepting connections, lets in-flight requests and the worker's current job finish for up
   * to `graceMs` (the `shutdownGrace` setting by default), gives an unfinished job back, then closes.
   */
  close(graceMs?: number): Promise<void>;
}

export interface ServerOptions {
  clock?: Clock;
  /** Lines for the operator who started the server (stderr by default): the generated admin token, waits. */
  notice?: (line: string) => void;
}

/** Counts requests being answered, to know when a closing server has drained. */
function trackInFlight(server: http.Server): { idle(): Promise<void> } {
  let active = 0;
  let waiters: (() => void)[] = [];
  server.on('request', (_req, res) => {
    active++;
    res.once('close', () => {
      active--;
      if (active === 0) {
        for (const w of waiters) w();
        waiters = [];
      }
    });
  });
  return { idle: () => (active === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))) };
}

/** Resolves with `true` when `p` settles within `ms`, else `false`. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const done = await Promise.race([p.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  clearTimeout(timer);
  return done;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** `comfyreg serve`: bind, set up the registry with the URL it is reached at, then answer. */
export async function startServer(config: Config, opts: ServerOptions = {}): Promise<RunningServer> {
  tuneForServing();
  const notice = opts.notice ?? ((line: string) => process.stderr.write(`${line}\n`));
  const log = pino({
    level: config.logLevel,
    redact: { paths: ['req.headers.authorization', 'personal_access_token', 'token'], remove: true },
  });
  const { server, port } = await bindServer(config.port, config.host);
  const inFlight = trackInFlight(server);
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
    await new Promise((resolve) => server.close(resolve));
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
    rateLimits: { perAddress: config.rateLimit, perToken: config.rateLimitToken, windowSeconds: config.rateLimitWindow },
    trustProxy: config.trustProxy,
    downloads: config.downloads,
    metricsToken: config.metricsToken,
    pool: database.pool,
    gitDir: gitDir(config),
    logger: {
      level: config.logLevel,
      serializers: {
        // Signed upload URLs carry a capability in their query string: log the path only.
        req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url.split('?')[0] }),
      },
    },
  });
  await app.ready();
  // Leases an earlier run of this instance left behind are queued again now, not when they expire.
  const reclaimed = await reclaimOrphanedLeases(reg, config.instanceId, isAlive);
  if (reclaimed > 0) log.info({ reclaimed }, 'queued again the extraction jobs an earlier run left leased');
  const worker = config.worker
    ? new Worker({
        source: new LocalJobSource(reg, workerId(config.instanceId), config.leaseSeconds),
        log: log.child({ component: 'worker' }),
      })
    : null;
  if (worker) {
    reg.events.on('jobQueued', () => worker.nudge());
    void worker.start();
  }
  // Mirror mode: upstream versions without comfy nodes are extracted here once their archive is stored.
  const mirrorExtractor = reg.uplink && config.worker ? new ThreadExtractor() : null;
  const mirrorExtraction = mirrorExtractor ? new MirrorExtraction(reg, mirrorExtractor, log.child({ component: 'mirror' })).start() : null;
  log.info({ database: database.describe, url, publicUrl: reg.publicUrl, uplink: config.uplink }, 'comfyreg listening');
  let closing: Promise<void> | null = null;
  const close = async (graceMs: number) => {
    const stopping = worker?.stop(graceMs);
    server.close();
    server.closeIdleConnections();
    if (!(await within(inFlight.idle(), graceMs)))
      log.warn({ graceMs }, 'requests still running after the grace period; closing their connections');
    server.closeAllConnections();
    await stopping;
    await mirrorExtraction?.stop();
    await mirrorExtractor?.close();
    await app.close();
    await opened.close();
    log.info({}, 'comfyreg stopped');
  };
  return {
    app,
    reg,
    database,
    url,
    close: (graceMs = config.shutdownGrace * 1000) => (closing ??= close(graceMs)),
  };
}
