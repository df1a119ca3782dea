import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { extracted, publisher } from '../helpers/comfy-packs.js';
import { createUser, json, postComfyNodes, publish, publishBody } from '../helpers/flow.js';
import { forEachBackend, startRegistry, tableCounts, type Backend, type TestRegistry } from '../helpers/registry.js';
import { UiClient } from '../helpers/ui-client.js';

forEachBackend('web UI: sign-in, sessions, CSRF and publishing', (backend: Backend) => {
  let t: TestRegistry;
  let userToken: string;
  before(async () => {
    t = await startRegistry(backend);
    userToken = (await createUser(t, 'grace')).token;
  });
  after(() => t.close());

  it("refuses a sign-in without the form's CSRF token, and a wrong token, changing nothing", async () => {
    const ui = new UiClient(t);
    const before = await tableCounts(t);
    await ui.get('/ui/sign-in');
    const forged = await ui.post('/ui/sign-in', { token: userToken }, { csrf: null });
    assert.equal(forged.status, 403);
    assert.match(forged.body, /CSRF_REJECTED/);
    await ui.get('/ui/sign-in');
    const otherSite = await ui.post('/ui/sign-in', { token: userToken }, { headers: { origin: 'https://evil.example' } });
    assert.equal(otherSite.status, 403);
    await ui.get('/ui/sign-in');
    const wrong = await ui.post('/ui/sign-in', { token: 'cru_not-a-token' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.body, /matches no user/);
    assert.ok(!ui.cookies.has('comfyreg_session'));
    assert.deepEqual(await tableCounts(t), before);
    const sessions = await t.database.db.selectFrom('ui_sessions').selectAll().execute();
    assert.equal(sessions.length, 0);
  });

  it('signs in with a user token: an HttpOnly SameSite cookie whose value is stored only hashed', async () => {
    const ui = new UiClient(t);
    await ui.get('/ui/sign-in');
    const res = await ui.post('/ui/sign-in', { token: userToken });
    assert.equal(res.status, 303);
    const cookie = [res.headers['set-cookie']]
      .flat()
      .map(String)
      .find((c) => c.startsWith('comfyreg_session='))!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    const id = decodeURIComponent(ui.cookies.get('comfyreg_session')!);
    const rows = await t.database.db.selectFrom('ui_sessions').selectAll().execute();
    assert.ok(rows.length >= 1);
    assert.ok(!JSON.stringify(rows).includes(id), 'the session id is not stored');
    assert.ok(!JSON.stringify(rows).includes(userToken), 'the user token is not stored');
    const account = await ui.get('/ui/account');
    assert.equal(account.status, 200);
    assert.match(account.body, /<h1>grace<\/h1>/);
    assert.equal(account.headers['cache-control'], 'private, no-store');
  });

  it('never serves a signed-in visitor a cached anonymous page, nor caches a personal one', async () => {
    const anon = new UiClient(t);
    await anon.get('/');
    assert.match((await anon.get('/')).body, /Sign in<\/a>/);
    const ui = new UiClient(t);
    await ui.signIn(userToken);
    const mine = await ui.get('/');
    assert.match(mine.body, /Sign out/);
    assert.match((await anon.get('/')).body, /Sign in<\/a>/, 'the signed-in page was not cached for others');
  });

  it('creates a publisher and a token through forms; the token is shown once and publishes through the API', async () => {
    const ui = new UiClient(t);
    await ui.signIn(userToken);
    await ui.get('/ui/account');
    const refused = await ui.post('/ui/publishers', { id: 'gracepub', name: 'Grace' }, { csrf: 'forged' });
    assert.equal(refused.status, 403);
    assert.equal((await json(t, 'GET', '/publishers/gracepub')).status, 404, 'a forged form changed nothing');
    const created = await ui.post('/ui/publishers', { id: 'gracepub', name: 'Grace <b>Labs</b>' });
    assert.equal(created.status, 303);
    assert.equal(created.headers.location, '/ui/publishers/gracepub/manage?done=publisher-created');
    const manage = await ui.get(String(created.headers.location));
    assert.match(manage.body, /Publisher created/);
    assert.match(manage.body, /Grace &lt;b&gt;Labs&lt;\/b&gt;/);
    const tokenPage = await ui.post('/ui/publishers/gracepub/tokens', { token_name: 'comfy-cli', token_description: '' });
    assert.equal(tokenPage.status, 201);
    const pat = /id="new-token">([^<]+)</.exec(tokenPage.body)![1]!;
    assert.match(pat, /^crp_/);
    const res = await json(t, 'POST', '/publishers/gracepub/nodes/grace-pack/versions', publishBody(pat, 'grace-pack', '1.0.0'));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const later = await ui.get('/ui/publishers/gracepub/manage');
    assert.ok(!later.body.includes(pat), 'the token is never shown again');
    assert.match(later.body, /crp_\*\*\*\*/);
    assert.match(later.body, /href="\/ui\/publishers\/gracepub\/packs\/grace-pack"/);
    const tokenId = /action="\/ui\/publishers\/gracepub\/tokens\/([^/]+)\/delete"/.exec(later.body)![1]!;
    const deleted = await ui.post(`/ui/publishers/gracepub/tokens/${tokenId}/delete`, {});
    assert.equal(deleted.status, 303);
    const again = await json(t, 'POST', '/publishers/gracepub/nodes/grace-pack/versions', publishBody(pat, 'grace-pack', '1.0.1'));
    assert.equal(again.status, 400, 'a deleted token publishes nothing');
  });

  it('lets an owner edit a pack, deprecate and unpublish versions, and see extraction diagnostics', async () => {
    const owner = await publisher(t, 'ownerpub');
    await extracted(t, owner, 'owned-pack', '1.0.0', ['OwnedNode']);
    await publish(t, owner, 'owned-pack', '1.1.0', 'ownerpub');
    await postComfyNodes(t, 'owned-pack', '1.1.0', { success: false, status: 'failed', reason: 'ImportError: no module named torch' });
    const ui = new UiClient(t);
    await ui.signIn(owner.userToken);
    const base = '/ui/publishers/ownerpub/packs/owned-pack';
    const page = await ui.get(base);
    assert.equal(page.status, 200);
    assert.match(page.body, /ImportError: no module named torch/);
    const saved = await ui.post(base, {
      name: 'Owned <i>pack</i>',
      description: 'Does things',
      repository: 'https://example.com/r',
      author: 'me',
      license: 'MIT',
    });
    assert.equal(saved.status, 303);
    assert.equal((await json(t, 'GET', '/nodes/owned-pack')).body.name, 'Owned <i>pack</i>');
    const bad = await ui.post(base, { repository: 'javascript:alert(1)' });
    assert.equal(bad.status, 400);
    assert.match(String(bad.headers['content-type']), /^text\/html/);
    await ui.get(base);
    assert.equal((await ui.post(`${base}/versions/1.0.0/deprecate`, { deprecated: '1' })).status, 303);
    assert.equal((await json(t, 'GET', '/nodes/owned-pack/versions/1.0.0')).body.deprecated, true);
    assert.equal((await ui.post(`${base}/versions/1.1.0/unpublish`, {})).status, 303);
    assert.equal((await json(t, 'GET', '/nodes/owned-pack/versions/1.1.0')).status, 404);
    assert.match((await ui.get(base)).body, /unpublished/);
  });

  it("refuses another user's publisher pages and forms with a 403 page", async () => {
    const stranger = new UiClient(t);
    await stranger.signIn((await createUser(t, 'mallory')).token);
    const page = await stranger.get('/ui/publishers/ownerpub/manage');
    assert.equal(page.status, 403);
    assert.match(page.body, /<h1>Not allowed<\/h1>/);
    await stranger.get('/ui/account');
    const res = await stranger.post('/ui/publishers/ownerpub/tokens', { token_name: 'stolen' });
    assert.equal(res.status, 403);
    const anonymous = new UiClient(t);
    const account = await anonymous.get('/ui/account');
    assert.equal(account.status, 401);
    assert.match(account.body, /href="\/ui\/sign-in"/);
  });

  it('signs out: the session ends and its cookie opens nothing any more', async () => {
    const ui = new UiClient(t);
    await ui.signIn(userToken);
    const cookie = ui.cookies.get('comfyreg_session')!;
    await ui.get('/ui/account');
    const out = await ui.post('/ui/sign-out', {});
    assert.equal(out.status, 303);
    assert.ok(!ui.cookies.has('comfyreg_session'));
    const replay = await t.app.inject({ url: '/ui/account', headers: { cookie: `comfyreg_session=${cookie}` } });
    assert.equal(replay.statusCode, 401);
  });
});

forEachBackend('web UI: odd input', (backend: Backend) => {
  let t: TestRegistry;
  before(async () => {
    t = await startRegistry(backend);
  });
  after(() => t.close());

  it('answers odd requests with 4xx pages, never a 5xx', async () => {
    const admin = new UiClient(t);
    await admin.signIn(t.adminToken);
    await admin.get('/ui/admin');
    const csrf = admin.csrf();
    const gets = [
      '/?q=' + 'x'.repeat(500),
      '/?page=0',
      '/?page=99999999999',
      '/?q=%25%5F%5C',
      '/ui/packs/' + 'a'.repeat(300),
      '/ui/packs/x/' + '%00',
      '/ui/comfy-nodes/' + encodeURIComponent('<script>'),
      '/ui/comfy-nodes?name=' + 'n'.repeat(300),
      '/ui/publishers/%F0%9F%92%A9',
      '/ui/admin/jobs?page=-1',
      '/ui/admin/packs/none',
    ];
    for (const url of gets) {
      const res = await admin.get(url);
      assert.ok(res.status < 500, `${url}: ${res.status}`);
    }
    const posts: [string, Record<string, string | string[]>][] = [
      ['/ui/admin/review', { decision: 'approve', version: ['nospace', 'a b c', ''] }],
      ['/ui/admin/review', { decision: 'maybe', version: 'a 1.0.0' }],
      ['/ui/admin/bans', { kind: 'pack', action: 'ban', id: '' }],
      ['/ui/admin/bans', { kind: 'nothing', action: 'ban', id: 'x' }],
      ['/ui/admin/bans', { kind: 'version', action: 'unban', id: 'x', version: '' }],
      ['/ui/admin/comfy-nodes/X/policy', { node_id: '', version: '', policy: 'ComfyNodePolicyBanned' }],
      ['/ui/admin/jobs/backfill', { max: '1e9' }],
      ['/ui/admin/jobs/nope/rerun', {}],
      ['/ui/publishers', { id: 'Not Valid!', name: '' }],
      ['/ui/publishers', { id: '' }],
      ['/ui/publishers/none/tokens', { token_name: '' }],
      ['/ui/publishers/none/packs/none/versions/1.0.0/unpublish', {}],
    ];
    const before = await tableCounts(t);
    for (const [url, fields] of posts) {
      const res = await admin.post(url, fields, { csrf });
      assert.ok(res.status >= 400 && res.status < 500, `${url}: ${res.status} ${res.body.slice(0, 200)}`);
      assert.match(String(res.headers['content-type']), /^text\/html/, url);
    }
    const json = await t.app.inject({
      method: 'POST',
      url: '/ui/publishers',
      headers: { 'content-type': 'application/json', cookie: `comfyreg_session=${admin.cookies.get('comfyreg_session')}` },
      payload: JSON.stringify({ id: 'x', _csrf: csrf }),
    });
    assert.equal(json.statusCode, 403, 'a JSON body carries no CSRF token');
    const text = await t.app.inject({ method: 'POST', url: '/ui/sign-in', headers: { 'content-type': 'text/plain' }, payload: 'token=x' });
    assert.equal(text.statusCode, 403, 'a text body is no form: no CSRF token');
    assert.deepEqual(await tableCounts(t), before);
  });
});
