import { Type, type Static } from '@sinclair/typebox';

/*
 * ComfyUI-Manager's channel files (served under /manager/): the shapes Manager reads from a
 * channel URL. Only the fields comfyreg fills are declared; Manager ignores what it does not know.
 */

export const ChannelEntry = Type.Object({
  id: Type.String({ description: 'the pack id' }),
  author: Type.String({ description: "the publisher's name" }),
  title: Type.String(),
  reference: Type.String({ description: "the pack's git URL" }),
  files: Type.Array(Type.String(), { description: "the pack's git URL: Manager installs by `git clone` of files[0]" }),
  install_type: Type.Literal('git-clone'),
  description: Type.String(),
  preemptions: Type.Optional(Type.Array(Type.String(), { description: 'comfy-node names this pack is preferred for' })),
  nodename_pattern: Type.Optional(Type.String()),
});
export type ChannelEntry = Static<typeof ChannelEntry>;

export const CustomNodeList = Type.Object({ custom_nodes: Type.Array(ChannelEntry) });
export type CustomNodeList = Static<typeof CustomNodeList>;

export const ExtensionMeta = Type.Object({
  title_aux: Type.String(),
  preemptions: Type.Optional(Type.Array(Type.String())),
  nodename_pattern: Type.Optional(Type.String()),
});
export type ExtensionMeta = Static<typeof ExtensionMeta>;

/** Keyed by the pack's git URL: [comfy-node names of its latest extracted version, what Manager shows]. */
export const ExtensionNodeMap = Type.Record(Type.String(), Type.Tuple([Type.Array(Type.String()), ExtensionMeta]));
export type ExtensionNodeMap = Static<typeof ExtensionNodeMap>;

/** The channel files comfyreg has nothing for: present, so that Manager finds each file it asks for. */
export const EMPTY_CHANNEL_FILES = {
  'model-list.json': { models: [] },
  'alter-list.json': { items: [] },
  'github-stats.json': {},
  'extras.json': { favorites: [] },
} as const;
