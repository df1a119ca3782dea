import { Type } from '@sinclair/typebox';
import { RegistryError } from '../../contract/index.js';
import type { App } from '../../http/app.js';
import { updateNode } from '../../registry/nodes.js';
import { ownedPackVersions, ownedPacks } from '../../registry/owner-views.js';
import { assertPublisherOwner, userOf } from '../../registry/principals.js';
import {
  createAccessToken,
  createPublisher,
  deleteAccessToken,
  getPublisher,
  listAccessTokens,
  updatePublisher,
} from '../../registry/publishers.js';
import type { Registry } from '../../registry/registry.js';
import { closeSession, openSession } from '../../registry/sessions.js';
import { listUserPublishers } from '../../registry/users.js';
import { deleteVersion, updateVersion } from '../../registry/versions.js';
import type { Principal } from '../../registry/principals.js';
import { seg } from '../html.js';
import { accountPage, packManagePage, publisherManagePage, signInPage } from '../pages/account.js';
import { field, formOf, redirectAfterPost, sendPage, signedIn } from '../respond.js';
import { clearedSessionCookie, ensurePresession, sessionCookie } from '../session.js';

const PubParams = Type.Object({ publisherId: Type.String({ maxLength: 100 }) });
const PackParams = Type.Object({ publisherId: Type.String({ maxLength: 100 }), nodeId: Type.String({ maxLength: 200 }) });
const VersionParams = Type.Object({
  publisherId: Type.String({ maxLength: 100 }),
  nodeId: Type.String({ maxLength: 200 }),
  version: Type.String({ maxLength: 200 }),
});
const hide = { hide: true };

/** Only the fields a form sent, so that a missing field never blanks a stored one. */
function fields<K extends string>(form: URLSearchParams, names: readonly K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const n of names) if (form.has(n)) out[n] = field(form, n);
  return out;
}

async function managePublisher(reg: Registry, p: Principal, publisherId: string, newToken?: string) {
  const publisher = await getPublisher(reg, publisherId);
  await assertPublisherOwner(reg, p, publisherId);
  const [packs, tokens] = await Promise.all([ownedPacks(reg, publisherId), listAccessTokens(reg, p, publisherId)]);
  return { publisher, packs, tokens, newToken };
}

