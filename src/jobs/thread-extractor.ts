import { Worker as Thread } from 'node:worker_threads';
import type { ExtractResult } from '../extract/index.js';

export interface ThreadLimits {
  /** Heap of the extraction thread; a pack that needs more is reported, not retried. */
  maxHeapMb: number;
  timeoutMs: number;
}

export const DEFAULT_THREAD_LIMITS: ThreadLimits = { maxHeapMb: 512, timeoutMs: 120_000 };

/*
 * Compiled (dist/), the thread runs the compiled entry. From the TypeScript sources (tests, tsx),
 * threads do not inherit the tsx loader, so a small .mjs registers it and then loads the entry.
 */
const THREAD_MAIN = import.meta.url.endsWith('.js')
  ? new URL('./extract-thread.js', import.meta.url)
  : new URL('./thread-entry.mjs', import.meta.url);

const failed = (reason: string): ExtractResult => ({
  body: { success: false, status: 'failed', reason, nodes: {} },
  diagnostics: [],
  stats: { files: 0, bytes: 0, parsedFiles: 0 },
});

/**
 * Runs `extractPack` in a worker thread so that a large pack never stalls the server's event loop,
 * and so that a pack that exhausts memory or time costs a thread, not the process.
 */
export class ThreadExtractor {
  private thread: Thread | null = null;
  private nextId = 1;
  private pending: { id: number; resolve: (r: ExtractResult) => void; reject: (e: Error) => void } | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly limits: ThreadLimits = DEFAULT_THREAD_LIMITS) {}

  private start(): Thread {
    const thread = new Thread(THREAD_MAIN, {
      workerData: { entry: new URL('./extract-thread.ts', import.meta.url).href },
      resourceLimits: { maxOldGenerationSizeMb: this.limits.maxHeapMb },
    });
    thread.on('message', (msg: { id: number; result?: ExtractResult; error?: string }) => {
      const p = this.pending;
      if (!p || p.id !== msg.id) return;
      this.pending = null;
      if (msg.result) p.resolve(msg.result);
      else p.reject(new Error(msg.error ?? 'extraction failed'));
    });
    const lost = (reason: string) => {
      if (this.thread === thread) this.thread = null;
      const p = this.pending;
      this.pending = null;
      p?.resolve(failed(reason));
    };
    thread.on('error', (err: Error & { code?: string }) =>
      lost(
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `extraction needed more than ${this.limits.maxHeapMb} MB of memory`
          : `extraction crashed: ${err.message}`,
      ),
    );
    thread.on('exit', () => lost('the extraction thread stopped'));
    thread.unref();
    return thread;
  }

  /** One extraction at a time; callers queue. */
  extract(zip: Buffer): Promise<ExtractResult> {
    const run = this.queue.then(() => this.runOne(zip));
    // The caller gets this run's error; the queue only needs to know it ended.
    this.queue = run.catch(() => undefined);
    return run;
  }

  private runOne(zip: Buffer): Promise<ExtractResult> {
    const thread = (this.thread ??= this.start());
    const id = this.nextId++;
    return new Promise<ExtractResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending?.id !== id) return;
        this.pending = null;
        resolve(failed(`extraction took longer than ${Math.round(this.limits.timeoutMs / 1000)} s`));
        void thread.terminate();
      }, this.limits.timeoutMs);
      const done =
        <T>(f: (v: T) => void) =>
        (v: T) => {
          clearTimeout(timer);
          f(v);
        };
      this.pending = { id, resolve: done(resolve), reject: done(reject) };
      thread.postMessage({ id, zip });
    });
  }

  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = null;
    if (thread) await thread.terminate();
  }
}
