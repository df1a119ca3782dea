/*
 * The connectable types of a comfy node, read from its JSON-text fields, compared as ComfyUI
 * compares them: names are case-sensitive, a comma-joined union (`IMAGE,MASK`) is each of its
 * members, a combo (a list of choices, or `COMBO`) is `COMBO`, and an input typed `*` accepts
 * anything. Pure: the type index, the type search and the change report share it.
 */

export const WILDCARD = '*';
export const COMBO = 'COMBO';
/** Longer type names are not indexed: no real type comes near, and index keys stay small. */
export const MAX_TYPE_NAME = 200;

/** The input sections whose entries a link can feed; `hidden` inputs are filled by ComfyUI. */
const LINKABLE_SECTIONS = ['required', 'optional'] as const;

/** The members of one type as written in an input spec or an output list; [] when it has none. */
export function typeMembers(type: unknown): string[] {
  if (Array.isArray(type)) return [COMBO];
  if (typeof type !== 'string') return [];
  const members = type
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0 && t.length <= MAX_TYPE_NAME);
  return [...new Set(members)];
}

export interface ComfyNodeTypes {
  inputs: string[];
  outputs: string[];
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every input, section by section, as [name, spec array]; entries that are not arrays are skipped. */
export function linkableInputs(inputTypesText: string): [string, unknown[]][] {
  return linkableInputsOf(parse(inputTypesText));
}

function linkableInputsOf(input: unknown): [string, unknown[]][] {
  if (!isObject(input)) return [];
  const out: [string, unknown[]][] = [];
  for (const section of LINKABLE_SECTIONS) {
    const entries = input[section];
    if (!isObject(entries)) continue;
    for (const [name, spec] of Object.entries(entries)) if (Array.isArray(spec)) out.push([name, spec]);
  }
  return out;
}

/** The distinct input and output type members of a node (unparseable text has none). */
export function comfyNodeTypes(inputTypesText: string, returnTypesText: string): ComfyNodeTypes {
  return typesOfParsed(parse(inputTypesText), parse(returnTypesText));
}

/** The same from the fields' parsed JSON, for a caller that parsed them already. */
export function typesOfParsed(inputTypes: unknown, returnTypes: unknown): ComfyNodeTypes {
  const inputs = new Set<string>();
  for (const [, spec] of linkableInputsOf(inputTypes)) for (const t of typeMembers(spec[0])) inputs.add(t);
  const outputs = new Set<string>();
  if (Array.isArray(returnTypes)) for (const r of returnTypes) for (const t of typeMembers(r)) outputs.add(t);
  return { inputs: [...inputs], outputs: [...outputs] };
}

/** The members a query value asks for (`IMAGE,MASK` asks for either); [] when it names none. */
export const queryMembers = (value: string): string[] => typeMembers(value);

/**
 * The asked input types a node accepts only through a `*` input (none of its inputs names them),
 * for the search answer to say so.
 */
export function wildcardMatches(nodeInputs: readonly string[], askedInputs: readonly string[]): string[] {
  if (!nodeInputs.includes(WILDCARD)) return [];
  const have = new Set(nodeInputs);
  return askedInputs.filter((asked) => {
    const members = queryMembers(asked);
    return !members.includes(WILDCARD) && !members.some((m) => have.has(m));
  });
}
