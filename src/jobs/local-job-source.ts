import type { CreateComfyNodesBody } from '../extract/index.js';
import { createComfyNodes } from '../registry/comfy-node-ingest.js';
import { RegistryError } from '../registry/errors.js';
import { failJob, finishExtraction, leaseJob } from '../registry/extraction-queue.js';
import type { Registry } from '../registry/registry.js';
import type { Job, JobSource } from './job-source.js';

const SERVICE = { kind: 'service' } as const;

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
    const found = await this.reg.store.get(job.archive_key);
    if (!found) throw new Error(`archive ${job.archive_key} is missing from the store`);
    return readAll(found.stream, maxBytes);
  }

  async report(job: Job, body: CreateComfyNodesBody): Promise<void> {
    try {
      await createComfyNodes(this.reg, SERVICE, job.node_id, job.version, body);
    } catch (err) {
      if (!(err instanceof RegistryError && err.kind === 'conflict')) throw err;
      await finishExtraction(this.reg.db, job.node_version_id);
    }
  }

  fail(job: Job, reason: string): Promise<void> {
    return failJob(this.reg, job.node_version_id, this.worker, reason);
  }
}
