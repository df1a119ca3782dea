import { integer, list, url, text, ConfigError, setting, type Setting } from './parse.js';

// Mirror mode: the registry this one falls through to for packs it does not hold.

export interface UplinkConfig {
  /** undefined: no uplink, every read answers from local data only. */
  uplink: string | undefined;
  /** Seconds an upstream answer is served without asking again. */
  uplinkMaxAge: number;
  /** Seconds an upstream 404 is remembered. */
  uplinkNotFoundAge: number;
  /** Seconds one upstream request may take, body included. */
  uplinkTimeout: number;
  /** Consecutive failures that open the circuit breaker. */
  uplinkMaxFails: number;
  /** Seconds the open breaker stops asking (cached answers are served meanwhile). */
  uplinkFailTimeout: number;
  uplinkToken: string | undefined;
  /** undefined: the uplink's host and the hosts its answers name for archives. */
  uplinkArchiveHosts: string[] | undefined;
  /** Id patterns (`*` any run of characters) local packs may take even when the uplink has them. */
  reservedIds: string[];
}

const hostList = (t: string, name: string): string[] => {
  const hosts = list(t).map((h) => h.toLowerCase());
  for (const h of hosts)
    if (!/^[a-z0-9.-]+(:\d+)?$/.test(h)) throw new ConfigError(`${name} must list host names (host or host:port), got "${h}"`);
  return hosts;
};

const idPatterns = (t: string, name: string): string[] => {
  const patterns = list(t);
  for (const p of patterns) if (!/^[A-Za-z0-9._*-]{1,100}$/.test(p)) throw new ConfigError(`${name}: "${p}" is not an id pattern`);
  return patterns;
};

export const UPLINK_SETTINGS: Setting[] = [
  setting({
    key: 'uplink',
    env: 'COMFYREG_UPLINK',
    flag: '--uplink',
    commands: ['serve'],
    help: 'registry to mirror (api.comfy.org or another comfyreg): packs not held locally are read, installed and resolved through it',
    shown: 'none (no mirror)',
    fallback: () => undefined,
    parse: url,
  }),
  setting({
    key: 'uplinkMaxAge',
    env: 'COMFYREG_UPLINK_MAX_AGE',
    flag: '--uplink-max-age',
    commands: ['serve'],
    help: 'seconds an upstream answer is served without asking the uplink again',
    shown: '`120`',
    fallback: () => 120,
    parse: integer(0, 30 * 86_400),
  }),
  setting({
    key: 'uplinkNotFoundAge',
    env: 'COMFYREG_UPLINK_NOT_FOUND_AGE',
    flag: '--uplink-not-found-age',
    commands: ['serve'],
    help: 'seconds an upstream 404 is remembered before the uplink is asked again',
    shown: '`60`',
    fallback: () => 60,
    parse: integer(0, 30 * 86_400),
  }),
  setting({
    key: 'uplinkTimeout',
    env: 'COMFYREG_UPLINK_TIMEOUT',
    flag: '--uplink-timeout',
    commands: ['serve'],
    help: 'seconds one upstream request may take, body included, before it counts as failed',
    shown: '`30`',
    fallback: () => 30,
    parse: integer(1, 3600),
  }),
  setting({
    key: 'uplinkMaxFails',
    env: 'COMFYREG_UPLINK_MAX_FAILS',
    flag: '--uplink-max-fails',
    commands: ['serve'],
    help: 'consecutive upstream failures after which the uplink is not asked for `--uplink-fail-timeout` (cached answers are served)',
    shown: '`2`',
    fallback: () => 2,
    parse: integer(1, 1000),
  }),
  setting({
    key: 'uplinkFailTimeout',
    env: 'COMFYREG_UPLINK_FAIL_TIMEOUT',
    flag: '--uplink-fail-timeout',
    commands: ['serve'],
    help: 'seconds the uplink is left alone after `--uplink-max-fails` failures',
    shown: '`300`',
    fallback: () => 300,
    parse: integer(0, 86_400),
  }),
  setting({
    key: 'uplinkToken',
    env: 'COMFYREG_UPLINK_TOKEN',
    flag: '--uplink-token',
    commands: ['serve'],
    help: 'bearer token sent to the uplink',
    shown: 'none',
    fallback: () => undefined,
    parse: text,
  }),
  setting({
    key: 'uplinkArchiveHosts',
    env: 'COMFYREG_UPLINK_ARCHIVE_HOSTS',
    flag: '--uplink-archive-hosts',
    commands: ['serve'],
    help: 'comma-separated hosts upstream archives may be fetched from',
    shown: "the uplink's host and the hosts its answers name for archives",
    fallback: () => undefined,
    parse: hostList,
  }),
  setting({
    key: 'reservedIds',
    env: 'COMFYREG_RESERVED_IDS',
    flag: '--reserved-ids',
    commands: ['serve'],
    help: 'comma-separated id patterns (`*`: any characters) local packs may take although the uplink has them',
    shown: 'none',
    fallback: () => [],
    parse: idPatterns,
  }),
];
