import path from 'node:path';
import { integer, url, text, list, MiB, setting, type Setting } from './parse.js';

// Where the server listens, its database, its public address and tokens, body limits.

export interface ServiceConfig {
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
}

export const SERVICE_SETTINGS: Setting[] = [
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
    help: 'SQLite file, archives (in `archives/`), git repositories of packs (in `git/`), generated admin token',
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
];
