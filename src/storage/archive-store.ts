import type { Readable } from 'node:stream';

/** Keys the registry hands out: `{nodeId}/{version}-{random}.zip`, safe path segments only. */
const ARCHIVE_KEY = /^[A-Za-z0-9._+-]+(\/[A-Za-z0-9._+-]+)*$/;

export const isArchiveKey = (key: string): boolean => ARCHIVE_KEY.test(key) && !key.split('/').some((s) => s === '..' || s === '.');

export interface StoredArchive {
  size: number;
  sha256: string;
}

/** Where version archives live. The local folder is the default; other stores fit behind this. */
export interface ArchiveStore {
  /** Streams `body` into `key`, refusing more than `maxBytes`; the key appears only when complete. */
  put(key: string, body: Readable, maxBytes: number): Promise<StoredArchive>;
  /** A stream of the archive, or null when there is none. */
  get(key: string): Promise<{ stream: Readable; size: number } | null>;
  delete(key: string): Promise<void>;
}

export class ArchiveTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`archive larger than ${limit} bytes`);
  }
}
