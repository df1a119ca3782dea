import os from 'node:os';
import { bool, integer, url, text, ConfigError, setting, type Setting } from './parse.js';
import { DOWNLOAD_FLUSH_MS } from '../registry/registry.js';

// Running it: caching, review, rate limits, the in-process worker, leases, shutdown, logs.

export interface OperationsConfig {
  /** undefined: /metrics is open. */
  metricsToken: string | undefined;
  /** Entries in the in-memory cache of anonymous GET answers; 0 turns it off. */
  readCache: number;
  /** How long download counts gather in memory before one write (ms); 0 writes each before its install is answered. */
  downloadFlushMs: number;
  review: boolean;
  /** Requests per window from one client address without a token; 0: no limit. */
  rateLimit: number;
  /** Requests per window with one user or service token; 0: no limit. */
  rateLimitToken: number;
  rateLimitWindow: number;
  /** Read the client address from X-Forwarded-For (behind a reverse proxy). */
  trustProxy: boolean;
  /** Run the extraction worker inside the server process. */
  worker: boolean;
  leaseSeconds: number;
  /** Names this instance's worker leases (`{instance}/{pid}/…`), so a restart finds its orphans. */
  instanceId: string;
  /** Seconds a stopping process gives in-flight requests and the current job. */
  shutdownGrace: number;
  /** worker: the registry it works for; diff: where it reads `{nodeId}@{version}`. */
  registryUrl: string | undefined;
  pollMs: number;
  logLevel: string;
}

export const OPERATIONS_SETTINGS: Setting[] = [
  setting({
    key: 'metricsToken',
    env: 'COMFYREG_METRICS_TOKEN',
    flag: '--metrics-token',
    commands: ['serve'],
    help: 'bearer token `/metrics` requires (401 without it)',
    shown: 'none (open)',
    fallback: () => undefined,
    parse: text,
  }),
  setting({
    key: 'readCache',
    env: 'COMFYREG_READ_CACHE',
    flag: '--read-cache',
    commands: ['serve'],
    help: 'anonymous GET answers kept in memory; `0` turns the cache off',
    shown: '`20000`',
    fallback: () => 20_000,
    parse: integer(0, 10_000_000),
  }),
  setting({
    key: 'downloadFlushMs',
    env: 'COMFYREG_DOWNLOAD_FLUSH_MS',
    flag: '--download-flush-ms',
    commands: ['serve'],
    help: 'ms download counts gather before one write (a kill -9 loses at most that long of counts); `0` writes each before its install is answered',
    shown: '`250`',
    fallback: () => DOWNLOAD_FLUSH_MS,
    parse: integer(0, 60_000),
  }),
  setting({
    key: 'review',
    env: 'COMFYREG_REVIEW',
    flag: '--review',
    commands: ['serve'],
    help: 'new versions stay `Pending` until an admin approves (true/false)',
    shown: '`false`',
    fallback: () => false,
    parse: bool,
  }),
  setting({
    key: 'rateLimit',
    env: 'COMFYREG_RATE_LIMIT',
    flag: '--rate-limit',
    commands: ['serve'],
    help: 'requests per window from one client address without a token (429 beyond); `0`: no limit',
    shown: '`0`',
    fallback: () => 0,
    parse: integer(0, 10_000_000),
  }),
  setting({
    key: 'rateLimitToken',
    env: 'COMFYREG_RATE_LIMIT_TOKEN',
    flag: '--rate-limit-token',
    commands: ['serve'],
    help: 'requests per window with one user or service token (admins are never limited); `0`: no limit',
    shown: '`0`',
    fallback: () => 0,
    parse: integer(0, 10_000_000),
  }),
  setting({
    key: 'rateLimitWindow',
    env: 'COMFYREG_RATE_LIMIT_WINDOW',
    flag: '--rate-limit-window',
    commands: ['serve'],
    help: "the rate limits' window in seconds",
    shown: '`60`',
    fallback: () => 60,
    parse: integer(1, 86_400),
  }),
  setting({
    key: 'trustProxy',
    env: 'COMFYREG_TRUST_PROXY',
    flag: '--trust-proxy',
    commands: ['serve'],
    help: 'take the client address from X-Forwarded-For (true behind a reverse proxy)',
    shown: '`false`',
    fallback: () => false,
    parse: bool,
  }),
  setting({
    key: 'worker',
    env: 'COMFYREG_WORKER',
    flag: '--worker',
    commands: ['serve'],
    help: 'run the extraction worker in the server process (true/false)',
    shown: '`true`',
    fallback: () => true,
    parse: bool,
  }),
  setting({
    key: 'leaseSeconds',
    env: 'COMFYREG_LEASE_SECONDS',
    flag: '--lease-seconds',
    commands: ['serve', 'worker'],
    help: 'how long a worker holds an extraction job before another may take it',
    shown: '`300`',
    fallback: () => 300,
    parse: integer(1, 3600),
  }),
  setting({
    key: 'instanceId',
    env: 'COMFYREG_INSTANCE_ID',
    flag: '--instance-id',
    commands: ['serve', 'worker'],
    help: 'names this instance in job leases, so that a restart reclaims the leases it left; unique per host',
    shown: 'the host name',
    fallback: () => os.hostname(),
    parse: (t, name) => {
      if (!/^[A-Za-z0-9._-]{1,100}$/.test(t)) throw new ConfigError(`${name} must be 1-100 letters, digits, ".", "_" or "-", got "${t}"`);
      return t;
    },
  }),
  setting({
    key: 'shutdownGrace',
    env: 'COMFYREG_SHUTDOWN_GRACE',
    flag: '--shutdown-grace',
    commands: ['serve', 'worker'],
    help: 'seconds a stopping process (SIGTERM, SIGINT) gives in-flight requests and the current job',
    shown: '`10`',
    fallback: () => 10,
    parse: integer(0, 3600),
  }),
  setting({
    key: 'registryUrl',
    env: 'COMFYREG_REGISTRY_URL',
    flag: '--registry',
    commands: ['worker', 'diff'],
    help: 'the registry a separate worker works for, and the one `diff` reads `{nodeId}@{version}` from',
    shown: 'none (required by worker)',
    fallback: () => undefined,
    parse: url,
  }),
  setting({
    key: 'pollMs',
    env: 'COMFYREG_POLL_MS',
    flag: '--poll-ms',
    commands: ['worker'],
    help: 'how often an idle separate worker asks for a job, in ms',
    shown: '`1000`',
    fallback: () => 1000,
    parse: integer(10, 600_000),
  }),
  setting({
    key: 'logLevel',
    env: 'COMFYREG_LOG_LEVEL',
    flag: '--log-level',
    commands: ['serve', 'worker'],
    help: 'pino log level (`silent` … `trace`)',
    shown: '`info`',
    fallback: () => 'info',
    parse: (t, name) => {
      if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(t))
        throw new ConfigError(`${name} must be a pino level, got "${t}"`);
      return t;
    },
  }),
];
