import type { ExtractionResult } from '../contract/index.js';
import { WorkerRefused, type Job, type JobSource, type ReportOutcome } from './job-source.js';
import { readAll } from './local-job-source.js';

/** A registry reached over HTTP with a service token, for `comfyreg worker`. */
export class HttpJobSource implements JobSource {
  private readonly base: string;

  constructor(
    registryUrl: string,
    private readonly token: string,
    private readonly worker: string,
    private readonly leaseSeconds: number,
  ) {
    this.base = registryUrl.replace(/\/+$/, '');
  }

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(this.base + path, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  private async expect(res: Response, ok: number[], what: string): Promise<void> {
    if (ok.includes(res.status)) return;
    const text = await res.text().catch((err: Error) => `(body unreadable: ${err.message})`);
    if (res.status === 401 || res.status === 403) {
      throw new WorkerRefused(`${what}: the registry answered ${res.status}; check COMFYREG_SERVICE_TOKEN (${text.slice(0, 200)})`);
    }
    throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 300)}`);
  }

  async lease(): Promise<Job | null> {
    const res = await this.call('POST', '/extraction-jobs/lease', { worker: this.worker, lease_seconds: this.leaseSeconds });
    if (res.status === 204) return null;
    await this.expect(res, [200], 'lease');
    return (await res.json()) as Job;
  }

  async fetchArchive(job: Job, maxBytes: number): Promise<Buffer> {
    const res = await fetch(`${this.base}/archives/${job.archive_key}`);
    await this.expect(res, [200], 'archive download');
    if (Number(res.headers.get('content-length') ?? 0) > maxBytes) throw new Error(`archive larger than ${maxBytes} bytes`);
    return readAll(res.body as unknown as AsyncIterable<Uint8Array>, maxBytes);
  }

  async report(job: Job, body: ExtractionResult): Promise<ReportOutcome> {
    const path = `/nodes/${encodeURIComponent(job.node_id)}/versions/${encodeURIComponent(job.version)}/comfy-nodes`;
    const res = await this.call('POST', path, body);
    await this.expect(res, [204, 409], 'CreateComfyNodes');
    return res.status === 409 ? 'exists' : 'stored';
  }

  async complete(job: Job): Promise<void> {
    const res = await this.call('POST', `/extraction-jobs/${job.node_version_id}/complete`, { worker: this.worker });
    await this.expect(res, [204], 'complete');
  }

  async fail(job: Job, reason: string): Promise<void> {
    const res = await this.call('POST', `/extraction-jobs/${job.node_version_id}/fail`, {
      worker: this.worker,
      reason: reason.slice(0, 2000),
    });
    // 404: the lease ran out and another worker holds the job now; nothing is lost.
    await this.expect(res, [204, 404], 'fail');
  }

  async release(job: Job): Promise<void> {
    const res = await this.call('POST', `/extraction-jobs/${job.node_version_id}/release`, { worker: this.worker });
    await this.expect(res, [204], 'release');
  }
}
