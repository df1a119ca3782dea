import { isArchiveKey } from '../storage/archive-store.js';
import { bool, url, text, oneOf, ConfigError, setting, type Setting } from './parse.js';

// Where archives live: the data folder, or an S3-compatible bucket.

export interface StorageConfig {
  /** Where archives live: the data folder, or an S3-compatible bucket. */
  archiveStore: 'local' | 's3';
  /** undefined: AWS itself. */
  s3Endpoint: string | undefined;
  s3Bucket: string | undefined;
  s3Region: string;
  /** Both undefined: the AWS SDK's default credential chain. */
  s3AccessKeyId: string | undefined;
  s3SecretAccessKey: string | undefined;
  s3PathStyle: boolean;
  s3Prefix: string;
  /** Archive downloads stream through comfyreg, or redirect to a presigned URL of the bucket. */
  downloads: 'stream' | 'redirect';
}

export const STORAGE_SETTINGS: Setting[] = [
  setting({
    key: 'archiveStore',
    env: 'COMFYREG_ARCHIVE_STORE',
    flag: '--archive-store',
    commands: ['serve'],
    help: 'where archives live: `local` (the data folder) or `s3` (an S3-compatible bucket, see the `COMFYREG_S3_*` settings)',
    shown: '`local`',
    fallback: () => 'local',
    parse: oneOf(['local', 's3']),
  }),
  setting({
    key: 's3Endpoint',
    env: 'COMFYREG_S3_ENDPOINT',
    flag: '--s3-endpoint',
    commands: ['serve'],
    help: 'S3 endpoint URL (MinIO, Ceph, R2, …)',
    shown: 'AWS, from the region',
    fallback: () => undefined,
    parse: url,
  }),
  setting({
    key: 's3Bucket',
    env: 'COMFYREG_S3_BUCKET',
    flag: '--s3-bucket',
    commands: ['serve'],
    help: 'the bucket that holds the archives',
    shown: 'none (required with `s3`)',
    fallback: () => undefined,
    parse: text,
  }),
  setting({
    key: 's3Region',
    env: 'COMFYREG_S3_REGION',
    flag: '--s3-region',
    commands: ['serve'],
    help: "the bucket's region",
    shown: '`us-east-1`',
    fallback: () => 'us-east-1',
    parse: text,
  }),
  setting({
    key: 's3AccessKeyId',
    env: 'COMFYREG_S3_ACCESS_KEY_ID',
    flag: '--s3-access-key-id',
    commands: ['serve'],
    help: 'S3 access key id (with the secret below)',
    shown: "the AWS SDK's default credential chain",
    fallback: () => undefined,
    parse: text,
  }),
  setting({
    key: 's3SecretAccessKey',
    env: 'COMFYREG_S3_SECRET_ACCESS_KEY',
    flag: '--s3-secret-access-key',
    commands: ['serve'],
    help: 'S3 secret access key',
    shown: "the AWS SDK's default credential chain",
    fallback: () => undefined,
    parse: text,
  }),
  setting({
    key: 's3PathStyle',
    env: 'COMFYREG_S3_PATH_STYLE',
    flag: '--s3-path-style',
    commands: ['serve'],
    help: 'address the bucket as `endpoint/bucket` rather than `bucket.endpoint` (most self-hosted stores) (true/false)',
    shown: '`false`',
    fallback: () => false,
    parse: bool,
  }),
  setting({
    key: 's3Prefix',
    env: 'COMFYREG_S3_PREFIX',
    flag: '--s3-prefix',
    commands: ['serve'],
    help: 'put before every object key, e.g. `comfyreg/`, to share a bucket',
    shown: 'none',
    fallback: () => '',
    parse: (t, name) => {
      const trimmed = t.replace(/^\/+|\/+$/g, '');
      if (trimmed && !isArchiveKey(trimmed))
        throw new ConfigError(`${name} must be path segments of letters, digits, ".", "_", "+" or "-", got "${t}"`);
      return trimmed;
    },
  }),
  setting({
    key: 'downloads',
    env: 'COMFYREG_DOWNLOADS',
    flag: '--downloads',
    commands: ['serve'],
    help: 'archive downloads: `stream` through comfyreg, or `redirect` (302) to a presigned URL of the bucket (needs `s3`)',
    shown: '`stream`',
    fallback: () => 'stream',
    parse: oneOf(['stream', 'redirect']),
  }),
];
