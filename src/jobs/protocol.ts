import { DEFAULT_LIMITS, type ExtractResult } from '../extract/index.js';
import { WorkerRefused, type Job, type JobSource } from './job-source.js';

export interface Extractor {
  extract(zip: Buffer): Promise<ExtractResult>;
  close(): Promise<void>;
}

export type JobOutcome =
  | { kind: 'stored'; nodes: number; status: string }
  /** The version already had its comfy nodes (CreateComfyNodes answered 409): the job is done. */
  | { kind: 'already-done' }
  /** Fetching or reporting failed: the job went back to the queue (or failed for good after its last attempt). */
  | { kind: 'retry'; reason: string };

/**
 * The job protocol, one place for both workers (in-process and over HTTP):
 * - an extraction problem is a result (`success: false` with a reason), reported like any other;
 * - a report that meets existing comfy nodes (409) means another attempt got there first: complete the job;
 * - a failure to fetch the archive or to report gives the job back; the registry counts the
 *   attempt and fails the version after the last one;
 * - a refusal of the worker's credentials (`WorkerRefused`) is not a job failure: it propagates.
 */
export async function runJob(source: JobSource, extractor: Extractor, job: Job): Promise<JobOutcome> {
  try {
    const zip = await source.fetchArchive(job, DEFAULT_LIMITS.maxCompressedBytes);
    const result = await extractor.extract(zip);
    if ((await source.report(job, result.body)) === 'exists') {
      await source.complete(job);
      return { kind: 'already-done' };
    }
    return { kind: 'stored', nodes: Object.keys(result.body.nodes).length, status: result.body.status ?? 'success' };
  } catch (err) {
    if (err instanceof WorkerRefused) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    await source.fail(job, reason);
    return { kind: 'retry', reason };
  }
}
