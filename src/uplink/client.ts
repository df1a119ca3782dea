import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { CircuitBreaker } from './breaker.js';

/** The uplink did not give a usable answer: it failed, timed out, looped, overflowed, or the breaker is open. */
export class UplinkFailure extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'UplinkFailure';
  }
}

/** The uplink's answer: a JSON body, or "it has no such thing" (404, 400, 403, 410). */
export type UplinkAnswer = { found: true; body: unknown } | { found: false; status: number };

export interface UplinkClientOptions {
  baseUrl: string;
  timeoutMs: number;
  maxFails: number;
  failTimeoutMs: number;
  token?: string;
  /** Hosts archives may come from; undefined: the uplink's host and the hosts its answers name. */
  archiveHosts?: string[];
  now?: () => number;
  /** The largest JSON answer read; a larger one is a failure. */
  maxJsonBytes?: number;
}

/**
 * An archive body that keeps its bytes until the caller reads them (a 'data' listener on the body
 * itself would make it flow and drop whatever arrives before the caller reads). It fails with an
 * UplinkFailure when the body stalls longer than `timeoutMs` or breaks off: a broken download must
 * never pass for an archive with other bytes.
 */
function guardedBody(body: Readable, url: string, timeoutMs: number): Readable {
  const stalled = () => guarded.destroy(new UplinkFailure(`archive ${url} stalled`));
  let idle = setTimeout(stalled, timeoutMs);
  const guarded = new Transform({
    transform(chunk: Buffer, _enc, done) {
      clearTimeout(idle);
      idle = setTimeout(stalled, timeoutMs);
      done(null, chunk);
    },
    flush(done) {
      clearTimeout(idle);
      done();
    },
  });
  body.on('error', (err) =>
    guarded.destroy(err instanceof UplinkFailure ? err : new UplinkFailure(`archive ${url} broke off: ${err.message}`)),
  );
  guarded.on('close', () => {
    clearTimeout(idle);
    body.destroy();
  });
  return body.pipe(guarded);
}

const NOT_FOUND_STATUSES = [400, 403, 404, 410];
const MAX_REDIRECTS = 5;

/**
 * The one way comfyreg talks to its uplink. Every request is bounded in time (headers and body)
 * and size, follows at most a few redirects, and goes through the circuit breaker; any other
 * outcome than a JSON answer or a "not found" throws UplinkFailure.
 */
export class UplinkClient {
  readonly baseUrl: string;
  readonly breaker: CircuitBreaker;
  private readonly maxJsonBytes: number;
  /** Hosts named by the uplink's own answers for archives (used when no list is configured). */
  private readonly namedHosts = new Set<string>();

  constructor(readonly opts: UplinkClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.breaker = new CircuitBreaker(opts.maxFails, opts.failTimeoutMs, opts.now ?? Date.now);
    this.maxJsonBytes = opts.maxJsonBytes ?? 16 * 1024 * 1024;
  }

  get host(): string {
    return new URL(this.baseUrl).host.toLowerCase();
  }

  async getJson(path: string): Promise<UplinkAnswer> {
    return this.json(path, { method: 'GET' });
  }

