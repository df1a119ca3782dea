import { Type, type Static } from '@sinclair/typebox';
import { Str } from './types.js';

/* The comfy-node change report (GET …/comfy-node-changes, `comfyreg diff`): its shape and its kinds. */

/** Every kind of change, and whether it breaks workflows saved with the old version (docs/comfy-node-changes.md). */
export const CHANGE_KINDS = {
  input_removed: true,
  input_renamed: true,
  required_input_added: true,
  optional_input_added: false,
  input_became_required: true,
  input_became_optional: false,
  input_type_changed: true,
  input_type_widened: false,
  combo_choice_removed: true,
  combo_choice_added: false,
  default_changed: false,
  min_max_narrowed: true,
  min_max_widened: false,
  widget_order_changed: true,
  output_removed: true,
  output_added: false,
  output_reordered: true,
  output_type_changed: true,
  output_renamed: false,
  output_list_changed: true,
  node_deprecated: false,
  node_undeprecated: false,
  display_name_changed: false,
  category_changed: false,
  output_node_changed: false,
  experimental_changed: false,
} as const;

export type ChangeKind = keyof typeof CHANGE_KINDS;

export const ComfyNodeChange = Type.Object({
  kind: Type.Union(
    (Object.keys(CHANGE_KINDS) as ChangeKind[]).map((k) => Type.Literal(k)),
    { description: 'what changed; docs/comfy-node-changes.md has an example of each' },
  ),
  breaking: Type.Boolean({ description: 'a workflow saved with the old version fails to load or to run' }),
  detail: Str(),
});
export type ComfyNodeChange = Static<typeof ComfyNodeChange>;

export const ChangedComfyNode = Type.Object({
  name: Str(),
  breaking: Type.Boolean(),
  changes: Type.Array(ComfyNodeChange),
});
export type ChangedComfyNode = Static<typeof ChangedComfyNode>;

export const ComfyNodeChanges = Type.Object(
  {
    from: Type.Union([Str(), Type.Null()], { description: 'the older side; null when there is none (every node is added)' }),
    to: Str(),
    breaking: Type.Boolean({ description: 'a node was removed, or a change breaks saved workflows' }),
    added: Type.Array(Str()),
    removed: Type.Array(Str()),
    changed: Type.Array(ChangedComfyNode),
  },
  { title: 'ComfyNodeChanges' },
);
export type ComfyNodeChanges = Static<typeof ComfyNodeChanges>;
