import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';

/** Keys the registry hands out: `{nodeId}/{version}-{random}.zip`, safe path segments only. */
const ARCHIVE_KEY = /^[A-Za-z0-9._+-]+(\/[A-Za-z0-9._+-]+)*$/;

export const isArchiveKey = (key: string): boolean => ARCHIVE_KEY.test(key) && !key.split('/').some((s) => s === '..' || s === '.');

export interface StoredArchive {
  size: number;
  sha256: string;
}

/** Where version archives live: a local folder (the default) or an S3-compatible bucket. */
export interface ArchiveStore {
  /** Streams `body` into `key`, refusing more than `maxBytes`; the key appears only when complete. */
  put(key: string, body: Readable, maxBytes: number): Promise<StoredArchive>;
  /** A stream of the archive, or null when there is none. */
  get(key: string): Promise<{ stream: Readable; size: number } | null>;
  /** Removes the archive; removing one that is not there is no error. */
  delete(key: string): Promise<void>;
  /** Resolves when the store answers and can be written (readiness); rejects with the reason otherwise. */
  check(): Promise<void>;
  /**
   * A URL from which anyone may GET the archive for `ttlSeconds`, for stores that clients can reach
   * themselves (downloads then redirect there instead of streaming through comfyreg).
   */
  presignedGetUrl?(key: string, ttlSeconds: number): Promise<string>;
}

export class ArchiveTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`archive larger than ${limit} bytes`);
  }
}

/**
 * A pass-through that counts and hashes what flows through it and fails with ArchiveTooLargeError
 * at the first byte past `maxBytes`: every store's `put` streams through one.
 */
export function archiveMeter(maxBytes: number): { meter: Transform; stored(): StoredArchive } {
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new ArchiveTooLargeError(maxBytes));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  return { meter, stored: () => ({ size, sha256: hash.digest('hex') }) };
}
