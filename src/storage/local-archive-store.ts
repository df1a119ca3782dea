import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { archiveMeter, isArchiveKey, type ArchiveStore, type StoredArchive } from './archive-store.js';

/** Archives as files under one folder; keys are relative paths made of safe segments. */
export class LocalArchiveStore implements ArchiveStore {
  constructor(private readonly root: string) {}

  private file(key: string): string {
    if (!isArchiveKey(key)) throw new Error(`unsafe archive key ${key}`);
    return path.join(this.root, key);
  }

  async put(key: string, body: Readable, maxBytes: number): Promise<StoredArchive> {
    const target = this.file(key);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${randomBytes(6).toString('hex')}.part`;
    const { meter, stored } = archiveMeter(maxBytes);
    try {
      await pipeline(body, meter, fs.createWriteStream(temp, { mode: 0o644 }));
      await fs.promises.rename(temp, target);
    } catch (err) {
      await fs.promises.rm(temp, { force: true });
      throw err;
    }
    return stored();
  }

  async get(key: string): Promise<{ stream: Readable; size: number } | null> {
    const file = this.file(key);
    try {
      const stat = await fs.promises.stat(file);
      return { stream: fs.createReadStream(file), size: stat.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await fs.promises.rm(this.file(key), { force: true });
  }

  /** The folder exists (made on the first start) and this process may read and write it. */
  async check(): Promise<void> {
    await fs.promises.mkdir(this.root, { recursive: true });
    await fs.promises.access(this.root, fs.constants.R_OK | fs.constants.W_OK);
  }
}
