/** Public shapes of the extractor; `index.ts` re-exports them. */

/** One value of the CreateComfyNodes `nodes` map; the map key is the comfy node name. */
export interface ComfyNodeBody {
  category: string;
  description: string;
  function: string;
  /** JSON text of the V1 /object_info `input` object. */
  input_types: string;
  /** JSON text of the `output` array. */
  return_types: string;
  /** JSON text of the `output_name` array. */
  return_names: string;
  output_is_list: boolean[];
  deprecated: boolean;
  experimental: boolean;
  display_name: string;
  output_node: boolean;
}

export interface CreateComfyNodesBody {
  success: boolean;
  status?: string;
  reason?: string;
  nodes: Record<string, ComfyNodeBody>;
}

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
