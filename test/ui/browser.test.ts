import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { LocalJobSource } from '../../src/jobs/local-job-source.js';
import { Worker } from '../../src/jobs/worker.js';
import { extracted, publisher } from '../helpers/comfy-packs.js';
import { createUser, json, publishBody, zipOf } from '../helpers/flow.js';
import { inlineExtractor } from '../helpers/extractor.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { HOSTILE } from '../helpers/ui-client.js';

const CHROMIUM = process.env.COMFYREG_CHROMIUM ?? '/usr/bin/chromium';
const SKIP = fs.existsSync(CHROMIUM) ? false : `browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does)`;
/** Where the tests leave a screenshot of each page type (COMFYREG_SCREENSHOTS=docs/screenshots refreshes the README's). */
const SHOTS = process.env.COMFYREG_SCREENSHOTS ?? path.join(process.cwd(), '.tmp', 'screenshots');
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** Runs axe-core in the page (through the DevTools protocol, which the page's CSP does not govern). */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: unknown[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return (violations as AxeViolation[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))}`);
}

/** Checks a page the way every page must be: accessible, fits 375 px, no CSP or script error; then a screenshot. */
async function checkPage(page: Page, shot: string, problems: string[]): Promise<void> {
  assert.deepEqual(await seriousViolations(page), [], `axe on ${page.url()}`);
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${shot}.png`), fullPage: false });
  assert.deepEqual(problems, [], `console errors on ${page.url()}`);
}

async function openContext(
  browser: Browser,
  origin: string,
  problems: string[],
  opts: Parameters<Browser['newContext']>[0] = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, ...opts });
  const page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('dialog', (d) => {
    problems.push(`a dialog opened: ${d.message()}`);
    void d.dismiss();
  });
  // Nothing may leave the registry's origin: any other request is refused and counted as a problem.
  await context.route(
    (url) => url.origin !== origin,
    (route) => {
      problems.push(`a request left the origin: ${route.request().url()}`);
      return route.abort();
    },
  );
  return { context, page };
}

describe('web UI in a real browser', { skip: SKIP }, () => {
  let t: TestRegistry;
  let browser: Browser;
  let worker: Worker;
  const problems: string[] = [];
  before(async () => {
    [t, browser] = await Promise.all([
      startRegistry('sqlite', { review: true }),
      chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
    ]);
    worker = new Worker({ source: new LocalJobSource(t.reg, 'ui-browser', 60), extractor: inlineExtractor, pollMs: 60_000 });
    const acme = await publisher(t, 'acme');
    await extracted(t, acme, 'image-tools', '1.0.0', {
      ImageBlur: {
        display_name: 'Image blur',
        input_types: JSON.stringify({
          required: { image: ['IMAGE'], radius: ['INT', { default: 2, min: 0, max: 64, step: 1 }], mode: [['gaussian', 'box']] },
          optional: { mask: ['MASK'] },
          hidden: { unique_id: 'UNIQUE_ID' },
        }),
        return_types: '["IMAGE"]',
        return_names: '["image"]',
        output_is_list: [false],
      },
      MaskFromColor: {
        category: 'mask',
        input_types: JSON.stringify({ required: { image: ['IMAGE'], color: ['INT', { default: 0, min: 0, max: 16777215 }] } }),
        return_types: '["MASK"]',
        return_names: '["mask"]',
        output_is_list: [true],
        output_node: true,
        experimental: true,
      },
    });
    await json(t, 'PUT', '/admin/nodes/image-tools/versions/1.0.0', { status: 'NodeVersionStatusActive' }, t.adminToken);
    // Two versions whose comfy nodes differ, for the version page's changes.
    await extracted(t, acme, 'kit', '1.0.0', { KitKept: {}, KitRemoved: {} });
    await extracted(t, acme, 'kit', '1.1.0', {
      KitKept: { input_types: JSON.stringify({ required: { latent: ['LATENT'] } }) },
      KitAdded: {},
    });
    for (const v of ['1.0.0', '1.1.0'])
      await json(t, 'PUT', `/admin/nodes/kit/versions/${v}`, { status: 'NodeVersionStatusActive' }, t.adminToken);
    const evil = await publisher(t, 'evil');
    await extracted(t, evil, 'evil-pack', '0.1.0', ['ImageBlur']);
    await json(t, 'PUT', '/admin/nodes/evil-pack/versions/0.1.0', { status: 'NodeVersionStatusActive' }, t.adminToken);
    await json(t, 'PUT', '/publishers/evil/nodes/evil-pack', { description: HOSTILE, name: HOSTILE }, evil.userToken);
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('anonymous: live search → pack → version with node cards, light and dark, at 375 px', async () => {
    const { context, page } = await openContext(browser, new URL(t.url).origin, problems);
    await page.goto(`${t.url}/`);
    await checkPage(page, 'home', problems);
    // Keyboard first: the first Tab reaches the skip link, which moves to the content.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.match(page.url(), /#main$/);
    await page.getByLabel('Search by pack name, description or comfy-node name').fill('maskfrom');
    // The live search refreshes the results without a submit.
    await page.waitForFunction(() => document.querySelector('#results')?.textContent?.includes('1 pack'));
    await page.getByRole('link', { name: 'Pack image-tools' }).click();
    await page.waitForURL(/\/ui\/packs\/image-tools$/);
    assert.match((await page.textContent('pre'))!, /comfy node install image-tools/);
    await checkPage(page, 'pack', problems);
    await page.getByRole('table').getByRole('link', { name: '1.0.0' }).click();
    await page.waitForURL(/\/ui\/packs\/image-tools\/1.0.0$/);
    assert.equal(await page.locator('article.node').count(), 2);
    assert.match((await page.locator('article.node', { hasText: 'Image blur' }).textContent())!, /min 0 · max 64 · step 1/);
    await checkPage(page, 'version', problems);
    await page.getByRole('link', { name: 'Image blur' }).click();
    await page.waitForURL(/\/ui\/comfy-nodes\/ImageBlur$/);
    await checkPage(page, 'comfy-node', problems);
    await page.goto(`${t.url}/ui/comfy-nodes?input_type=IMAGE`);
    await page.getByLabel('Name contains').fill('mask');
    await page.waitForFunction(() => document.querySelector('#names')?.textContent?.includes('1 comfy node taking IMAGE'));
    assert.equal(await page.locator('#names a.title').textContent(), 'MaskFromColor');
    await checkPage(page, 'comfy-node-index', problems);
    await page.goto(`${t.url}/ui/packs/kit/1.1.0`);
    assert.match(
      (await page.locator('section.changes').textContent())!,
      /Changes since 1.0.0[\s\S]*KitRemoved\s*breaking[\s\S]*breaking\s*input_removed/,
    );
    await checkPage(page, 'version-changes', problems);
    await page.goto(`${t.url}/ui/publishers/acme`);
    await checkPage(page, 'publisher', problems);
    await page.goto(`${t.url}/ui/packs/no-such-pack`);
    // The browser logs the page's own 404 status; that one is expected.
    problems.splice(0, problems.length, ...problems.filter((p) => !/status of 404/.test(p)));
    assert.equal(await page.locator('h1').textContent(), 'Not found');
    await checkPage(page, 'error', problems);
    await context.close();

    const dark = await openContext(browser, new URL(t.url).origin, problems, {
      colorScheme: 'dark',
      viewport: { width: 375, height: 800 },
    });
    for (const [url, shot] of [
      ['/', 'home-375-dark'],
      ['/ui/packs/image-tools/1.0.0', 'version-375-dark'],
    ]) {
      await dark.page.goto(`${t.url}${url}`);
      const overflow = await dark.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${url} is ${overflow}px wider than 375`);
      await checkPage(dark.page, shot!, problems);
    }
    await dark.context.close();
  });

  it('shows a hostile pack description as text and runs none of it', async () => {
    const { context, page } = await openContext(browser, new URL(t.url).origin, problems);
    await page.goto(`${t.url}/ui/packs/evil-pack`);
    assert.equal(await page.locator('h1').textContent(), HOSTILE);
    assert.equal(await page.locator('img').count(), 0);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('signs in, creates a publisher and a token, publishes with it as comfy-cli does, and an admin approves it', async () => {
    const { token } = await createUser(t, 'Hedy');
    const { context, page } = await openContext(browser, new URL(t.url).origin, problems);
    await page.goto(`${t.url}/ui/sign-in`);
    await checkPage(page, 'sign-in', problems);
    await page.getByLabel('Your user token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/ui\/account$/);
    await page.getByLabel('Publisher id').fill('hedy');
    await page.getByLabel('Display name').fill('Hedy Labs');
    await page.getByRole('button', { name: 'Create publisher' }).click();
    await page.waitForURL(/\/ui\/publishers\/hedy\/manage/);
    await page.getByLabel('Token name').fill('comfy-cli');
    await page.getByRole('button', { name: 'Create token' }).click();
    const pat = (await page.locator('#new-token').textContent())!;
    assert.match(pat, /^crp_/);
    await checkPage(page, 'publisher-manage', problems);

    // Publish through the API with the token, as `comfy node publish` does, then upload the zip.
    const publish = await fetch(`${t.url}/publishers/hedy/nodes/hedy-masks/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(publishBody(pat, 'hedy-masks', '1.0.0')),
    });
    assert.equal(publish.status, 201);
    const { signedUrl } = (await publish.json()) as { signedUrl: string };
    const zip = await zipOf({
      'hedy-masks/__init__.py': [
        'class Threshold:',
        '    @classmethod',
        '    def INPUT_TYPES(cls):',
        '        return {"required": {"mask": ("MASK",), "level": ("FLOAT", {"default": 0.5, "min": 0.0, "max": 1.0, "step": 0.01})}}',
        '    RETURN_TYPES = ("MASK",)',
        '    FUNCTION = "run"',
        '    CATEGORY = "mask/hedy"',
        'NODE_CLASS_MAPPINGS = {"HedyThreshold": Threshold}',
        '',
      ].join('\n'),
    });
    assert.equal(
      (await fetch(signedUrl, { method: 'PUT', headers: { 'content-type': 'application/zip' }, body: new Uint8Array(zip) })).status,
      200,
    );
    assert.equal(await worker.runOnce(), true);

    await page.goto(`${t.url}/ui/publishers/hedy/packs/hedy-masks`);
    assert.match((await page.locator('tbody').textContent())!, /Pending[\s\S]*extraction: success/);
    await checkPage(page, 'pack-manage', problems);
    await page.goto(`${t.url}/ui/packs/hedy-masks/1.0.0`);
    assert.match((await page.locator('article.node').textContent())!, /HedyThreshold[\s\S]*level[\s\S]*0.5[\s\S]*min 0/);
    await context.close();

    const admin = await openContext(browser, new URL(t.url).origin, problems);
    await admin.page.goto(`${t.url}/ui/sign-in`);
    await admin.page.getByLabel('Your user token').fill(t.adminToken);
    await admin.page.getByRole('button', { name: 'Sign in' }).click();
    await admin.page.waitForURL(/\/ui\/account$/);
    await admin.page.goto(`${t.url}/ui/admin`);
    await checkPage(admin.page, 'admin-review', problems);
    await admin.page.getByLabel('hedy-masks 1.0.0').check();
    await admin.page.getByRole('button', { name: 'Approve selected' }).click();
    await admin.page.waitForURL(/\/ui\/admin\?done=reviewed/);
    assert.equal((await json(t, 'GET', '/nodes/hedy-masks/versions/1.0.0')).body.status, 'NodeVersionStatusActive');

    // A policy change, and the resolver's answer on the same page.
    assert.equal((await json(t, 'GET', '/comfy-nodes/ImageBlur/node')).body.id, 'evil-pack');
    await admin.page.goto(`${t.url}/ui/comfy-nodes/ImageBlur`);
    await admin.page.getByLabel('Policy for evil-pack').selectOption('ComfyNodePolicyBanned');
    await admin.page.locator('li', { hasText: 'evil-pack' }).getByRole('button', { name: 'Set policy' }).click();
    await admin.page.waitForURL(/done=policy-saved/);
    assert.match((await admin.page.locator('p[role=status]').last().textContent())!, /resolver answers image-tools/);
    assert.equal((await json(t, 'GET', '/comfy-nodes/ImageBlur/node')).body.id, 'image-tools');
    await checkPage(admin.page, 'admin-policy', problems);
    for (const [url, shot] of [
      ['/ui/admin/bans', 'admin-bans'],
      ['/ui/admin/jobs', 'admin-jobs'],
      ['/ui/admin/packs/image-tools', 'admin-ranking'],
    ]) {
      await admin.page.goto(`${t.url}${url}`);
      await checkPage(admin.page, shot!, problems);
    }
    await admin.context.close();
  });
});
