import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isArchiveKey } from './storage/archive-store.js';

/*
 * Every setting, once: its environment variable, its flag, which commands take it, how its text
 * is read, its default and its help. `--help` and the README's table are made from this table
 * (test/settings.test.ts holds the README to it).
 */

export type Command = 'serve' | 'worker' | 'user';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** undefined: the SQLite file in the data folder. */
  databaseUrl: string | undefined;
  /** Seconds to wait at start for a PostgreSQL that does not answer yet. */
  databaseWait: number;
  /** undefined: `http://localhost:<the port it listens on>`. */
  publicUrl: string | undefined;
  adminToken: string | undefined;
  /** serve: tokens the extraction service may use; worker: the first is the one it sends. */
  serviceTokens: string[];
  maxBody: number;
  maxArchive: number;
  /** Where archives live: the data folder, or an S3-compatible bucket. */
  archiveStore: 'local' | 's3';
  /** undefined: AWS itself. */
  s3Endpoint: string | undefined;
  s3Bucket: string | undefined;
  s3Region: string;
  /** Both undefined: the AWS SDK's default credential chain. */
  s3AccessKeyId: string | undefined;
  s3SecretAccessKey: string | undefined;
  s3PathStyle: boolean;
  s3Prefix: string;
  /** Archive downloads stream through comfyreg, or redirect to a presigned URL of the bucket. */
  downloads: 'stream' | 'redirect';
  /** undefined: /metrics is open. */
  metricsToken: string | undefined;
  /** Entries in the in-memory cache of anonymous GET answers; 0 turns it off. */
  readCache: number;
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
  logLevel: string;
  /** worker: the registry it works for. */
  registryUrl: string | undefined;
  pollMs: number;
}

export class ConfigError extends Error {}

interface Setting<K extends keyof Config = keyof Config> {
  key: K;
  env: string;
  flag: string;
  commands: Command[];
  help: string;
  /** The default as the docs show it. */
  shown: string;
  /** The value when the setting is not given (may read settings declared before it). */
  fallback: (c: Partial<Config>) => Config[K];
  parse: (text: string, name: string) => Config[K];
}

const setting = <K extends keyof Config>(s: Setting<K>): Setting => s as unknown as Setting;

function bool(text: string, name: string): boolean {
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off)$/i.test(text)) return false;
  throw new ConfigError(`${name} must be true or false, got "${text}"`);
}

const integer =
  (min: number, max: number) =>
  (text: string, name: string): number => {
    if (!/^\d+$/.test(text)) throw new ConfigError(`${name} must be a whole number, got "${text}"`);
    const n = Number(text);
    if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  };

function url(text: string, name: string): string {
  try {
    new URL(text);
  } catch {
    throw new ConfigError(`${name} is not a URL: "${text}"`);
  }
  return text.replace(/\/+$/, '');
}

const text = (t: string) => t;

const oneOf =
  <T extends string>(values: readonly T[]) =>
  (t: string, name: string): T => {
    if (!(values as readonly string[]).includes(t)) throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${t}"`);
    return t as T;
  };
const list = (t: string) =>
  t
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const MiB = 1024 * 1024;

