import { needsOwnExtraction, readMirrorArchive } from '../registry/mirror/archives.js';
import { storeOwnExtraction } from '../registry/mirror/extracted.js';
import type { Registry } from '../registry/registry.js';
import type { Extractor } from './protocol.js';

export interface MirrorExtractionLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Mirror mode's extraction: when an upstream version's archive is first stored and upstream has
 * no comfy nodes for it, comfyreg's own extractor runs on it, one version at a time.
 */
export class MirrorExtraction {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly onStored = (nodeKey: string, version: string) => void this.enqueue(nodeKey, version);

  constructor(
    private readonly reg: Registry,
    private readonly extractor: Extractor,
    private readonly log: MirrorExtractionLog,
  ) {}

  start(): this {
    this.reg.events.on('mirrorArchiveStored', this.onStored);
    return this;
  }

  /** Extracts the version unless upstream has comfy nodes for it or it was extracted; never rejects. */
  enqueue(nodeId: string, version: string): Promise<'extracted' | 'skipped' | 'failed'> {
    const run = this.queue.then(() => this.extractOne(nodeId, version));
    this.queue = run;
    return run;
  }

  /** Resolves when everything queued so far is done. */
  idle(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  private async extractOne(nodeId: string, version: string): Promise<'extracted' | 'skipped' | 'failed'> {
    try {
      if (!(await needsOwnExtraction(this.reg, nodeId, version))) return 'skipped';
      const result = await this.extractor.extract(await readMirrorArchive(this.reg, nodeId, version));
      await storeOwnExtraction(this.reg, nodeId, version, result.body);
      this.log.info(
        { node: nodeId, version, comfyNodes: Object.keys(result.body.nodes).length },
        'extracted an upstream version upstream had no comfy nodes for',
      );
      return 'extracted';
    } catch (err) {
      this.log.warn({ node: nodeId, version, err: (err as Error).message }, 'extracting an upstream version failed');
      return 'failed';
    }
  }

  async stop(): Promise<void> {
    this.reg.events.off('mirrorArchiveStored', this.onStored);
    await this.idle();
  }
}
