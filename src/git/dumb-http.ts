/*
 * The files git's "dumb" HTTP protocol reads from a bare repository, and nothing else: a clone
 * GETs info/refs and HEAD, then objects/info/packs, the packs' indexes and the packs it needs.
 */

export type GitFile =
  | { kind: 'refs' }
  | { kind: 'head' }
  | { kind: 'packs' }
  /** Files a repository of ours never has (git asks, then goes on). */
  | { kind: 'absent' }
  /** Content-addressed: the same name never holds other bytes. */
  | { kind: 'object'; file: string; contentType: string };

const PACK_FILE = /^objects\/pack\/pack-[0-9a-f]{40}(?:[0-9a-f]{24})?\.(pack|idx)$/;
const LOOSE_OBJECT = /^objects\/[0-9a-f]{2}\/[0-9a-f]{38}(?:[0-9a-f]{24})?$/;

/** What `path` (relative to the repository) names, or null for anything outside the protocol. */
export function gitFile(path: string): GitFile | null {
  if (path === 'info/refs') return { kind: 'refs' };
  if (path === 'HEAD') return { kind: 'head' };
  if (path === 'objects/info/packs') return { kind: 'packs' };
  if (path === 'objects/info/alternates' || path === 'objects/info/http-alternates') return { kind: 'absent' };
  const pack = PACK_FILE.exec(path);
  if (pack)
    return {
      kind: 'object',
      file: path,
      contentType: pack[1] === 'pack' ? 'application/x-git-packed-objects' : 'application/x-git-packed-objects-toc',
    };
  if (LOOSE_OBJECT.test(path)) return { kind: 'object', file: path, contentType: 'application/x-git-loose-object' };
  return null;
}

/** `objects/info/packs` listing the packs of several repositories, the first one's first. */
export function packsListing(packNames: string[]): string {
  return `${packNames.map((p) => `P ${p}\n`).join('')}\n`;
}
