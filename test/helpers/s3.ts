import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { parseCommandLine, type Config } from '../../src/settings/index.js';
import { S3ArchiveStore } from '../../src/storage/s3-archive-store.js';

/** A local S3-compatible server (s3rver) on a random loopback port, with its objects in a temp folder. */
export interface LocalS3 {
  endpoint: string;
  bucket: string;
  /** The serve settings that point comfyreg at it (more can be added). */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  config(extra?: NodeJS.ProcessEnv): Config;
  /** A store on this server; closed with the server. */
  store(opts?: { prefix?: string; bucket?: string }): S3ArchiveStore;
  /** Every object key in the bucket (to show that a refused upload left nothing). */
  keys(): Promise<string[]>;
  close(): Promise<void>;
}

export async function startLocalS3(bucket = 'comfyreg-test'): Promise<LocalS3> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const stores: S3ArchiveStore[] = [];
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    COMFYREG_ARCHIVE_STORE: 's3',
    COMFYREG_S3_ENDPOINT: endpoint,
    COMFYREG_S3_BUCKET: bucket,
    COMFYREG_S3_PATH_STYLE: 'true',
    // s3rver's fixed pair.
    COMFYREG_S3_ACCESS_KEY_ID: 'S3RVER',
    COMFYREG_S3_SECRET_ACCESS_KEY: 'S3RVER',
    ...extra,
  });
  const lister = new S3ArchiveStore({
    bucket,
    endpoint,
    region: 'us-east-1',
    pathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  stores.push(lister);
  return {
    endpoint,
    bucket,
    env,
    config: (extra) => parseCommandLine('serve', [], env(extra)).config,
    store(opts = {}) {
      const s = new S3ArchiveStore({
        bucket: opts.bucket ?? bucket,
        endpoint,
        region: 'us-east-1',
        pathStyle: true,
        prefix: opts.prefix,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      });
      stores.push(s);
      return s;
    },
    async keys() {
      const res = await lister.client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (res.Contents ?? []).map((o) => o.Key!).sort();
    },
    async close() {
      for (const s of stores) s.close();
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
