import type { ExtractionResult, LeasedJob } from '../contract/index.js';

/** What a worker is handed: enough to fetch the archive and to say where the result goes. */
export type Job = Pick<LeasedJob, 'node_version_id' | 'node_id' | 'version' | 'archive_key' | 'attempts'>;

/** What became of a reported result: stored now, or the version already had its comfy nodes. */
export type ReportOutcome = 'stored' | 'exists';

/**
 * Where a worker gets jobs and sends results: the registry itself (in-process) or a registry over
 * HTTP (`comfyreg worker`). Sources only carry calls; what the worker does with their answers is
 * the job protocol (`protocol.ts`), the same for both.
 */
export interface JobSource {
  lease(): Promise<Job | null>;
  fetchArchive(job: Job, maxBytes: number): Promise<Buffer>;
  report(job: Job, body: ExtractionResult): Promise<ReportOutcome>;
  /** Ends a job whose version already has its comfy nodes. */
  complete(job: Job): Promise<void>;
  /** Gives a job back after a failure to fetch or report; the registry counts attempts. */
  fail(job: Job, reason: string): Promise<void>;
  /** Gives a job back unfinished because the worker stops; not counted as an attempt. */
  release(job: Job): Promise<void>;
}

/** The registry refuses this worker's credentials: retrying cannot help, so the worker stops. */
export class WorkerRefused extends Error {}
