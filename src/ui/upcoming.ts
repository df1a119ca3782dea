import type { Principal } from '../registry/principals.js';
import type { Registry } from '../registry/registry.js';
import type { Renderable } from './html.js';

/*
 * Hooks for two registry reads this build does not have yet (issue 12): comfy nodes by input and
 * output type, and what changed between two versions' comfy nodes. The pages already call them and
 * show a notice while they answer null; once the reads exist, only these two functions change.
 */

/** Comfy nodes that take `inputType` and give `outputType`, rendered; null while the registry cannot filter by type. */
export async function typeFilter(_reg: Registry, _p: Principal, _inputType: string, _outputType: string): Promise<Renderable | null> {
  return null;
}

/** What changed in this version's comfy nodes against the previous one (breaking changes flagged), or nothing. */
export async function versionChanges(_reg: Registry, _p: Principal, _nodeId: string, _version: string): Promise<Renderable | undefined> {
  return undefined;
}
