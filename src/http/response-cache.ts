import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ChangeFeed } from '../db/change-feed.js';
import { PUBLIC_CACHE_CONTROL, SIDE_EFFECT_ROUTES, etagMatches } from './caching.js';

interface Entry {
  generation: number;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The anonymous-GET answer cache, or null when it is turned off. */
    readCache: ResponseCache | null;
  }
  interface FastifyRequest {
    /** The change generation when this request began, if its answer may be cached. */
    cacheGeneration?: number;
  }
}

/** A bounded LRU of encoded answers, by URL. */
export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  /** Answers served from memory, for tests and operators. */
  hits = 0;

  constructor(
    readonly maxEntries = 20_000,
    readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  get(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    return e;
  }

  set(key: string, entry: Entry): void {
    if (entry.body.length > this.maxBytes / 16) return;
    this.drop(key);
    this.entries.set(key, entry);
    this.bytes += entry.body.length;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) this.drop(this.entries.keys().next().value!);
  }

  private drop(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.body.length;
  }
}

/** The entry for an anonymous GET of `url`, if it was read since the last change. */
function fresh(
  cache: ResponseCache,
  changes: ChangeFeed,
  method: string | undefined,
  url: string | undefined,
  authorization: string | undefined,
) {
  if (method !== 'GET' || authorization !== undefined || !changes.trusted || url === undefined) return undefined;
  const hit = cache.get(url);
  if (!hit || hit.generation !== changes.generation) return undefined;
  cache.hits++;
  return hit;
}

/** Answers from the cache at the node:http level, before any framework work; false when it cannot. */
export function serveFromCache(cache: ResponseCache, changes: ChangeFeed, req: IncomingMessage, res: ServerResponse): boolean {
  const hit = fresh(cache, changes, req.method, req.url, req.headers.authorization);
  if (!hit) return false;
  if (hit.status === 200 && etagMatches(req.headers['if-none-match'], hit.headers.etag)) {
    const { 'content-type': _type, ...headers } = hit.headers;
    res.writeHead(304, headers).end();
  } else {
    res.writeHead(hit.status, { ...hit.headers, 'content-length': hit.body.length }).end(hit.body);
  }
  return true;
}

const KEPT_HEADERS = ['content-type', 'etag', 'cache-control', 'vary', 'access-control-allow-origin'];

function cacheable(req: FastifyRequest): boolean {
  const route = req.routeOptions.url;
  return req.method === 'GET' && req.headers.authorization === undefined && route !== undefined && !SIDE_EFFECT_ROUTES.has(route);
}

/**
 * Answers repeated anonymous GETs (the resolver on every workflow load, above all) from memory.
 * An entry is served only while the change feed has not moved since it was read, so a write,
 * here or on another instance, takes effect on the next request; ETags stay those of the bytes.
 */
export function installResponseCache(app: FastifyInstance, changes: ChangeFeed, cache: ResponseCache): void {
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!changes.trusted || !cacheable(req)) return;
    // Requests that did not come through serveFromCache (inject, or a miss there) are looked up here.
    const hit = fresh(cache, changes, req.method, req.url, req.headers.authorization);
    if (hit) return reply.code(hit.status).headers(hit.headers).send(hit.body);
    req.cacheGeneration = changes.generation;
  });

  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (req.cacheGeneration !== undefined) {
      const stable = req.cacheGeneration === changes.generation && changes.trusted;
      const status = reply.statusCode;
      const storable = (status === 200 && reply.getHeader('cache-control') === PUBLIC_CACHE_CONTROL) || status === 404;
      if (stable && storable && (typeof payload === 'string' || Buffer.isBuffer(payload))) {
        const headers: Record<string, string> = {};
        for (const h of KEPT_HEADERS) {
          const v = reply.getHeader(h);
          if (v !== undefined) headers[h] = String(v);
        }
        cache.set(req.url, {
          generation: req.cacheGeneration,
          status,
          headers,
          body: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
        });
      }
    } else if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS' && reply.statusCode < 400) {
      // The write has committed by now; moving the feed again closes the window in which a
      // concurrent read on another PostgreSQL connection saw the data before the commit.
      changes.bump();
    }
    return payload;
  });
}