export const SETTINGS: Setting[] = [
  setting({
    key: 'port',
    env: 'PORT',
    flag: '--port',
    commands: ['serve'],
    help: 'TCP port to listen on',
    shown: '`8080`',
    fallback: () => 8080,
    parse: integer(0, 65535),
  }),
  setting({
    key: 'host',
    env: 'HOST',
    flag: '--host',
    commands: ['serve'],
    help: 'address to bind',
    shown: '`127.0.0.1`',
    fallback: () => '127.0.0.1',
    parse: text,
  }),
  setting({
    key: 'dataDir',
    env: 'COMFYREG_DATA_DIR',
    flag: '--data-dir',
    commands: ['serve', 'user'],
    help: 'SQLite file, archives (in `archives/`), generated admin token',
    shown: '`./data`',
    fallback: () => path.resolve('./data'),
    parse: (t) => path.resolve(t),
  }),
  setting({
    key: 'databaseUrl',
    env: 'COMFYREG_DATABASE_URL',
    flag: '--database-url',
    commands: ['serve', 'user'],
    help: '`postgres://…` selects PostgreSQL',
    shown: 'the SQLite file',
    fallback: () => undefined,
    parse: text,
  }),
  setting({
    key: 'databaseWait',
    env: 'COMFYREG_DATABASE_WAIT',
    flag: '--database-wait',
    commands: ['serve', 'user'],
    help: 'seconds to wait at start for a PostgreSQL that does not answer yet, then exit 1',
    shown: '`30`',
    fallback: () => 30,
    parse: integer(0, 3600),
  }),
  setting({
    key: 'publicUrl',
    env: 'COMFYREG_PUBLIC_URL',
    flag: '--public-url',
    commands: ['serve', 'user'],
    help: 'base of `signedUrl` and `downloadUrl`',
    shown: '`http://localhost:$PORT`',
    fallback: () => undefined,
    parse: url,
  }),
  setting({
    key: 'adminToken',
    env: 'COMFYREG_ADMIN_TOKEN',
    flag: '--admin-token',
    commands: ['serve'],
    help: 'admin bearer token',
    shown: 'generated on first start',
    fallback: () => undefined,
    parse: text,
  }),
  setting({
    key: 'serviceTokens',
    env: 'COMFYREG_SERVICE_TOKEN',
    flag: '--service-token',
    commands: ['serve', 'worker'],
    help: 'extraction service token(s), comma-separated; the worker sends the first',
    shown: 'none',
    fallback: () => [],
    parse: list,
  }),
  setting({
    key: 'maxBody',
    env: 'COMFYREG_MAX_BODY',
    flag: '--max-body',
    commands: ['serve'],
    help: 'largest JSON request body in bytes (413 beyond)',
    shown: '16 MiB',
    fallback: () => 16 * MiB,
    parse: integer(1024, 2 ** 31),
  }),
  setting({
    key: 'maxArchive',
    env: 'COMFYREG_MAX_ARCHIVE',
    flag: '--max-archive',
    commands: ['serve'],
    help: 'largest archive upload in bytes (413 beyond)',
    shown: '100 MiB',
    fallback: () => 100 * MiB,
    parse: integer(1024, 2 ** 40),
  }),
  setting({
    key: 'archiveStore',
    env: 'COMFYREG_ARCHIVE_STORE',
    flag: '--archive-store',
    commands: ['serve'],
    help: 'where archives live: `local` (the data folder) or `s3` (an S3-compatible bucket, see the `COMFYREG_S3_*` settings)',
    shown: '`local`',
    fallback: () => 'local',
    parse: oneOf(['local', 's3']),
  }),
  setting({
    key: 's3Endpoint',
    env: 'COMFYREG_S3_ENDPOINT',
    flag: '--s3-endpoint',
    commands: ['serve'],
    help: 'S3 endpoint URL (MinIO, Ceph, R2, …)',
    shown: 'AWS, from the region',
    fallback: () => undefined,
    parse: url,
  }),
  setting({
    key: 's3Bucket',
    env: 'COMFYREG_S3_BUCKET',
    flag: '--s3-bucket',
    commands: ['serve'],
    help: 'the bucket that holds the archives',
    shown: 'none (required with `s3`)',
    fallback: () => undefined,
    parse: text,
  }),
  setting({
    key: 's3Region',
    env: 'COMFYREG_S3_REGION',
    flag: '--s3-region',
    commands: ['serve'],
    help: "the bucket's region",
    shown: '`us-east-1`',
    fallback: () => 'us-east-1',
    parse: text,
  }),
  setting({
    key: 's3AccessKeyId',
    env: 'COMFYREG_S3_ACCESS_KEY_ID',
    flag: '--s3-access-key-id',
    commands: ['serve'],
    help: 'S3 access key id (with the secret below)',
    shown: "the AWS SDK's default credential chain",
    fallback: () => undefined,
    parse: text,
  }),
  setting({
    key: 's3SecretAccessKey',
    env: 'COMFYREG_S3_SECRET_ACCESS_KEY',
    flag: '--s3-secret-access-key',
    commands: ['serve'],
    help: 'S3 secret access key',
    shown: "the AWS SDK's default credential chain",
    fallback: () => undefined,
    parse: text,
  }),
  setting({
    key: 's3PathStyle',
    env: 'COMFYREG_S3_PATH_STYLE',
    flag: '--s3-path-style',
    commands: ['serve'],
    help: 'address the bucket as `endpoint/bucket` rather than `bucket.endpoint` (most self-hosted stores) (true/false)',
    shown: '`false`',
    fallback: () => false,
    parse: bool,
  }),
  setting({
    key: 's3Prefix',
    env: 'COMFYREG_S3_PREFIX',
    flag: '--s3-prefix',
    commands: ['serve'],
    help: 'put before every object key, e.g. `comfyreg/`, to share a bucket',
    shown: 'none',
    fallback: () => '',
    parse: (t, name) => {
      const trimmed = t.replace(/^\/+|\/+$/g, '');
      if (trimmed && !isArchiveKey(trimmed))
        throw new ConfigError(`${name} must be path segments of letters, digits, ".", "_", "+" or "-", got "${t}"`);
      return trimmed;
    },
  }),
  setting({
    key: 'downloads',
    env: 'COMFYREG_DOWNLOADS',
    flag: '--downloads',
    commands: ['serve'],
    help: 'archive downloads: `stream` through comfyreg, or `redirect` (302) to a presigned URL of the bucket (needs `s3`)',
    shown: '`stream`',
    fallback: () => 'stream',
    parse: oneOf(['stream', 'redirect']),
  }),
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
    commands: ['worker'],
    help: 'the registry a separate worker works for',
    shown: 'none (required)',
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

/** Flags a command takes besides the settings (`user create --name`, `worker --once`). */
export type Extra = Record<string, { type: 'string' | 'boolean'; help: string }>;

export interface Parsed {
  config: Config;
  /** Values of the command's own flags. */
  extra: Record<string, string | boolean | undefined>;
  help: boolean;
}

/**
 * One parser for every command: flags win over the environment, unknown flags are refused, and a
 * setting of another command is refused too (it would be silently ignored otherwise).
 */
export function parseCommandLine(command: Command, argv: string[], env: NodeJS.ProcessEnv = process.env, extra: Extra = {}): Parsed {
  const mine = SETTINGS.filter((s) => s.commands.includes(command));
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const s of mine) options[s.flag.slice(2)] = { type: 'string' };
  for (const [name, o] of Object.entries(extra)) options[name] = { type: o.type };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }) as {
      values: Record<string, string | boolean | undefined>;
    });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message.replace(/\. To specify a positional.*$/s, '')} (see ${command} --help)`);
  }
  const config: Partial<Config> = {};
  for (const s of SETTINGS) {
    // Settings of other commands keep their defaults: a stray variable never stops this one.
    const used = s.commands.includes(command);
    const flagged = used ? values[s.flag.slice(2)] : undefined;
    const raw = !used
      ? undefined
      : typeof flagged === 'string'
        ? flagged
        : env[s.env] !== undefined && env[s.env] !== ''
          ? env[s.env]
          : undefined;
    (config as Record<string, unknown>)[s.key] = raw === undefined ? s.fallback(config) : s.parse(raw, s.env);
  }
  const own = Object.fromEntries(Object.keys(extra).map((k) => [k, values[k]]));
  checkCombinations(config as Config);
  return { config: config as Config, extra: own, help: values.help === true };
}

/** Settings that are each valid but do not go together. */
function checkCombinations(c: Config): void {
  if (c.archiveStore === 's3' && !c.s3Bucket) throw new ConfigError('COMFYREG_S3_BUCKET is required when COMFYREG_ARCHIVE_STORE is s3');
  if (!c.s3AccessKeyId !== !c.s3SecretAccessKey)
    throw new ConfigError('COMFYREG_S3_ACCESS_KEY_ID and COMFYREG_S3_SECRET_ACCESS_KEY go together: set both, or neither');
  if (c.downloads === 'redirect' && c.archiveStore !== 's3')
    throw new ConfigError('COMFYREG_DOWNLOADS=redirect needs COMFYREG_ARCHIVE_STORE=s3 (a local folder has no URL to redirect to)');
}

/** `comfyreg <command> --help`, from the table. */
export function commandHelp(command: Command, usage: string, extra: Extra = {}): string {
  const rows = SETTINGS.filter((s) => s.commands.includes(command)).map(
    (s) => `  ${`${s.flag} <value>`.padEnd(24)}${s.env.padEnd(24)}${s.help.replace(/`/g, '')} (default: ${s.shown.replace(/`/g, '')})`,
  );
  const own = Object.entries(extra).map(([name, o]) => `  ${`--${name}${o.type === 'string' ? ' <value>' : ''}`.padEnd(48)}${o.help}`);
  return [
    `Usage: ${usage}`,
    ...(own.length ? ['', 'Options:', ...own] : []),
    '',
    'Settings (each also an environment variable; flags win):',
    ...rows,
    `  ${'--help'.padEnd(48)}print this help`,
  ].join('\n');
}

/** The README's configuration table, made from the settings table. */
export function settingsTable(): string {
  const cmds = (s: Setting) => s.commands.map((c) => (c === 'user' ? 'user create' : c)).join(', ');
  return [
    '| variable | flag | commands | default | meaning |',
    '|---|---|---|---|---|',
    ...SETTINGS.map((s) => `| \`${s.env}\` | \`${s.flag}\` | ${cmds(s)} | ${s.shown} | ${s.help} |`),
  ].join('\n');
}
