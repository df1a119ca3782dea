import type { CreateComfyNodesBody } from '../extract/index.js';

/** What a worker is handed: enough to fetch the archive and say where the result goes. */
export interface Job {
  node_version_id: string;
  node_id: string;
  version: string;
  archive_key: string;
  attempts: number;
}

/**
 * Where a worker gets jobs and sends results: the registry itself (in-process) or a registry
 * over HTTP (`comfyreg worker`). The worker loop is the same for both.
 */
export interface JobSource {
  lease(): Promise<Job | null>;
  fetchArchive(job: Job, maxBytes: number): Promise<Buffer>;
  /** Posts the result to CreateComfyNodes; a version that already has rows counts as done. */
  report(job: Job, body: CreateComfyNodesBody): Promise<void>;
  fail(job: Job, reason: string): Promise<void>;
}
