import client from 'prom-client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PoolStats } from '../db/database.js';
import { queueFigures } from '../registry/queue-figures.js';
import type { Registry } from '../registry/registry.js';
import type { ResponseCache } from './response-cache.js';

/*
 * Prometheus metrics of one app: request counts and durations by route pattern, and series read at
 * scrape time from whoever owns the figures (the answer cache, the job queue, the database pool; a
 * mirror's uplink). docs/operations.md lists every series and what to alert on.
 */

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's metrics: other modules add their series with `addGauge` / `addCounter`. */
    metrics: Metrics;
  }
}

/** One value of a series read at scrape time. */
export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

export interface ScrapedSeries {
  /** `comfyreg_…`; counters end in `_total`. */
  name: string;
  help: string;
  /**
   * Read at every scrape: one number, or one sample per label set. A read that throws leaves the
   * series out of that scrape (no false zero) and counts in `comfyreg_metrics_read_errors_total`.
   */
  read: () => number | Sample[] | Promise<number | Sample[]>;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Routes never reached (404s) share one label value: the raw URL would make a series per probe. */
const UNMATCHED = 'unmatched';
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

let processRegistry: client.Registry | undefined;
/** Process and runtime metrics (CPU, memory, event loop, GC): collected once per process, however many apps it builds. */
function processMetrics(): client.Registry {
  if (!processRegistry) {
    processRegistry = new client.Registry();
    client.collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * A series whose samples come from `read` at scrape time. prom-client's own Gauge would answer 0
 * for a labelless series whose read failed; this answers nothing, which alerts can tell apart.
 */
class Scraped {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'gauge' | 'counter',
    private readonly read: ScrapedSeries['read'],
    private readonly failed: (name: string, err: unknown) => void,
  ) {}

  private samples: Sample[] = [];

  /** Reads the samples of this scrape; run for every series before any is written out. */
  async collect(): Promise<void> {
    try {
      const v = await this.read();
      this.samples = typeof v === 'number' ? [{ value: v }] : v;
    } catch (err) {
      this.samples = [];
      this.failed(this.name, err);
    }
  }

  async get() {
    const samples = this.samples;
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: 'sum' as const,
      values: samples.map((s) => ({ labels: s.labels ?? {}, value: s.value })),
    };
  }

  reset(): void {}
}

export class Metrics {
  readonly registry = new client.Registry();
  readonly contentType = client.Registry.PROMETHEUS_CONTENT_TYPE;
  private readonly requests: client.Counter<'method' | 'route' | 'status'>;
  private readonly durations: client.Histogram<'method' | 'route' | 'status'>;
  private readonly readErrors: client.Counter<'metric'>;
  private readonly scraped: Scraped[] = [];
  /** Reads shared by several series within one scrape (the queue figures feed three). */
  private scrape = new Map<string, Promise<unknown>>();

