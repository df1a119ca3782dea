import { Type } from '@sinclair/typebox';
import { CustomNodeList, EMPTY_CHANNEL_FILES, ExtensionNodeMap } from '../../contract/index.js';
import type { Registry } from '../../registry/registry.js';
import { customNodeList, extensionNodeMap } from '../../registry/manager-channel.js';
import type { App } from '../app.js';

const tags = ['ComfyUI-Manager'];
export const MANAGER_PREFIX = '/manager';

/**
 * A ComfyUI-Manager channel at `{public URL}/manager`: Manager appends the file names. Answers are
 * anonymous GETs, so the answer cache and ETags apply; any write evicts them (no cache keys).
 */
export async function managerRoutes(app: App, reg: Registry) {
  app.get(
    `${MANAGER_PREFIX}/custom-node-list.json`,
    { schema: { summary: 'Manager channel: every listed pack, installed by git clone', tags, response: { 200: CustomNodeList } } },
    async () => customNodeList(reg),
  );
  app.get(
    `${MANAGER_PREFIX}/extension-node-map.json`,
    {
      schema: {
        summary: "Manager channel: each pack's comfy nodes, for Install Missing Custom Nodes",
        tags,
        response: { 200: ExtensionNodeMap },
      },
    },
    async () => extensionNodeMap(reg),
  );
  for (const [file, body] of Object.entries(EMPTY_CHANNEL_FILES)) {
    app.get(
      `${MANAGER_PREFIX}/${file}`,
      { schema: { summary: `Manager channel: ${file} (empty; comfyreg keeps no such list)`, tags, response: { 200: Type.Any() } } },
      async () => body,
    );
  }
}
