import { Type } from '@sinclair/typebox';
import { Readable } from 'node:stream';
import { UploadReceipt, fail } from '../../contract/index.js';
import type { Registry } from '../../registry/registry.js';
import { openArchive, presignArchive } from '../../registry/archives.js';
import { isAdmin } from '../../registry/principals.js';
import { storeUpload } from '../../registry/publish.js';
import type { App } from '../app.js';
import { errorResponses } from '../schemas.js';

const ARCHIVE_TYPES = ['application/zip', 'application/x-zip-compressed', 'application/octet-stream'];
export const UPLOAD_PREFIX = '/archives/upload/';
/** How long a presigned download URL works: long enough to start a slow download, short enough to leak little. */
export const REDIRECT_TTL_SECONDS = 300;

export type DownloadMode = 'stream' | 'redirect';

/** Upload to the signed URL and download of stored archives; bodies stream, never buffered whole. */
export async function archiveRoutes(app: App, reg: Registry, maxArchive: number, downloads: DownloadMode = 'stream') {
  app.addContentTypeParser(ARCHIVE_TYPES, (_req, payload, done) => done(null, payload));

  app.put(
    '/archives/upload/:versionId',
    {
      bodyLimit: maxArchive,
      // Refused on its declared length before a byte of the body is read (the 413 closes the connection).
      onRequest: async (req) => {
        if (Number(req.headers['content-length']) > maxArchive) throw fail('ARCHIVE_TOO_LARGE', maxArchive);
      },
      schema: {
        summary: 'Upload a version archive to its signed URL (single use, expires in 15 minutes)',
        tags: ['Publish'],
        consumes: ARCHIVE_TYPES,
        params: Type.Object({ versionId: Type.String({ maxLength: 100 }) }),
        querystring: Type.Object({
          expires: Type.Optional(Type.String({ maxLength: 20 })),
          signature: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: { 200: UploadReceipt, ...errorResponses(403, 404, 409, 413, 415) },
      },
    },
    async (req) => {
      if (!(req.body instanceof Readable)) throw fail('UNSUPPORTED_MEDIA_TYPE', 'upload the archive with Content-Type: application/zip');
      const row = await storeUpload(reg, req.params.versionId, req.query, req.body, maxArchive);
      return { id: row.id, size: row.archive_size ?? 0, sha256: row.archive_sha256 ?? '' };
    },
  );

  app.get(
    '/archives/*',
    {
      schema: {
        summary: 'Download a stored version archive (a refused one: admins only); with redirect downloads, 302 to a presigned URL',
        tags: ['Nodes'],
        response: { ...errorResponses(403, 404, 503) },
      },
    },
    async (req, reply) => {
      const key = (req.params as { '*': string })['*'];
      const admin = isAdmin(req.principal);
      const url = downloads === 'redirect' ? await presignArchive(reg, key, REDIRECT_TTL_SECONDS, { admin }) : null;
      // The URL expires: no cache may keep the redirect.
      if (url) return reply.code(302).header('location', url).header('cache-control', 'no-store').send();
      const found = await openArchive(reg, key, { admin });
      return reply
        .type('application/zip')
        .header('content-length', found.size)
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(found.stream);
    },
  );
}
