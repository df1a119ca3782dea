import type { ExtractLimits } from './types.js';

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: ExtractLimits = Object.freeze({
  maxCompressedBytes: 64 * MiB,
  maxTotalBytes: 256 * MiB,
  maxEntries: 20_000,
  maxFileBytes: 16 * MiB,
  maxRatio: 100,
  maxDepth: 32,
});

export function resolveLimits(partial?: Partial<ExtractLimits>): ExtractLimits {
  return { ...DEFAULT_LIMITS, ...(partial ?? {}) };
}

/**
 * Budget of the static evaluator. Steps bound total work per pack; depth bounds recursion
 * (expression nesting and call frames) so hostile sources cannot overflow the JS stack.
 */
export const EVAL_BUDGET = Object.freeze({
  steps: 4_000_000,
  exprDepth: 120,
  callDepth: 24,
  loopIterations: 100_000,
  collectionItems: 200_000,
  stringChars: 1_000_000,
});

/** Raised when an archive breaks a limit or holds a hostile entry. */
export class ArchiveRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveRefused';
  }
}
