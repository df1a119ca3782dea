import type { ExtractedComfyNode, ExtractionResult } from '../contract/index.js';

/** Public shapes of the extractor; `index.ts` re-exports them. The output shapes are the contract's. */

/** One value of the CreateComfyNodes `nodes` map; the map key is the comfy node name. */
export type ComfyNodeBody = ExtractedComfyNode;

/** The CreateComfyNodes body extraction produces: every node complete. */
export type CreateComfyNodesBody = ExtractionResult;

export interface Diagnostic {
  file: string;
  line: number;
  node?: string;
  field?: string;
  message: string;
  /** 'info' for choices the extractor made (e.g. following the shipped configuration); absent for problems. */
  severity?: 'info';
}

export interface ExtractResult {
  body: CreateComfyNodesBody;
  diagnostics: Diagnostic[];
  stats: { files: number; bytes: number; parsedFiles: number };
}

export interface ExtractLimits {
  /** Size of the zip itself. */
  maxCompressedBytes: number;
  /** Sum of all inflated entries, counted while inflating. */
  maxTotalBytes: number;
  maxEntries: number;
  /** Largest single inflated entry. */
  maxFileBytes: number;
  /** Inflated/compressed, per entry and for the whole archive. */
  maxRatio: number;
  /** Path components of an entry. */
  maxDepth: number;
}

export type PackInput = { dir: string } | { zip: Buffer };
