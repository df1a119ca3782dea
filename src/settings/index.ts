import { parseArgs } from 'node:util';
import { ConfigError, type Setting } from './parse.js';
import { OPERATIONS_SETTINGS, type OperationsConfig } from './operations.js';
import { SERVICE_SETTINGS, type ServiceConfig } from './service.js';
import { STORAGE_SETTINGS, type StorageConfig } from './storage.js';
import { UPLINK_SETTINGS, type UplinkConfig } from './uplink.js';

/*
 * Every setting, once: its environment variable, its flag, which commands take it, how its text
 * is read, its default and its help. `--help` and the README's table are made from this table
 * (test/settings.test.ts holds the README to it). Each group lives in its own module with its
 * part of Config.
 */

export type Command = 'serve' | 'worker' | 'user' | 'diff';

export type Config = ServiceConfig & StorageConfig & OperationsConfig & UplinkConfig;

export { ConfigError };

/** In this order: a fallback may read settings declared before it. */
export const SETTINGS: Setting[] = [...SERVICE_SETTINGS, ...STORAGE_SETTINGS, ...OPERATIONS_SETTINGS, ...UPLINK_SETTINGS];

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
