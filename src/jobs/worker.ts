import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DEFAULT_LIMITS, type ExtractResult } from '../extract/index.js';
import type { JobSource } from './job-source.js';
import { ThreadExtractor } from './thread-extractor.js';

export interface WorkerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface WorkerOptions {
  source: JobSource;
  /** Defaults to a ThreadExtractor: extraction off the event loop, with a memory and time bound. */
  extractor?: { extract(zip: Buffer): Promise<ExtractResult>; close(): Promise<void> };
  pollMs?: number;
  log?: WorkerLog;
}

export const workerId = () => `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;

const quiet: WorkerLog = { info() {}, warn() {} };

/**
 * Leases jobs one at a time, extracts the archive statically and reports the result. Extraction
 * problems are results (`success: false`); only failures to fetch or report count as attempts.
 */
export class Worker {
  private stopped = true;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private readonly pollMs: number;
  private readonly log: WorkerLog;
  private readonly extractor: NonNullable<WorkerOptions['extractor']>;

  constructor(private readonly opts: WorkerOptions) {
    this.pollMs = opts.pollMs ?? 1000;
    this.log = opts.log ?? quiet;
    this.extractor = opts.extractor ?? new ThreadExtractor();
  }

  /** Runs one job if there is one; true when it did. */
  async runOnce(): Promise<boolean> {
    const { source } = this.opts;
    const job = await source.lease();
    if (!job) return false;
    try {
      const zip = await source.fetchArchive(job, DEFAULT_LIMITS.maxCompressedBytes);
      const result = await this.extractor.extract(zip);
      await source.report(job, result.body);
      this.log.info({ node: job.node_id, version: job.version, nodes: Object.keys(result.body.nodes).length, status: result.body.status ?? 'success' }, 'extracted');
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.log.warn({ node: job.node_id, version: job.version, attempt: job.attempts, reason }, 'extraction attempt failed');
      await source.fail(job, reason).catch(() => {});
    }
    return true;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = (async () => {
      while (!this.stopped) {
        let worked = false;
        try {
          worked = await this.runOnce();
        } catch (err) {
          this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not lease a job');
        }
        if (!worked && !this.stopped) await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.pollMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
    })();
  }

  /** Skips the rest of the idle wait: a job was just queued. */
  nudge(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.nudge();
    await this.loop;
    await this.extractor.close();
  }
}