  async postJson(path: string, body: unknown): Promise<UplinkAnswer> {
    return this.json(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  }

  /** Remembers a host the uplink named in an archive URL, so that it may be fetched from. */
  noteArchiveUrl(url: string): void {
    if (this.opts.archiveHosts) return;
    try {
      this.namedHosts.add(new URL(url).host.toLowerCase());
    } catch {
      // Not a URL: nothing to allow.
    }
  }

  archiveHostAllowed(url: string): boolean {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
    const host = u.host.toLowerCase();
    if (this.opts.archiveHosts) return this.opts.archiveHosts.includes(host) || this.opts.archiveHosts.includes(u.hostname.toLowerCase());
    return host === this.host || this.namedHosts.has(host);
  }

  /**
   * The archive at `url` as a stream: only from allowed hosts (redirects included); the headers
   * must come within the timeout, and the body may not pause longer than it.
   */
  async openArchive(url: string, maxBytes: number): Promise<{ stream: Readable; size: number | undefined }> {
    if (!this.archiveHostAllowed(url)) throw new UplinkFailure(`archive host of ${url} is not allowed`);
    const { res, controller, timer } = await this.request(url, { method: 'GET' }, (next) => this.archiveHostAllowed(next));
    clearTimeout(timer);
    if (res.status !== 200 || !res.body) {
      controller.abort();
      this.breaker.failure();
      throw new UplinkFailure(`archive ${url} answered ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length'));
    if (declared > maxBytes) {
      controller.abort();
      throw new UplinkFailure(`archive ${url} declares ${declared} bytes, over ${maxBytes}`);
    }
    const size = Number.isFinite(declared) && declared > 0 ? declared : undefined;
    const stream = guardedBody(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), url, this.opts.timeoutMs);
    stream.on('error', () => controller.abort());
    return { stream, size };
  }

  private async json(path: string, init: RequestInit): Promise<UplinkAnswer> {
    const url = `${this.baseUrl}${path}`;
    const { res, controller, timer } = await this.request(url, init, (next) => new URL(next).host.toLowerCase() === this.host);
    try {
      if (NOT_FOUND_STATUSES.includes(res.status)) {
        await res.body?.cancel();
        this.breaker.success();
        return { found: false, status: res.status };
      }
      if (res.status !== 200) throw new UplinkFailure(`${init.method} ${path} answered ${res.status}`);
      const text = await this.readBounded(res, path);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new UplinkFailure(`${init.method} ${path} answered something that is not JSON`);
      }
      this.breaker.success();
      return { found: true, body };
    } catch (err) {
      controller.abort();
      this.breaker.failure();
      throw err instanceof UplinkFailure ? err : new UplinkFailure(`${init.method} ${path}: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends the request through the breaker, following redirects the caller accepts; the timer bounds it all. */
  private async request(url: string, init: RequestInit, followable: (url: string) => boolean) {
    if (!this.breaker.allow()) throw new UplinkFailure('the uplink failed repeatedly; not asking it until the breaker closes');
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new UplinkFailure(`no answer within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
    const headers: Record<string, string> = { accept: 'application/json, */*', ...(init.headers as Record<string, string>) };
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    try {
      let current = url;
      for (let hop = 0; ; hop++) {
        const res = await fetch(current, { ...init, headers, redirect: 'manual', signal: controller.signal });
        const location = res.headers.get('location');
        if (res.status < 300 || res.status >= 400 || !location) return { res, controller, timer };
        await res.body?.cancel();
        if (hop >= MAX_REDIRECTS) throw new UplinkFailure(`more than ${MAX_REDIRECTS} redirects from ${url}`);
        const next = new URL(location, current).toString();
        if (!followable(next)) throw new UplinkFailure(`redirect to ${next} is not allowed`);
        // Only the uplink itself gets the token.
        if (new URL(next).host.toLowerCase() !== this.host) delete headers.authorization;
        current = next;
      }
    } catch (err) {
      clearTimeout(timer);
      controller.abort();
      this.breaker.failure();
      if (err instanceof UplinkFailure) throw err;
      const reason = controller.signal.reason instanceof UplinkFailure ? controller.signal.reason.message : (err as Error).message;
      throw new UplinkFailure(`${url}: ${reason}`);
    }
  }

  private async readBounded(res: Response, path: string): Promise<string> {
    if (Number(res.headers.get('content-length')) > this.maxJsonBytes)
      throw new UplinkFailure(`${path} answered more than ${this.maxJsonBytes} bytes`);
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > this.maxJsonBytes) {
        await reader.cancel();
        throw new UplinkFailure(`${path} answered more than ${this.maxJsonBytes} bytes`);
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}