  constructor(private readonly onReadError: (name: string, err: unknown) => void = () => {}) {
    const registers = [this.registry];
    const labelNames = ['method', 'route', 'status'] as const;
    this.requests = new client.Counter({
      name: 'comfyreg_http_requests_total',
      help: 'HTTP requests answered by the routes, by method, route pattern and status (answer-cache hits served before routing are in comfyreg_read_cache_hits_total)',
      labelNames,
      registers,
    });
    this.durations = new client.Histogram({
      name: 'comfyreg_http_request_duration_seconds',
      help: 'Time from receiving a request to sending the last byte of its answer, by method, route pattern and status',
      labelNames,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.readErrors = new client.Counter({
      name: 'comfyreg_metrics_read_errors_total',
      help: 'Scrapes in which a series could not be read (it was left out of that scrape), by series',
      labelNames: ['metric'],
      registers,
    });
  }

  observeRequest(method: string, route: string | undefined, status: number, seconds: number): void {
    const labels = { method: METHODS.has(method) ? method : 'other', route: route ?? UNMATCHED, status: String(status) };
    this.requests.inc(labels);
    this.durations.observe(labels, seconds);
  }

  /** A gauge read at every scrape. For other modules too: a mirror adds its uplink's state here. */
  addGauge(series: ScrapedSeries): void {
    this.add('gauge', series);
  }

  /** A counter whose running total lives elsewhere (a hit count), read at every scrape. */
  addCounter(series: ScrapedSeries): void {
    if (!series.name.endsWith('_total')) throw new Error(`counter ${series.name} must end in _total`);
    this.add('counter', series);
  }

  /** `read` once per scrape, however many series ask for it. */
  shared<T>(key: string, read: () => Promise<T>): Promise<T> {
    let p = this.scrape.get(key) as Promise<T> | undefined;
    if (!p) {
      p = read();
      this.scrape.set(key, p);
    }
    return p;
  }

  /** The exposition text: process metrics, then this app's. */
  async text(): Promise<string> {
    this.scrape = new Map();
    // Every read first, so that this scrape's read errors are counted in this scrape's text.
    await Promise.all(this.scraped.map((m) => m.collect()));
    const [proc, app] = await Promise.all([processMetrics().metrics(), this.registry.metrics()]);
    return proc + app;
  }

  private add(type: 'gauge' | 'counter', s: ScrapedSeries): void {
    const failed = (name: string, err: unknown) => {
      this.readErrors.inc({ metric: name });
      this.onReadError(name, err);
    };
    const series = new Scraped(s.name, s.help, type, s.read, failed);
    this.registry.registerMetric(series as unknown as client.Metric);
    this.scraped.push(series);
  }
}

/** Counts and times every answer the routes give, by route pattern (bounded), never by raw URL. */
export function installRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
    metrics.observeRequest(req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
  });
}

export interface RegistrySeriesSources {
  reg: Registry;
  cache: ResponseCache | null;
  /** PostgreSQL's pool figures; absent on SQLite. */
  pool?: () => PoolStats;
}

/** The registry's own series: the answer cache, the extraction queue, the database pool and a mirror's uplink. */
export function addRegistrySeries(metrics: Metrics, { reg, cache, pool }: RegistrySeriesSources): void {
  if (cache) {
    metrics.addCounter({
      name: 'comfyreg_read_cache_hits_total',
      help: 'Anonymous GETs answered from the in-memory answer cache',
      read: () => cache.hits,
    });
    metrics.addCounter({
      name: 'comfyreg_read_cache_misses_total',
      help: 'Cacheable anonymous GETs the routes had to answer',
      read: () => cache.misses,
    });
  }
  const figures = () => metrics.shared('queue', () => queueFigures(reg));
  metrics.addGauge({
    name: 'comfyreg_extraction_jobs',
    help: 'Extraction jobs by state (queued, running, failed); a done job leaves the table',
    read: async () => Object.entries((await figures()).byState).map(([state, value]) => ({ labels: { state }, value })),
  });
  metrics.addGauge({
    name: 'comfyreg_extraction_queue_depth',
    help: 'Extraction jobs a worker could take now: queued, or running with a lease that ran out',
    read: async () => (await figures()).pending,
  });
  metrics.addGauge({
    name: 'comfyreg_extraction_queue_oldest_age_seconds',
    help: 'How long the longest-waiting job in the queue depth has waited (0 when none waits)',
    read: async () => (await figures()).oldestPendingSeconds,
  });
  if (pool) {
    const series: [string, string, keyof PoolStats][] = [
      ['comfyreg_db_pool_max_connections', 'Most connections the PostgreSQL pool opens', 'max'],
      ['comfyreg_db_pool_connections', 'PostgreSQL connections open (idle or in use)', 'total'],
      ['comfyreg_db_pool_idle_connections', 'PostgreSQL connections open and idle', 'idle'],
      ['comfyreg_db_pool_waiting_queries', 'Queries waiting for a PostgreSQL connection', 'waiting'],
    ];
    for (const [name, help, field] of series) metrics.addGauge({ name, help, read: () => pool()[field] });
  }
  const uplink = uplinkStateOf(reg);
  if (uplink) addUplinkSeries(metrics, uplink);
}

/** What a mirror knows of its upstream (issue 10's uplink), as it exposes it. */
export interface UplinkState {
  breakerOpen: boolean;
  consecutiveFailures: number;
  /** Epoch milliseconds or ISO-8601 text; null before the first success. */
  lastSuccessAt: number | string | null;
  /** Reads through the uplink since start, by outcome (`fresh`, `revalidated`, `stale`, `error`). */
  reads: Readonly<Record<string, number>>;
}

/** A mirror's uplink as the metrics see it; undefined without a configured uplink (no mirror, or an offline one). */
export function uplinkStateOf(reg: Registry): (() => UplinkState) | undefined {
  const mirror = reg.uplink;
  const client = mirror?.client;
  if (!mirror || !client) return undefined;
  return () => ({
    breakerOpen: client.breaker.open,
    consecutiveFailures: client.breaker.consecutiveFailures,
    lastSuccessAt: client.breaker.lastSuccessAt,
    reads: mirror.reads,
  });
}

/** The uplink's series, read from `state()` at each scrape: one call where the mirror is set up. */
export function addUplinkSeries(metrics: Metrics, state: () => UplinkState): void {
  metrics.addGauge({
    name: 'comfyreg_uplink_up',
    help: '1 while the upstream registry is taken to answer (its circuit breaker is closed), else 0',
    read: () => (state().breakerOpen ? 0 : 1),
  });
  metrics.addGauge({
    name: 'comfyreg_uplink_breaker_open',
    help: '1 while the circuit breaker to the upstream registry is open (upstream calls are skipped), else 0',
    read: () => (state().breakerOpen ? 1 : 0),
  });
  metrics.addGauge({
    name: 'comfyreg_uplink_consecutive_failures',
    help: 'Upstream calls that failed in a row since the last success',
    read: () => state().consecutiveFailures,
  });
  metrics.addGauge({
    name: 'comfyreg_uplink_last_success_timestamp_seconds',
    help: 'When an upstream call last succeeded, in seconds since the epoch (absent before the first)',
    read: () => {
      const at = state().lastSuccessAt;
      const ms = typeof at === 'string' ? Date.parse(at) : at;
      return ms === null || !Number.isFinite(ms) ? [] : ms / 1000;
    },
  });
  metrics.addCounter({
    name: 'comfyreg_uplink_reads_total',
    help: 'Reads of packs not held locally, by outcome: fresh (kept, within max age), revalidated (asked upstream), stale (kept; upstream failed), error (upstream failed and nothing kept: 502)',
    read: () => Object.entries(state().reads).map(([outcome, value]) => ({ labels: { outcome }, value })),
  });
}
