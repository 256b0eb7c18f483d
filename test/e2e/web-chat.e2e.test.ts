// The web chat in a real browser: headless Debian Chromium driven by playwright-core runs a whole dialogue
// (description → answer → 10-tile gallery → "#n is them" → done) and saves a screenshot.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationService } from '../../src/conversation/conversation-types.js';
import { startWebServer, type WebServer } from '../../bots/web/web-server.js';
import { verifyCaseZip } from '../../agent/case/case-verify.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { openConversationService } from '../../app/open-service.js';
import { loadConfig } from '../../src/config/config.js';
import { ScriptedConversationService } from '../fakes/scripted-conversation-service.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT_DIR = resolve(__dirname, '../../test-output');
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`web-chat e2e skipped: ${CHROMIUM} is missing (CI installs it with apt-get install chromium).`);

let home: Awaited<ReturnType<typeof makeTempDir>> | undefined;

/** The real service over a small demo world (built in a temp CTGI_HOME) with the demo MLLM over HTTP. */
async function openService(): Promise<ConversationService> {
  home = await makeTempDir('web-e2e');
  return openConversationService({ config: loadConfig({ CTGI_HOME: home.dir }), demoIdentities: 60 });
}

describe.skipIf(!hasChromium)('web chat in Chromium', () => {
  let service: ConversationService;
  let web: WebServer;
  let browser: Browser;

  beforeAll(async () => {
    await mkdir(OUTPUT_DIR, { recursive: true });
    service = await openService();
    web = await startWebServer({ service, host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await service?.close();
    await home?.cleanup();
  });

  it('runs a whole dialogue: description, one-click answer, 10 ranked tiles, "#n is them", done', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1100 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(web.url);
    await page.locator('body[data-ready="true"]').waitFor();
    expect(await page.getByTestId('demo-label').isVisible()).toBe(service.demo);

    await page.getByTestId('query').fill('a woman in a red coat with a black shoulder bag');
    await page.getByTestId('query').press('Enter');
    const gallery = await answerUntilGallery(page);

    const tiles = gallery.getByTestId('tile');
    let pickedId = await tiles.nth(2).getAttribute('data-image-id');
    await expect.poll(() => tiles.count()).toBe(10);
    const ranks = await tiles.evaluateAll((nodes) => nodes.map((n) => Number(n.getAttribute('data-rank'))));
    expect(ranks).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Every tile's picture really loaded (served only to this session).
    await expect.poll(() => gallery.locator('img').evaluateAll((imgs) => imgs.filter((i) => (i as unknown as { naturalWidth: number }).naturalWidth > 0).length)).toBe(10);

    // Click to enlarge, Esc closes.
    await tiles.nth(2).locator('.tile-image').click();
    await page.getByTestId('lightbox').waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    await page.getByTestId('lightbox').waitFor({ state: 'hidden' });

    await page.screenshot({ path: resolve(OUTPUT_DIR, 'web-chat.png') });

    // The operator's "By time" button posts the gallery again, by capture time, with "By score" instead.
    await gallery.getByTestId('gallery-option').filter({ hasText: /^By time$/ }).click();
    const byTime = page.locator('.interactive[data-testid="gallery"]').last();
    await byTime.getByTestId('gallery-option').filter({ hasText: /^By score$/ }).waitFor();
    expect(await page.getByTestId('log').innerText()).toMatch(/ordered by capture time/);
    const timeTiles = byTime.getByTestId('tile');
    await expect.poll(() => timeTiles.count()).toBe(10);
    pickedId = await timeTiles.nth(2).getAttribute('data-image-id');

    await timeTiles.nth(2).getByTestId('pick').click();
    // A service may end at once (confirmed) or pin the pick in a new gallery and wait for "Done".
    const outcome = page.locator('[data-testid="done"], .interactive[data-testid="gallery"]').last();
    await outcome.waitFor();
    if ((await outcome.getAttribute('data-testid')) === 'gallery') {
      expect(await outcome.getByTestId('tile').first().getAttribute('data-image-id')).toBe(pickedId);
      await outcome.getByTestId('gallery-option').filter({ hasText: /^Done$/ }).click();
    }
    const done = page.getByTestId('done').last();
    await done.waitFor();
    expect(['confirmed', 'stopped']).toContain(await done.getAttribute('data-reason'));
    expect(await page.getByTestId('log').innerText()).toMatch(/#3/);
    if ((await done.getAttribute('data-reason')) === 'confirmed') {
      // The confirmed person's timeline: a strip with camera · time under each sighting.
      await done.getByTestId('timeline-button').click();
      const timeline = page.getByTestId('timeline').last();
      await timeline.waitFor();
      // The demo world's crops have a camera but no capture time; the confirmed image leads the strip.
      expect(await timeline.getByTestId('timeline-tile').first().getAttribute('data-image-id')).toBe(pickedId);
      expect(await timeline.getByTestId('tile-where').first().innerText()).toMatch(/^[\w-]+( · \d\d:\d\d)?$/);
    }
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('shows markup in descriptions as text, never as HTML', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(web.url);
      await page.locator('body[data-ready="true"]').waitFor();
      const attack = '<img src=x onerror="window.__xss=1"> man in <b>red</b>';
      await page.getByTestId('query').fill(attack);
      await page.getByTestId('send').click();
      await page.locator('.interactive').first().waitFor();
      expect(await page.getByTestId('log').innerText()).toContain(attack);
      expect(await page.locator('#log img[src="x"], #log b').count()).toBe(0);
      expect(await page.evaluate<unknown>('window.__xss')).toBeUndefined();
    } finally {
      await page.close();
    }
  });

  it('downloads the search as a case zip that verifies (Export case button)', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    try {
      const page = await context.newPage();
      await page.goto(web.url);
      await page.locator('body[data-ready="true"]').waitFor();
      await page.getByTestId('query').fill('a man in a blue jacket');
      await page.getByTestId('send').click();
      await answerUntilGallery(page);
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-case').click()]);
      expect(download.suggestedFilename()).toMatch(/^case-web_.+\.zip$/);
      const saved = resolve(home!.dir, 'downloaded-case.zip');
      await download.saveAs(saved);
      const check = await verifyCaseZip(saved);
      expect(check).toMatchObject({ ok: true, problems: [] });
      expect(check.verified).toBeGreaterThan(3);
    } finally {
      await context.close();
    }
  });

  it('restores the open question after a reload, and never shows one session the images of another', async () => {
    const first = await browser.newContext();
    const second = await browser.newContext();
    try {
      const page = await first.newPage();
      await page.goto(web.url);
      await page.locator('body[data-ready="true"]').waitFor();
      await page.getByTestId('query').fill('a man with a grey backpack');
      await page.getByTestId('send').click();
      const gallery = await answerUntilGallery(page);
      const imageId = await gallery.getByTestId('tile').first().getAttribute('data-image-id');
      expect(imageId).toMatch(/^\d+$/);

      // Reload at phone width: the open gallery comes back, two tiles a row, nothing wider than the screen.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.reload();
      await page.locator('body[data-ready="true"]').waitFor();
      await expect.poll(() => page.getByTestId('tile').count()).toBe(10);
      // Page-side code as strings: the project's TypeScript has no DOM types.
      expect(await page.evaluate<number>("getComputedStyle(document.querySelector('.grid')).gridTemplateColumns.split(' ').length")).toBe(2);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await page.screenshot({ path: resolve(OUTPUT_DIR, 'web-chat-phone.png') });

      const own = await page.request.get(`${web.url}images/${imageId}`);
      expect(own.status()).toBe(200);
      expect(own.headers()['content-type']).toMatch(/^image\//);
      const other = await second.request.get(`${web.url}images/${imageId}`);
      expect(other.status()).toBe(404);
      expect((await other.body()).length).toBeLessThan(100);
    } finally {
      await first.close();
      await second.close();
    }
  });
});

describe('web chat start-up', () => {
  it('refuses to bind a non-loopback address without an access token', async () => {
    const service = await ScriptedConversationService.create();
    try {
      const err = await startWebServer({ service, host: '0.0.0.0', port: 0 }).then(
        (w) => w.close().then(() => undefined),
        (e: unknown) => e,
      );
      expect(isCtgiError(err, 'CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).toContain('CTGI_WEB_TOKEN');
    } finally {
      await service.close();
    }
  });
});

/** Answers questions with their first option until an answerable gallery appears; returns it. */
async function answerUntilGallery(page: Page): Promise<ReturnType<Page['locator']>> {
  for (let step = 0; step < 12; step++) {
    const next = page.locator('.interactive[data-testid="gallery"], .interactive[data-testid="question"]').last();
    await next.waitFor();
    if ((await next.getAttribute('data-testid')) === 'gallery') return next;
    // Clicking retires the question at once (it loses .interactive), so the next lookup waits for what follows.
    await next.getByTestId('answer').first().click();
  }
  throw new Error('No gallery after 12 answers.');
}
