// The witness link in real browsers: the operator's web chat creates the link, a second browser context with a
// phone viewport opens it and answers two questions, and the operator's gallery re-ranks; the witness sees no
// images until the operator shows the gallery; a reused and an expired link are refused with plain pages.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationService } from '../../src/conversation/conversation-types.js';
import { startWebServer, type WebServer } from '../../bots/web/web-server.js';
import { openConversationService } from '../../app/open-service.js';
import { loadConfig } from '../../src/config/config.js';
import { SqliteWitnessLinkStore } from '../../src/witness/sqlite-witness-link-store.js';
import { WitnessLinks } from '../../src/witness/witness-links.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT_DIR = resolve(__dirname, '../../test-output');
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`witness-link e2e skipped: ${CHROMIUM} is missing (CI installs it with apt-get install chromium).`);
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

describe.skipIf(!hasChromium)('witness link in Chromium', () => {
  let home: Awaited<ReturnType<typeof makeTempDir>>;
  let service: ConversationService;
  let store: SqliteWitnessLinkStore;
  let web: WebServer;
  let browser: Browser;
  let clock = Date.now();

  beforeAll(async () => {
    await mkdir(OUTPUT_DIR, { recursive: true });
    home = await makeTempDir('witness-e2e');
    service = await openConversationService({ config: loadConfig({ CTGI_HOME: home.dir }), demoIdentities: 60 });
    store = SqliteWitnessLinkStore.open(`${home.dir}/witness-links.sqlite`);
    const links = new WitnessLinks({ store, service, now: () => clock });
    web = await startWebServer({ service, host: '127.0.0.1', port: 0, witnessLinks: links, witnessRelayMs: 50 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await store?.close();
    await service?.close();
    await home?.cleanup();
  });

  async function createLink(operator: Page): Promise<string> {
    const before = await operator.getByTestId('witness-url').inputValue();
    await operator.getByTestId('witness-open').click();
    await operator.getByTestId('witness-create').click();
    await expect.poll(() => operator.getByTestId('witness-url').inputValue()).not.toBe(before);
    return operator.getByTestId('witness-url').inputValue();
  }

  /** The witness taps the first option of each question until none is open; returns how many it answered. */
  async function answerOnPhone(phone: Page, atLeast: number): Promise<number> {
    let answered = 0;
    for (let step = 0; step < 8; step++) {
      const next = phone.locator('[data-testid="w-question"], [data-testid="w-waiting"], [data-testid="w-gallery"]').first();
      await next.waitFor();
      if ((await next.getAttribute('data-testid')) !== 'w-question') {
        if (answered >= atLeast) return answered;
        await phone.waitForTimeout(200);
        continue;
      }
      const id = await next.getAttribute('data-question-id');
      await next.getByTestId('w-option').first().click();
      answered++;
      await phone.locator(`[data-testid="w-question"][data-question-id="${id}"]`).waitFor({ state: 'detached' });
    }
    return answered;
  }

  it('hands two questions to a witness on a phone, and the operator\'s gallery re-ranks', async () => {
    const operatorContext = await browser.newContext({ viewport: { width: 1200, height: 1000 } });
    const phoneContext = await browser.newContext(PHONE);
    const otherPhone = await browser.newContext(PHONE);
    const pageErrors: string[] = [];
    try {
      const operator = await operatorContext.newPage();
      operator.on('pageerror', (e) => pageErrors.push(e.message));
      await operator.goto(web.url);
      await operator.locator('body[data-ready="true"]').waitFor();
      await operator.getByTestId('query').fill('a woman in a red coat with a black shoulder bag');
      await operator.getByTestId('query').press('Enter');
      // Round 0: the operator answers its questions and sees the first gallery, then asks to refine.
      const first = await answerUntilGallery(operator);
      const firstRound = Number(await first.getAttribute('data-round'));
      const firstOrder = await first.getByTestId('tile').evaluateAll((n) => n.map((t) => t.getAttribute('data-image-id')));
      await first.getByTestId('gallery-option').filter({ hasText: /^Refine$/ }).click();
      await operator.locator('.interactive[data-testid="question"]').last().waitFor();

      const url = await createLink(operator);
      expect(url).toMatch(/\/w\/[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);

      const phone = await phoneContext.newPage();
      phone.on('pageerror', (e) => pageErrors.push(e.message));
      await phone.goto(url);
      await phone.locator('body[data-ready="true"]').waitFor();
      // No operator UI on the witness page, and nothing wider than the phone.
      expect(await phone.locator('#composer, [data-testid="witness-open"]').count()).toBe(0);
      expect(await phone.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await phone.screenshot({ path: resolve(OUTPUT_DIR, 'witness-phone.png') });
      expect(await answerOnPhone(phone, 2)).toBeGreaterThanOrEqual(2);

      // The answers appear in the operator's chat, and a re-ranked gallery follows.
      await expect.poll(() => operator.getByTestId('log').innerText(), { timeout: 30_000 }).toMatch(/witness \(link\): .+[\s\S]*witness \(link\): /);
      const reranked = operator.locator(`.interactive[data-testid="gallery"]`).last();
      await expect.poll(async () => Number((await reranked.getAttribute('data-round')) ?? -1), { timeout: 30_000 }).toBeGreaterThan(firstRound);
      const newOrder = await reranked.getByTestId('tile').evaluateAll((n) => n.map((t) => t.getAttribute('data-image-id')));
      expect(newOrder).toHaveLength(10);
      expect(newOrder).not.toEqual(firstOrder);

      // The gallery is pending, hidden from the witness: no pictures, and their addresses answer 404.
      await phone.getByTestId('w-waiting').waitFor();
      expect(await phone.locator('img').count()).toBe(0);
      const hidden = await phone.request.get(`${url}/images/${newOrder[0]}`);
      expect(hidden.status()).toBe(404);

      // The operator shows the gallery: the witness sees ten pictures and picks one.
      await operator.getByTestId('witness-gallery').click();
      const tiles = phone.getByTestId('w-tile');
      await expect.poll(() => tiles.count(), { timeout: 10_000 }).toBe(10);
      await expect.poll(() => phone.locator('img').evaluateAll((imgs) => imgs.filter((i) => (i as unknown as { naturalWidth: number }).naturalWidth > 0).length)).toBe(10);
      await phone.screenshot({ path: resolve(OUTPUT_DIR, 'witness-phone-gallery.png') });
      await tiles.nth(1).getByTestId('w-pick').click();
      await expect.poll(() => operator.getByTestId('log').innerText(), { timeout: 30_000 }).toContain('witness (link): #2 is the person');

      // Reused: another browser opening the same link is refused with a plain page.
      const intruder = await otherPhone.newPage();
      const res = await intruder.goto(url);
      expect(res?.status()).toBe(409);
      expect(await intruder.getByTestId('refusal').innerText()).toContain('already in use');
      expect(pageErrors).toEqual([]);
    } finally {
      await operatorContext.close();
      await phoneContext.close();
      await otherPhone.close();
    }
  }, 180_000);

  it('refuses an expired link with a plain page', async () => {
    const operatorContext = await browser.newContext();
    const phoneContext = await browser.newContext(PHONE);
    try {
      const operator = await operatorContext.newPage();
      await operator.goto(web.url);
      await operator.locator('body[data-ready="true"]').waitFor();
      await operator.getByTestId('query').fill('a man with a grey backpack');
      await operator.getByTestId('query').press('Enter');
      await operator.locator('.interactive').first().waitFor();
      const url = await createLink(operator);
      clock += 2 * 3_600_000 + 1_000;
      const phone = await phoneContext.newPage();
      const res = await phone.goto(url);
      expect(res?.status()).toBe(410);
      expect(await phone.getByTestId('refusal').innerText()).toContain('expired');
      expect(await phone.content()).not.toMatch(/at \S+\.ts:\d+/);
    } finally {
      await operatorContext.close();
      await phoneContext.close();
    }
  }, 120_000);
});

/** Answers questions with their first option until an answerable gallery appears; returns it. */
async function answerUntilGallery(page: Page): Promise<ReturnType<Page['locator']>> {
  for (let step = 0; step < 12; step++) {
    const next = page.locator('.interactive[data-testid="gallery"], .interactive[data-testid="question"]').last();
    await next.waitFor();
    if ((await next.getAttribute('data-testid')) === 'gallery') return next;
    await next.getByTestId('answer').first().click();
  }
  throw new Error('No gallery after 12 answers.');
}

