import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { WorkerRefused, type JobSource } from './job-source.js';
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

export const workerId = () => `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;

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

  constructor(private readonly opts: WorkerOptions) {
    this.pollMs = opts.pollMs ?? 1000;
    this.log = opts.log ?? quiet;
    this.extractor = opts.extractor ?? new ThreadExtractor();
  }

  /** Runs one job if there is one; true when it did. */
  async runOnce(): Promise<boolean> {
    const job = await this.opts.source.lease();
    if (!job) return false;
    const outcome = await runJob(this.opts.source, this.extractor, job);
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

  async stop(): Promise<void> {
    this.stopped = true;
    this.nudge();
    await this.loop;
    await this.extractor.close();
  }
}
