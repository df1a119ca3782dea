import path from 'node:path';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  publicUrl: string;
  adminToken?: string;
  serviceTokens: string[];
  maxBody: number;
  maxArchive: number;
  /** Entries in the in-memory cache of anonymous GET answers; 0 turns it off. */
  readCache: number;
  /** New versions wait as Pending until an admin approves them. */
  review: boolean;
  /** Run the extraction worker inside the server process. */
  worker: boolean;
  logLevel: string;
}

export interface Setting {
  flag: string;
  env: string;
  help: string;
  fallback: string;
}

/** Every setting of the server: an environment variable and a `comfyreg serve` flag each. */
export const SETTINGS: Setting[] = [
  { flag: '--port', env: 'PORT', help: 'TCP port to listen on', fallback: '8080' },
  { flag: '--host', env: 'HOST', help: 'address to bind', fallback: '127.0.0.1' },
  {
    flag: '--data-dir',
    env: 'COMFYREG_DATA_DIR',
    help: 'folder for the SQLite file, archives and the generated admin token',
    fallback: './data',
  },
  {
    flag: '--database-url',
    env: 'COMFYREG_DATABASE_URL',
    help: 'postgres://… selects PostgreSQL; default the SQLite file in the data folder',
    fallback: '<data-dir>/comfyreg.sqlite',
  },
  {
    flag: '--public-url',
    env: 'COMFYREG_PUBLIC_URL',
    help: 'base URL clients reach, used in signedUrl and downloadUrl',
    fallback: 'http://localhost:<port>',
  },
  {
    flag: '--admin-token',
    env: 'COMFYREG_ADMIN_TOKEN',
    help: 'admin bearer token; when unset, generated on first start into <data-dir>/admin-token',
    fallback: '(generated)',
  },
  {
    flag: '--service-token',
    env: 'COMFYREG_SERVICE_TOKEN',
    help: 'extraction service bearer token(s), comma-separated',
    fallback: '(none)',
  },
  { flag: '--max-body', env: 'COMFYREG_MAX_BODY', help: 'largest request body in bytes (JSON and archive uploads)', fallback: '16777216' },
  { flag: '--max-archive', env: 'COMFYREG_MAX_ARCHIVE', help: 'largest version archive upload in bytes', fallback: '104857600' },
  {
    flag: '--review',
    env: 'COMFYREG_REVIEW',
    help: 'new versions stay Pending until an admin approves them (true/false)',
    fallback: 'false',
  },
  { flag: '--worker', env: 'COMFYREG_WORKER', help: 'run the extraction worker in this process (true/false)', fallback: 'true' },
  { flag: '--log-level', env: 'COMFYREG_LOG_LEVEL', help: 'pino log level', fallback: 'info' },
];

export class ConfigError extends Error {}

function parseBool(name: string, value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${name} must be true or false, got "${value}"`);
}

function parseInteger(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw new ConfigError(`${name} must be a whole number, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** Parses `--flag value` / `--flag=value` pairs; flags win over the environment. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): Config {
  const values = new Map<string, string>();
  for (const s of SETTINGS) {
    const v = env[s.env];
    if (v !== undefined && v !== '') values.set(s.env, v);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const setting = SETTINGS.find((s) => s.flag === flag);
    if (!setting) throw new ConfigError(`unknown option ${arg} (see --help)`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`${flag} needs a value`);
    values.set(setting.env, value);
  }
  const port = parseInteger('PORT', values.get('PORT') ?? '8080', 0, 65535);
  const dataDir = path.resolve(values.get('COMFYREG_DATA_DIR') ?? './data');
  const publicUrl = (values.get('COMFYREG_PUBLIC_URL') ?? `http://localhost:${port}`).replace(/\/+$/, '');
  try {
    new URL(publicUrl);
  } catch {
    throw new ConfigError(`COMFYREG_PUBLIC_URL is not a URL: "${publicUrl}"`);
  }
  return {
    port,
    host: values.get('HOST') ?? '127.0.0.1',
    dataDir,
    databaseUrl: values.get('COMFYREG_DATABASE_URL'),
    publicUrl,
    adminToken: values.get('COMFYREG_ADMIN_TOKEN'),
    serviceTokens: (values.get('COMFYREG_SERVICE_TOKEN') ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    maxBody: parseInteger('COMFYREG_MAX_BODY', values.get('COMFYREG_MAX_BODY') ?? String(16 * 1024 * 1024), 1024, 2 ** 31),
    maxArchive: parseInteger('COMFYREG_MAX_ARCHIVE', values.get('COMFYREG_MAX_ARCHIVE') ?? String(100 * 1024 * 1024), 1024, 2 ** 40),
    readCache: parseInteger('COMFYREG_READ_CACHE', values.get('COMFYREG_READ_CACHE') ?? '20000', 0, 10_000_000),
    review: parseBool('COMFYREG_REVIEW', values.get('COMFYREG_REVIEW') ?? 'false'),
    worker: parseBool('COMFYREG_WORKER', values.get('COMFYREG_WORKER') ?? 'true'),
    logLevel: values.get('COMFYREG_LOG_LEVEL') ?? 'info',
  };
}

export function settingsHelp(): string {
  const rows = SETTINGS.map((s) => `  ${`${s.flag} <value>`.padEnd(26)}${s.env.padEnd(24)}${s.help} (default: ${s.fallback})`);
  return [
    'Usage: comfyreg serve [options]',
    '',
    'Options (each also an environment variable; flags win):',
    ...rows,
    '  --help                    print this help',
  ].join('\n');
}
