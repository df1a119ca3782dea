import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ChangeFeed } from '../db/change-feed.js';
import { PUBLIC_CACHE_CONTROL, REPLAYED_EFFECT_ROUTES, SIDE_EFFECT_ROUTES, etagMatches } from './caching.js';
import { hasSessionCookie } from './session-cookie.js';

interface Entry {
  /** The change feed's epoch when the answer was read. */
  readAt: number;
  /** What the answer depends on; it is served while none of them changed after `readAt`. */
  keys: readonly string[];
  /** Clock time it was stored, for the age bound. */
  storedAt: number;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** `headers` with the body's length, as a hit writes them. */
  head: Record<string, string | number>;
  /** Stored or served since the eviction sweep last passed it (second chance). */
  used: boolean;
  /** Clock time after which it is never served (an uplink answer reaching its max age). */
  expiresAt?: number;
  /** The route's side effect, done again each time the answer is served (an install's download count). */
  onServe?: () => void;
}

/** The keys an answer depends on, from the request and the answer object (before serialisation). */
export type CacheKeys = (req: FastifyRequest, answer: unknown) => string[];

declare module 'fastify' {
  interface FastifyInstance {
    /** The anonymous-GET answer cache, or null when it is turned off. */
    readCache: ResponseCache | null;
  }
  interface FastifyRequest {
    /** The change feed's epoch when this request began, if its answer may be cached. */
    cacheReadAt?: number;
    /** Ends this request's turn as the one reading its URL for the waiting requests. */
    cacheRead?: () => void;
    /** The answer object, kept for `cacheKeys`. */
    cacheAnswer?: unknown;
    /** Set by a route whose answer may be kept only until then (mirror mode's uplink answers). */
    cacheExpiresAt?: number;
    /** Set by a side-effect route whose answer may be kept: the effect, for each later hit. */
    cacheOnServe?: () => void;
  }
  interface FastifyContextConfig {
    /** The change keys the route's answers depend on; without it, every write evicts them (`all`). */
    cacheKeys?: CacheKeys;
  }
}

/**
 * A bounded cache of encoded answers, by URL, evicting by second chance (CLOCK): a hit only sets a
 * flag. Moving the entry to the end of the map on every hit, as an LRU does, stored each request's
 * URL string in the long-lived map, which kept it past young-generation collections and made them
 * several times costlier under load.
 */
export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  /** Answers served from memory, for tests and operators. */
  hits = 0;
  /** Cacheable requests that had to be answered by the routes. */
  misses = 0;
  /** Anonymous GETs being answered by the routes, by URL, until their response ends. */
  readonly reading = new Map<string, Promise<void>>();

  constructor(
    readonly maxEntries = 20_000,
    readonly maxBytes = 64 * 1024 * 1024,
    /** An answer older than this is read again, whatever changed (download counts in resolver answers). */
    readonly maxAgeMs = 60_000,
  ) {}

  /** Whether an answer is kept for `key`, without counting as a use. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e) e.used = true;
    return e;
  }

  set(key: string, answer: Omit<Entry, 'head' | 'used'>): void {
    if (answer.body.length > this.maxBytes / 16) return;
    this.drop(key);
    // A new entry counts as used: otherwise, with every older entry served since the last sweep, it would be the first evicted.
    this.entries.set(key, { ...answer, head: { ...answer.headers, 'content-length': answer.body.length }, used: true });
    this.bytes += answer.body.length;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) this.evictOne();
  }

  /** The oldest entry not served since the sweep last passed it; served ones go to the back, once. */
  private evictOne(): void {
    for (const [key, e] of this.entries) {
      if (!e.used) return this.drop(key);
      e.used = false;
      this.entries.delete(key);
      this.entries.set(key, e);
    }
  }

  private drop(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.body.length;
  }
}

interface Context {
  cache: ResponseCache;
  changes: ChangeFeed;
  now: () => number;
  /**
   * Keep side-effect answers and replay the effect per hit (installs). Off when anonymous requests
   * are rate limited: hits are not, and each would count a download past the limit.
   */
  replayEffects: boolean;
}

/** A request with credentials: a bearer token, or a web UI session (whose pages are personal). */
const credentialed = (headers: IncomingHttpHeaders): boolean => headers.authorization !== undefined || hasSessionCookie(headers.cookie);

/** The only requests the cache answers: GETs without credentials. */
const anonymousGet = (method: string | undefined, url: string | undefined, headers: IncomingHttpHeaders): url is string =>
  method === 'GET' && url !== undefined && !credentialed(headers);

/** The entry for an anonymous GET of `url`, if nothing it depends on changed since it was read. */
function fresh(ctx: Context, method: string | undefined, url: string | undefined, headers: IncomingHttpHeaders) {
  if (!anonymousGet(method, url, headers) || !ctx.changes.trusted) return undefined;
  const hit = ctx.cache.get(url);
  if (!hit || !ctx.changes.isFresh(hit.readAt, hit.keys) || ctx.now() - hit.storedAt > ctx.cache.maxAgeMs) return undefined;
  if (hit.expiresAt !== undefined && ctx.now() >= hit.expiresAt) return undefined;
  ctx.cache.hits++;
  return hit;
}

