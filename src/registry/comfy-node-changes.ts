import {
  CHANGE_KINDS,
  type ChangeKind,
  type ChangedComfyNode,
  type ComfyNodeChange,
  type ComfyNodeChanges,
} from '../contract/comfy-node-changes.js';
import { COMBO, WILDCARD, typeMembers } from '../contract/comfy-node-types.js';
import type { ComfyNode } from '../contract/comfy-nodes.js';

/*
 * What changed between two versions of a pack's comfy nodes, and what of it breaks workflows saved
 * with the old version. Pure: the API (GET …/comfy-node-changes) and `comfyreg diff` share it. The
 * rules, with an example of each kind, are in docs/comfy-node-changes.md.
 */

/** The fields of a comfy node the comparison reads (the contract's ComfyNode, or an extracted one). */
export type ComparedComfyNode = Pick<
  ComfyNode,
  | 'input_types'
  | 'return_types'
  | 'return_names'
  | 'output_is_list'
  | 'deprecated'
  | 'experimental'
  | 'display_name'
  | 'category'
  | 'output_node'
>;

/** Widget types: the frontend saves their values by position in `widgets_values`. */
const WIDGET_TYPES = new Set(['INT', 'FLOAT', 'STRING', 'BOOLEAN', COMBO]);

interface Input {
  name: string;
  section: 'required' | 'optional';
  /** position among the section's inputs */
  index: number;
  members: string[];
  options: Record<string, unknown>;
  choices?: unknown[];
  widget: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parse(text: string | undefined, fallback: unknown): unknown {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}

function readInputs(text: string | undefined): Input[] {
  const all = parse(text, {});
  if (!isObject(all)) return [];
  const out: Input[] = [];
  for (const section of ['required', 'optional'] as const) {
    const entries = all[section];
    if (!isObject(entries)) continue;
    Object.entries(entries).forEach(([name, spec], index) => {
      if (!Array.isArray(spec)) return;
      const options = isObject(spec[1]) ? spec[1] : {};
      const members = typeMembers(spec[0]);
      const choices = Array.isArray(spec[0]) ? spec[0] : Array.isArray(options.options) ? options.options : undefined;
      const widget = members.length === 1 && WIDGET_TYPES.has(members[0]!) && options.forceInput !== true;
      out.push({ name, section, index, members, options, choices, widget });
    });
  }
  return out;
}

const list = (text: string | undefined): unknown[] => {
  const v = parse(text, []);
  return Array.isArray(v) ? v : [];
};
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
const typeText = (members: string[]): string => members.join(',') || '?';
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

class Changes {
  readonly items: ComfyNodeChange[] = [];
  add(kind: ChangeKind, detail: string, breaking: boolean = CHANGE_KINDS[kind]): void {
    this.items.push({ kind, breaking, detail });
  }
}

/** A removed and an added input of one section at the same position with the same type: a rename. */
function pairRenames(removed: Input[], added: Input[]): [Input, Input][] {
  const pairs: [Input, Input][] = [];
  for (const r of removed) {
    const a = added.find(
      (x) => x.section === r.section && x.index === r.index && same(x.members, r.members) && !pairs.some(([, p]) => p === x),
    );
    if (a) pairs.push([r, a]);
  }
  return pairs;
}

function compareInput(c: Changes, o: Input, n: Input): void {
  const label = `input "${n.name}"`;
  if (o.section !== n.section) {
    c.add(n.section === 'required' ? 'input_became_required' : 'input_became_optional', `${label}: ${o.section} → ${n.section}`);
  }
  if (!same(o.members, n.members)) {
    const accepts = n.members.includes(WILDCARD) || o.members.every((m) => n.members.includes(m));
    c.add(accepts ? 'input_type_widened' : 'input_type_changed', `${label}: ${typeText(o.members)} → ${typeText(n.members)}`);
  } else if (o.choices && n.choices) {
    const gone = o.choices.filter((x) => !n.choices!.some((y) => same(x, y)));
    const come = n.choices.filter((x) => !o.choices!.some((y) => same(x, y)));
    if (gone.length > 0) c.add('combo_choice_removed', `${label}: ${gone.map(show).join(', ')} no longer offered`);
    if (come.length > 0) c.add('combo_choice_added', `${label}: ${come.map(show).join(', ')} offered`);
  }
  if ('default' in o.options && 'default' in n.options && !same(o.options.default, n.options.default)) {
    c.add('default_changed', `${label}: default ${show(o.options.default)} → ${show(n.options.default)}`);
  }
  const [oMin, nMin, oMax, nMax] = [num(o.options.min), num(n.options.min), num(o.options.max), num(n.options.max)];
  const narrowed: string[] = [];
  const widened: string[] = [];
  if (nMin !== undefined && (oMin === undefined || nMin > oMin)) narrowed.push(`min ${oMin ?? 'none'} → ${nMin}`);
  else if (oMin !== undefined && (nMin === undefined || nMin < oMin)) widened.push(`min ${oMin} → ${nMin ?? 'none'}`);
  if (nMax !== undefined && (oMax === undefined || nMax < oMax)) narrowed.push(`max ${oMax ?? 'none'} → ${nMax}`);
  else if (oMax !== undefined && (nMax === undefined || nMax > oMax)) widened.push(`max ${oMax} → ${nMax ?? 'none'}`);
  if (narrowed.length > 0) c.add('min_max_narrowed', `${label}: ${narrowed.join(', ')}`);
  if (widened.length > 0) c.add('min_max_widened', `${label}: ${widened.join(', ')}`);
}

function compareInputs(c: Changes, before: Input[], after: Input[]): void {
  const byName = (xs: Input[]) => new Map(xs.map((x) => [x.name, x]));
  const [oldBy, newBy] = [byName(before), byName(after)];
  const removed = before.filter((x) => !newBy.has(x.name));
  const added = after.filter((x) => !oldBy.has(x.name));
  const renames = pairRenames(removed, added);
  const renamedTo = new Map(renames.map(([o, n]) => [o.name, n.name]));
  for (const [o, n] of renames) c.add('input_renamed', `input "${o.name}" → "${n.name}" (${typeText(n.members)})`);
  for (const o of removed) if (!renamedTo.has(o.name)) c.add('input_removed', `input "${o.name}" (${typeText(o.members)}) removed`);
  for (const n of added) {
    if (renames.some(([, x]) => x === n)) continue;
    if (n.section === 'required') c.add('required_input_added', `required input "${n.name}" (${typeText(n.members)}) added`);
    else c.add('optional_input_added', `optional input "${n.name}" (${typeText(n.members)}) added`);
  }
  for (const o of before) {
    const n = newBy.get(o.name);
    if (n) compareInput(c, o, n);
  }
  // Saved widget values are positional: every old widget must keep its place among the widgets.
  const oldWidgets = before.filter((x) => x.widget).map((x) => renamedTo.get(x.name) ?? x.name);
  const newWidgets = after.filter((x) => x.widget).map((x) => x.name);
  const allKept = oldWidgets.every((w) => newWidgets.includes(w));
  if (allKept && !same(newWidgets.slice(0, oldWidgets.length), oldWidgets)) {
    c.add('widget_order_changed', `widget values move: ${oldWidgets.join(', ')} → ${newWidgets.join(', ')}`);
  }
}

function compareOutputs(c: Changes, o: ComparedComfyNode, n: ComparedComfyNode): void {
  const [oldTypes, newTypes] = [list(o.return_types).map(show), list(n.return_types).map(show)];
  const [oldNames, newNames] = [list(o.return_names).map(show), list(n.return_names).map(show)];
  const shared = Math.min(oldTypes.length, newTypes.length);
  const sameMultiset = same([...oldTypes].sort(), [...newTypes].sort());
  if (sameMultiset && !same(oldTypes, newTypes)) {
    c.add('output_reordered', `outputs ${oldTypes.join(', ')} → ${newTypes.join(', ')}`);
  } else {
    for (let i = 0; i < shared; i++) {
      if (oldTypes[i] !== newTypes[i]) c.add('output_type_changed', `output ${i} (${oldNames[i] ?? ''}): ${oldTypes[i]} → ${newTypes[i]}`);
    }
    for (let i = shared; i < oldTypes.length; i++) c.add('output_removed', `output ${i} (${oldNames[i] ?? ''}: ${oldTypes[i]}) removed`);
    for (let i = shared; i < newTypes.length; i++) c.add('output_added', `output ${i} (${newNames[i] ?? ''}: ${newTypes[i]}) added`);
  }
  for (let i = 0; i < shared; i++) {
    if (oldTypes[i] === newTypes[i] && oldNames[i] !== undefined && newNames[i] !== undefined && oldNames[i] !== newNames[i]) {
      c.add('output_renamed', `output ${i}: "${oldNames[i]}" → "${newNames[i]}"`);
    }
  }
  const [oldList, newList] = [o.output_is_list ?? [], n.output_is_list ?? []];
  for (let i = 0; i < shared; i++) {
    if ((oldList[i] ?? false) !== (newList[i] ?? false) && oldTypes[i] === newTypes[i]) {
      c.add('output_list_changed', `output ${i} (${newNames[i] ?? ''}): ${newList[i] ? 'now a list' : 'no longer a list'}`);
    }
  }
}

/** The changes to one comfy node present on both sides, in a stable order. */
export function compareComfyNode(o: ComparedComfyNode, n: ComparedComfyNode): ComfyNodeChange[] {
  const c = new Changes();
  compareInputs(c, readInputs(o.input_types), readInputs(n.input_types));
  compareOutputs(c, o, n);
  if (!o.deprecated && n.deprecated) c.add('node_deprecated', 'deprecated');
  if (o.deprecated && !n.deprecated) c.add('node_undeprecated', 'no longer deprecated');
  if ((o.display_name ?? '') !== (n.display_name ?? ''))
    c.add('display_name_changed', `"${o.display_name ?? ''}" → "${n.display_name ?? ''}"`);
  if ((o.category ?? '') !== (n.category ?? '')) c.add('category_changed', `"${o.category ?? ''}" → "${n.category ?? ''}"`);
  if (!!o.output_node !== !!n.output_node) c.add('output_node_changed', n.output_node ? 'now an output node' : 'no longer an output node');
  if (!!o.experimental !== !!n.experimental) c.add('experimental_changed', n.experimental ? 'now experimental' : 'no longer experimental');
  return c.items;
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The report between two sets of comfy nodes (name → node); `from` null means there was no older side. */
export function compareComfyNodes(
  from: string | null,
  to: string,
  before: ReadonlyMap<string, ComparedComfyNode>,
  after: ReadonlyMap<string, ComparedComfyNode>,
): ComfyNodeChanges {
  const added = [...after.keys()].filter((k) => !before.has(k)).sort(byCodeUnits);
  const removed = [...before.keys()].filter((k) => !after.has(k)).sort(byCodeUnits);
  const changed: ChangedComfyNode[] = [];
  for (const name of [...after.keys()].sort(byCodeUnits)) {
    const o = before.get(name);
    if (!o) continue;
    const changes = compareComfyNode(o, after.get(name)!);
    if (changes.length > 0) changed.push({ name, breaking: changes.some((x) => x.breaking), changes });
  }
  return { from, to, breaking: removed.length > 0 || changed.some((x) => x.breaking), added, removed, changed };
}
