import type { Command, Config } from './index.js';

/** A setting's value could not be read, or settings do not go together. */
export class ConfigError extends Error {}

export interface Setting<K extends keyof Config = keyof Config> {
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

export const setting = <K extends keyof Config>(s: Setting<K>): Setting => s as unknown as Setting;

export function bool(text: string, name: string): boolean {
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off)$/i.test(text)) return false;
  throw new ConfigError(`${name} must be true or false, got "${text}"`);
}

export const integer =
  (min: number, max: number) =>
  (text: string, name: string): number => {
    if (!/^\d+$/.test(text)) throw new ConfigError(`${name} must be a whole number, got "${text}"`);
    const n = Number(text);
    if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  };

export function url(text: string, name: string): string {
  try {
    new URL(text);
  } catch {
    throw new ConfigError(`${name} is not a URL: "${text}"`);
  }
  return text.replace(/\/+$/, '');
}

export const text = (t: string) => t;

export const oneOf =
  <T extends string>(values: readonly T[]) =>
  (t: string, name: string): T => {
    if (!(values as readonly string[]).includes(t)) throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${t}"`);
    return t as T;
  };
export const list = (t: string) =>
  t
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export const MiB = 1024 * 1024;