/** Signing in and out, and what a publisher's members do: publishers, tokens, packs, versions. */
export async function accountRoutes(ui: App, reg: Registry) {
  ui.get('/sign-in', { schema: hide }, async (req, reply) => {
    ensurePresession(reg, req, reply);
    return sendPage(req, reply, signInPage(req.ui), { personal: true });
  });

  ui.post('/sign-in', { schema: hide }, async (req, reply) => {
    const form = formOf(reg, req);
    try {
      const { id } = await openSession(reg, field(form, 'token'));
      return redirectAfterPost(reply.header('set-cookie', sessionCookie(reg, id)), '/ui/account');
    } catch (err) {
      if (!(err instanceof RegistryError) || err.code !== 'UNAUTHORIZED') throw err;
      return sendPage(req, reply, signInPage(req.ui, 'That token matches no user.'), { status: 401, personal: true });
    }
  });

  ui.post('/sign-out', { schema: hide }, async (req, reply) => {
    formOf(reg, req);
    if (req.ui.sessionId) await closeSession(reg, req.ui.sessionId);
    return redirectAfterPost(reply.header('set-cookie', clearedSessionCookie(reg)), '/');
  });

  ui.get('/account', { schema: hide }, async (req, reply) => {
    const user = userOf(signedIn(req));
    const publishers = user ? await listUserPublishers(reg, user.id) : [];
    return sendPage(req, reply, accountPage(req.ui, publishers));
  });

  ui.post('/publishers', { schema: hide }, async (req, reply) => {
    const p = signedIn(req);
    const form = formOf(reg, req);
    const id = field(form, 'id');
    await createPublisher(reg, p, { id, name: field(form, 'name') || id });
    return redirectAfterPost(reply, `/ui/publishers/${seg(id)}/manage`, 'publisher-created');
  });

  ui.get('/publishers/:publisherId/manage', { schema: { ...hide, params: PubParams } }, async (req, reply) => {
    const view = await managePublisher(reg, signedIn(req), req.params.publisherId);
    return sendPage(req, reply, publisherManagePage(req.ui, view));
  });

  ui.post('/publishers/:publisherId', { schema: { ...hide, params: PubParams } }, async (req, reply) => {
    const p = signedIn(req);
    const form = formOf(reg, req);
    const input = fields(form, ['name', 'description', 'website', 'support', 'source_code_repo'] as const);
    await updatePublisher(reg, p, req.params.publisherId, input);
    return redirectAfterPost(reply, `/ui/publishers/${seg(req.params.publisherId)}/manage`, 'publisher-saved');
  });

  ui.post('/publishers/:publisherId/tokens', { schema: { ...hide, params: PubParams } }, async (req, reply) => {
    const p = signedIn(req);
    const form = formOf(reg, req);
    const { token } = await createAccessToken(reg, p, req.params.publisherId, {
      name: field(form, 'token_name'),
      description: field(form, 'token_description'),
    });
    // The token is shown in this answer only (never stored, never in a URL): no redirect.
    const view = await managePublisher(reg, p, req.params.publisherId, token);
    return sendPage(req, reply, publisherManagePage(req.ui, view), { status: 201 });
  });

  ui.post(
    '/publishers/:publisherId/tokens/:tokenId/delete',
    {
      schema: { ...hide, params: Type.Object({ publisherId: Type.String({ maxLength: 100 }), tokenId: Type.String({ maxLength: 100 }) }) },
    },
    async (req, reply) => {
      const p = signedIn(req);
      formOf(reg, req);
      await deleteAccessToken(reg, p, req.params.publisherId, req.params.tokenId);
      return redirectAfterPost(reply, `/ui/publishers/${seg(req.params.publisherId)}/manage`, 'token-deleted');
    },
  );

  ui.get('/publishers/:publisherId/packs/:nodeId', { schema: { ...hide, params: PackParams } }, async (req, reply) => {
    const p = signedIn(req);
    const publisher = await getPublisher(reg, req.params.publisherId);
    const owned = await ownedPackVersions(reg, p, publisher.id, req.params.nodeId);
    return sendPage(req, reply, packManagePage(req.ui, { publisher, ...owned }));
  });

  ui.post('/publishers/:publisherId/packs/:nodeId', { schema: { ...hide, params: PackParams } }, async (req, reply) => {
    const p = signedIn(req);
    const form = formOf(reg, req);
    const input = fields(form, ['name', 'description', 'repository', 'author', 'license'] as const);
    const node = await updateNode(reg, p, req.params.publisherId, req.params.nodeId, input);
    return redirectAfterPost(reply, `/ui/publishers/${seg(req.params.publisherId)}/packs/${seg(node.id)}`, 'pack-saved');
  });

  ui.post(
    '/publishers/:publisherId/packs/:nodeId/versions/:version/deprecate',
    { schema: { ...hide, params: VersionParams } },
    async (req, reply) => {
      const p = signedIn(req);
      const deprecated = formOf(reg, req).get('deprecated') !== '0';
      const { publisherId, nodeId, version } = req.params;
      await updateVersion(reg, p, publisherId, nodeId, version, { deprecated });
      return redirectAfterPost(
        reply,
        `/ui/publishers/${seg(publisherId)}/packs/${seg(nodeId)}`,
        deprecated ? 'version-deprecated' : 'version-undeprecated',
      );
    },
  );

  ui.post(
    '/publishers/:publisherId/packs/:nodeId/versions/:version/unpublish',
    { schema: { ...hide, params: VersionParams } },
    async (req, reply) => {
      const p = signedIn(req);
      formOf(reg, req);
      const { publisherId, nodeId, version } = req.params;
      await deleteVersion(reg, p, publisherId, nodeId, version);
      return redirectAfterPost(reply, `/ui/publishers/${seg(publisherId)}/packs/${seg(nodeId)}`, 'version-unpublished');
    },
  );
}
