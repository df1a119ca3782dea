import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { archiveMeter, isArchiveKey, type ArchiveStore, type StoredArchive } from './archive-store.js';

/*
 * Loaded only when COMFYREG_ARCHIVE_STORE=s3 (src/setup.ts imports it on demand): the AWS SDK is
 * heavy, and a local-folder registry, `--help` and `extract` never need it.
 *
 * The lockfile pins an SDK release that supports Node 20; its notice that later releases will not
 * is for whoever upgrades the SDK, not for an operator starting comfyreg.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface S3StoreOptions {
  bucket: string;
  /** undefined: AWS itself, from the region. */
  endpoint?: string;
  region: string;
  /** `{endpoint}/{bucket}/{key}` instead of `{bucket}.{endpoint}/{key}` (MinIO, Ceph, most self-hosted stores). */
  pathStyle: boolean;
  /** Put before every key, e.g. `comfyreg/`: several registries (or other data) may share a bucket. */
  prefix?: string;
  /** undefined: the SDK's default chain (environment, shared files, instance or task role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Bytes held in memory per part of a multipart upload (at least 5 MiB, S3's minimum). */
  partSize?: number;
}

const MiB = 1024 * 1024;
/** Parts uploaded at once per archive: memory per upload is about partSize × (queueSize + 1). */
const QUEUE_SIZE = 2;

const isMissing = (err: unknown): boolean => {
  const name = (err as { name?: string } | null)?.name;
  return name === 'NoSuchKey' || name === 'NotFound';
};

/**
 * Archives as objects in an S3-compatible bucket. An upload streams through the size cap and the
 * hash into S3: archives below one part are a single PUT, larger ones a multipart upload, and in
 * both cases the object exists only once the last byte is in (a PUT is atomic; a multipart upload
 * appears on CompleteMultipartUpload). A refused or broken upload stores nothing.
 */
export class S3ArchiveStore implements ArchiveStore {
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;

  constructor(opts: S3StoreOptions) {
    this.bucket = opts.bucket;
    const prefix = (opts.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.prefix = prefix ? `${prefix}/` : '';
    this.partSize = Math.max(5 * MiB, opts.partSize ?? 5 * MiB);
    this.client = new S3Client({
      region: opts.region,
      endpoint: opts.endpoint,
      forcePathStyle: opts.pathStyle,
      credentials: opts.credentials,
      // Checksums only where S3 requires them: S3-compatible servers that predate the SDK's default
      // CRC32 trailers refuse or mangle such uploads, and the archive's SHA-256 is computed here anyway.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: 5_000,
        // Streamed downloads hold a socket each for as long as their client reads.
        httpAgent: new http.Agent({ keepAlive: true, maxSockets: 256 }),
        httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 256 }),
      },
    });
  }

  private objectKey(key: string): string {
    if (!isArchiveKey(key)) throw new Error(`unsafe archive key ${key}`);
    return this.prefix + key;
  }

  async put(key: string, body: Readable, maxBytes: number): Promise<StoredArchive> {
    const Key = this.objectKey(key);
    const { meter, stored } = archiveMeter(maxBytes);
    // The first fault of the body or the cap wins over whatever S3 answers to the abort that follows.
    let streamError: Error | undefined;
    const metered = pipeline(body, meter, (err) => {
      if (err) streamError ??= err;
    });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: metered, ContentType: 'application/zip' },
      partSize: this.partSize,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      body.destroy();
      throw streamError ?? err;
    }
    if (streamError) throw streamError;
    return stored();
  }

  async get(key: string): Promise<{ stream: Readable; size: number } | null> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return { stream: res.Body as Readable, size: Number(res.ContentLength ?? 0) };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  /** The bucket exists and these credentials may use it (HeadBucket needs s3:ListBucket). */
  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  async presignedGetUrl(key: string, ttlSeconds: number): Promise<string> {
    const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }), { expiresIn: ttlSeconds });
  }

  close(): void {
    this.client.destroy();
  }
}