/**
 * Answers from the cache at the node:http level, before any framework work; false when it cannot,
 * and the request goes on to the routes. A request for a URL the routes are answering already
 * (a cold or just-evicted entry that many clients ask for at once) waits for that answer and is
 * served from it, rather than reading the database again; `route` takes it if none was stored.
 */
export function serveFromCache(ctx: Context, req: IncomingMessage, res: ServerResponse, route: () => void): boolean {
  if (answerFromCache(ctx, req, res)) return true;
  const reading = anonymousGet(req.method, req.url, req.headers) ? ctx.cache.reading.get(req.url) : undefined;
  if (!reading) return false;
  void reading.then(() => {
    if (!res.destroyed && !answerFromCache(ctx, req, res)) route();
  });
  return true;
}

function answerFromCache(ctx: Context, req: IncomingMessage, res: ServerResponse): boolean {
  const hit = fresh(ctx, req.method, req.url, req.headers);
  if (!hit) return false;
  hit.onServe?.();
  if (hit.status === 200 && etagMatches(req.headers['if-none-match'], hit.headers.etag)) {
    const { 'content-type': _type, ...headers } = hit.headers;
    res.writeHead(304, headers).end();
  } else {
    res.writeHead(hit.status, hit.head).end(hit.body);
  }
  return true;
}

const KEPT_HEADERS = ['content-type', 'etag', 'cache-control', 'vary', 'access-control-allow-origin', 'x-comfyreg-uplink'];

function cacheable(req: FastifyRequest): boolean {
  const route = req.routeOptions.url;
  return (
    anonymousGet(req.method, req.url, req.headers) &&
    route !== undefined &&
    (!SIDE_EFFECT_ROUTES.has(route) || REPLAYED_EFFECT_ROUTES.has(route))
  );
}

/**
 * Answers repeated anonymous GETs (the resolver on every workflow load, above all) from memory.
 * An entry is served only while none of the change keys its route names was touched since it was
 * read (here or, through PostgreSQL, on another instance), and for at most `maxAgeMs`; ETags stay
 * those of the bytes.
 */
export function installResponseCache(app: FastifyInstance, ctx: Context): void {
  const { changes, cache } = ctx;
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!changes.trusted || !cacheable(req)) return;
    // Requests that did not come through serveFromCache (inject, or a miss there) are looked up here.
    const hit = fresh(ctx, req.method, req.url, req.headers);
    if (hit) {
      hit.onServe?.();
      return reply.code(hit.status).headers(hit.headers).send(hit.body);
    }
    cache.misses++;
    req.cacheReadAt = changes.now;
    if (!cache.reading.has(req.url)) {
      const url = req.url;
      let resolve!: () => void;
      const reading = new Promise<void>((r) => (resolve = r));
      cache.reading.set(url, reading);
      req.cacheRead = () => {
        if (cache.reading.get(url) === reading) cache.reading.delete(url);
        resolve();
      };
      // The answer was sent (onResponse, below) or the client went away before it.
      reply.raw.once('close', req.cacheRead);
    }
  });

  app.addHook('onResponse', (req: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    req.cacheRead?.();
    done();
  });

  app.addHook('preSerialization', async (req: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
    if (req.cacheReadAt !== undefined) req.cacheAnswer = payload;
    return payload;
  });

  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (req.cacheReadAt !== undefined) {
      const status = reply.statusCode;
      const storable = REPLAYED_EFFECT_ROUTES.has(req.routeOptions.url!)
        ? ctx.replayEffects && status === 200 && req.cacheOnServe !== undefined
        : (status === 200 && (reply.getHeader('cache-control') === PUBLIC_CACHE_CONTROL || req.cacheExpiresAt !== undefined)) ||
          status === 404;
      if (storable && changes.trusted && (typeof payload === 'string' || Buffer.isBuffer(payload))) {
        const keys = req.routeOptions.config.cacheKeys?.(req, req.cacheAnswer) ?? ['all'];
        // Something it depends on changed while it was being read: it is stale already.
        if (changes.isFresh(req.cacheReadAt, keys)) {
          const headers: Record<string, string> = {};
          for (const h of KEPT_HEADERS) {
            const v = reply.getHeader(h);
            if (v !== undefined) headers[h] = String(v);
          }
          const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
          cache.set(req.url, {
            readAt: req.cacheReadAt,
            keys,
            storedAt: ctx.now(),
            status,
            headers,
            body,
            expiresAt: req.cacheExpiresAt,
            onServe: req.cacheOnServe,
          });
        }
      }
    } else if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS' && reply.statusCode < 400) {
      // The write has committed by now; touching `all` again closes the window in which a read on
      // another PostgreSQL connection saw the data before the commit (keyed writes touch their keys after commit).
      changes.touch(['all']);
    }
    return payload;
  });
}
