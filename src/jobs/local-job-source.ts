import type { ExtractionResult } from '../contract/index.js';
import { RegistryError } from '../contract/index.js';
import { createComfyNodes } from '../registry/comfy-node-ingest.js';
import { completeJob, failJob, leaseJob, releaseJob } from '../registry/extraction-queue.js';
import { openArchive } from '../registry/archives.js';
import type { Registry } from '../registry/registry.js';
import type { Job, JobSource, ReportOutcome } from './job-source.js';

export async function readAll(stream: AsyncIterable<Buffer | Uint8Array>, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > maxBytes) throw new Error(`archive larger than ${maxBytes} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** The in-process source: the worker runs inside the server and calls the registry directly. */
export class LocalJobSource implements JobSource {
  constructor(
    private readonly reg: Registry,
    private readonly worker: string,
    private readonly leaseSeconds: number,
  ) {}

  lease(): Promise<Job | null> {
    return leaseJob(this.reg, this.worker, this.leaseSeconds);
  }

  async fetchArchive(job: Job, maxBytes: number): Promise<Buffer> {
    let found;
    try {
      found = await openArchive(this.reg, job.archive_key);
    } catch (err) {
      if (err instanceof RegistryError && err.code === 'ARCHIVE_NOT_FOUND')
        throw new Error(`archive ${job.archive_key} is missing from the store`);
      throw err;
    }
    return readAll(found.stream, maxBytes);
  }

  async report(job: Job, body: ExtractionResult): Promise<ReportOutcome> {
    try {
      await createComfyNodes(this.reg, job.node_id, job.version, body);
      return 'stored';
    } catch (err) {
      if (err instanceof RegistryError && err.code === 'COMFY_NODES_EXIST') return 'exists';
      throw err;
    }
  }

  complete(job: Job): Promise<void> {
    return completeJob(this.reg, job.node_version_id);
  }

  fail(job: Job, reason: string): Promise<void> {
    return failJob(this.reg, job.node_version_id, this.worker, reason);
  }

  release(job: Job): Promise<void> {
    return releaseJob(this.reg, job.node_version_id, this.worker);
  }
}
