import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { MirrorArchivesTable, MirrorComfyNodesTable, MirrorExtractionsTable, UplinkCacheTable } from '../../db/schema.js';
import { isArchiveKey } from '../../storage/archive-store.js';
import type { Registry } from '../registry.js';
import { metaValue } from '../registry.js';

/*
 * A mirror carried into a network without an uplink: `comfyreg mirror export FILE` writes what the
 * mirror holds (kept upstream answers, archives, comfy nodes) into one file, `mirror import FILE`
 * loads it. The file is "CRMIRROR1\n", then frames: a 4-byte big-endian header length, the header
 * (JSON), and `header.size` bytes of payload. The first frame is the manifest (the rows), every
 * other one an archive, checked against its SHA-256 on import so that installs are byte-identical.
 */

const MAGIC = Buffer.from('CRMIRROR1\n');

/** Marks a database that holds an imported mirror: without an uplink, its packs are still served. */
export const MIRROR_IMPORTED_META = 'mirror_imported';

interface Manifest {
  type: 'manifest';
  size: 0;
  cache: UplinkCacheTable[];
  archives: MirrorArchivesTable[];
  extractions: MirrorExtractionsTable[];
  comfyNodes: MirrorComfyNodesTable[];
}

interface ArchiveFrame {
  type: 'archive';
  key: string;
  size: number;
  sha256: string;
}

export class BundleError extends Error {}

function frameHeader(header: object): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  return Buffer.concat([len, json]);
}

async function write(out: fs.WriteStream, chunk: Buffer): Promise<void> {
  if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
}

export async function exportMirror(reg: Registry, file: string): Promise<{ archives: number; answers: number }> {
  const manifest: Manifest = {
    type: 'manifest',
    size: 0,
    cache: await reg.db.selectFrom('uplink_cache').selectAll().where('found', '=', 1).orderBy('key').execute(),
    archives: await reg.db.selectFrom('mirror_archives').selectAll().orderBy('node_key').orderBy('version').execute(),
    extractions: await reg.db.selectFrom('mirror_extractions').selectAll().execute(),
    comfyNodes: await reg.db.selectFrom('mirror_comfy_nodes').selectAll().execute(),
  };
  const out = fs.createWriteStream(file);
  const closed = new Promise<void>((resolve, reject) => {
    out.on('close', resolve);
    out.on('error', reject);
  });
  await write(out, MAGIC);
  await write(out, frameHeader(manifest));
  for (const a of manifest.archives) {
    const found = await reg.store.get(a.archive_key);
    if (!found) throw new BundleError(`archive ${a.archive_key} of ${a.node_key}@${a.version} is missing from the store`);
    const frame: ArchiveFrame = { type: 'archive', key: a.archive_key, size: found.size, sha256: a.sha256 };
    await write(out, frameHeader(frame));
    await pipeline(found.stream, out, { end: false });
  }
  out.end();
  await closed;
  return { archives: manifest.archives.length, answers: manifest.cache.length };
}

async function readExactly(fh: fs.promises.FileHandle, pos: number, n: number): Promise<Buffer> {
  const buf = Buffer.alloc(n);
  const { bytesRead } = await fh.read(buf, 0, n, pos);
  if (bytesRead !== n) throw new BundleError('the file ends in the middle of a frame');
  return buf;
}

async function readHeader(fh: fs.promises.FileHandle, pos: number): Promise<{ header: unknown; next: number }> {
  const len = (await readExactly(fh, pos, 4)).readUInt32BE(0);
  const header = JSON.parse((await readExactly(fh, pos + 4, len)).toString('utf8')) as unknown;
  return { header, next: pos + 4 + len };
}

export interface ImportReport {
  archives: number;
  /** Versions already held, whose stored bytes were kept. */
  kept: number;
  answers: number;
}

/** Loads an exported mirror; archives already held keep their bytes (versions are immutable). */
export async function importMirror(reg: Registry, file: string, maxArchive: number): Promise<ImportReport> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const { size } = await fh.stat();
    if (!(await readExactly(fh, 0, MAGIC.length)).equals(MAGIC)) throw new BundleError(`${file} is not a comfyreg mirror export`);
    const first = await readHeader(fh, MAGIC.length);
    const manifest = first.header as Manifest;
    if (manifest?.type !== 'manifest') throw new BundleError(`${file} has no manifest`);
    const wanted = new Map(manifest.archives.map((a) => [a.archive_key, a]));
    const report: ImportReport = { archives: 0, kept: 0, answers: manifest.cache.length };
    const added: MirrorArchivesTable[] = [];
    for (let pos = first.next; pos < size;) {
      const { header, next } = await readHeader(fh, pos);
      const frame = header as ArchiveFrame;
      const row = wanted.get(frame.key);
      if (frame.type !== 'archive' || !row || !isArchiveKey(frame.key)) throw new BundleError(`unexpected frame for ${frame.key}`);
      pos = next + frame.size;
      const held = await reg.db
        .selectFrom('mirror_archives')
        .select('sha256')
        .where('node_key', '=', row.node_key)
        .where('version', '=', row.version)
        .executeTakeFirst();
      if (held) {
        report.kept++;
        continue;
      }
      const body = fs.createReadStream(file, { start: next, end: next + frame.size - 1 });
      const stored = await reg.store.put(frame.key, body, Math.max(maxArchive, frame.size));
      if (stored.sha256 !== frame.sha256 || stored.sha256 !== row.sha256) {
        await reg.store.delete(frame.key);
        throw new BundleError(`archive ${row.node_key}@${row.version} does not match its SHA-256`);
      }
      added.push(row);
      report.archives++;
    }
    await reg.db.transaction().execute(async (trx) => {
      for (const c of manifest.cache) {
        await trx
          .insertInto('uplink_cache')
          .values(c)
          .onConflict((oc) => oc.column('key').doUpdateSet({ found: c.found, body: c.body, fetched_at: c.fetched_at }))
          .execute();
      }
      for (const a of added)
        await trx
          .insertInto('mirror_archives')
          .values(a)
          .onConflict((oc) => oc.doNothing())
          .execute();
      for (const e of manifest.extractions) {
        await trx
          .deleteFrom('mirror_comfy_nodes')
          .where('node_key', '=', e.node_key)
          .where('version', '=', e.version)
          .where('source', '=', 'comfyreg')
          .execute();
        await trx.deleteFrom('mirror_extractions').where('node_key', '=', e.node_key).where('version', '=', e.version).execute();
        await trx.insertInto('mirror_extractions').values(e).execute();
      }
      for (const n of manifest.comfyNodes)
        await trx
          .insertInto('mirror_comfy_nodes')
          .values(n)
          .onConflict((oc) => oc.doNothing())
          .execute();
    });
    await metaValue(reg.db, MIRROR_IMPORTED_META, () => new Date(reg.clock.now()).toISOString());
    return report;
  } finally {
    await fh.close();
  }
}
