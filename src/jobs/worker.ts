import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { WorkerRefused, type Job, type JobSource } from './job-source.js';
import { runJob, type Extractor } from './protocol.js';
import { ThreadExtractor } from './thread-extractor.js';

export interface WorkerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface WorkerOptions {
  source: JobSource;
  /** Defaults to a ThreadExtractor: extraction off the event loop, with a memory and time bound. */
  extractor?: Extractor;
  pollMs?: number;
  log?: WorkerLog;
}

/**
 * A worker's lease owner: `{instance}/{pid}/{random}`. The instance (a setting; the host name by
 * default) lets a restarted instance find the leases its earlier run left behind.
 */
export const workerId = (instance = hostname()) => `${instance}/${process.pid}/${randomBytes(3).toString('hex')}`;

const quiet: WorkerLog = { info() {}, warn() {}, error() {} };

/** Leases jobs one at a time and runs each through the job protocol; one log line per job. */
export class Worker {
  private stopped = true;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private readonly pollMs: number;
  private readonly log: WorkerLog;
  private readonly extractor: Extractor;
  /** Set when the registry refused the worker's credentials; the loop has stopped. */
  refused: WorkerRefused | null = null;
  /** The job being worked on, to give back if the worker stops before it is done. */
  private current: Job | null = null;

  constructor(private readonly opts: WorkerOptions) {
    this.pollMs = opts.pollMs ?? 1000;
    this.log = opts.log ?? quiet;
    this.extractor = opts.extractor ?? new ThreadExtractor();
  }

  /** Runs one job if there is one; true when it did. */
  async runOnce(): Promise<boolean> {
    const job = await this.opts.source.lease();
    if (!job) return false;
    this.current = job;
    let outcome;
    try {
      outcome = await runJob(this.opts.source, this.extractor, job);
    } finally {
      this.current = null;
    }
    const where = { node: job.node_id, version: job.version, attempt: job.attempts };
    if (outcome.kind === 'retry') this.log.warn({ ...where, reason: outcome.reason }, 'extraction attempt failed');
    else if (outcome.kind === 'already-done') this.log.info(where, 'already extracted');
    else this.log.info({ ...where, nodes: outcome.nodes, status: outcome.status }, 'extracted');
    return true;
  }

  /** Resolves when the loop ends: on `stop()`, or when the registry refuses the worker. */
  start(): Promise<void> {
    if (!this.stopped) return this.loop!;
    this.stopped = false;
    this.loop = (async () => {
      let failing = false;
      while (!this.stopped) {
        let worked = false;
        try {
          worked = await this.runOnce();
          if (failing) this.log.info({}, 'the registry answers again');
          failing = false;
        } catch (err) {
          if (err instanceof WorkerRefused) {
            this.refused = err;
            this.log.error({ reason: err.message }, 'the registry refused this worker; stopping');
            this.stopped = true;
            break;
          }
          // One line when the registry stops answering, not one per poll.
          if (!failing) this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'cannot reach the job queue; retrying');
          failing = true;
        }
        if (!worked && !this.stopped) await this.idle();
      }
    })();
    return this.loop;
  }

  private idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.pollMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  /** Skips the rest of the idle wait: a job was just queued. */
  nudge(): void {
    this.wake?.();
  }

  /**
   * Stops taking jobs and lets the current one finish for up to `graceMs`; a job still running then
   * is given back to the queue (not counted as an attempt) and its extraction abandoned.
   */
  async stop(graceMs = Infinity): Promise<void> {
    this.stopped = true;
    this.nudge();
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      (this.loop ?? Promise.resolve()).then(() => true),
      new Promise<boolean>((resolve) => {
        if (Number.isFinite(graceMs)) timer = setTimeout(() => resolve(false), graceMs);
      }),
    ]);
    clearTimeout(timer);
    const job = this.current;
    if (!finished && job) {
      await this.opts.source
        .release(job)
        .then(() => this.log.info({ node: job.node_id, version: job.version }, 'gave the job back unfinished'))
        .catch((err: unknown) =>
          this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not give the job back; its lease will expire'),
        );
    }
    await this.extractor.close();
  }
}
