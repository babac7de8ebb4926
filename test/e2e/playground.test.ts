// The whole product in a real browser, the way the README tells a new user to try it: start it
// (`tsx bot/main.ts`, no Azure configuration), open the URL it prints, type "alerts", open an
// alert's details and dismiss it through the confirm step. The cards are rendered by the Agents
// Playground's Adaptive Cards renderer in headless Chromium; screenshots of each step are kept in
// test-artifacts/e2e/ so a person can see what the cards look like.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { freePort, REPO_ROOT, startProduct, type Product } from './product';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'e2e');
const START_TIMEOUT_MS = 40_000;
const STEP_TIMEOUT_MS = 15_000;

// Seeded by the simulator (sim/seed.ts) and named in sim/playground.yml.
const SCOPE = 'Contoso Production';
const ALERT = 'Too many owners assigned to a resource';
const USER = 'Alex Wilber';

describe('browser end-to-end: the local run in the Agents Playground', function () {
  this.timeout(120_000);

  let product: Product | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  const tempDirs: string[] = [];

  before(function () {
    if (fs.existsSync(CHROMIUM)) return;
    const how = `install it with: sudo apt-get update && sudo apt-get install -y chromium`;
    if (process.env.CI === 'true') throw new Error(`Chromium is missing at ${CHROMIUM}, and CI requires the browser test; ${how}.`);
    console.log(`      skipped: Chromium is missing at ${CHROMIUM}; ${how}.`);
    this.skip();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) {
      const file = path.join(ARTIFACTS, 'failure.png');
      await page.screenshot({ path: file }).catch(() => undefined);
      console.log(`      screenshot at failure: ${file}`);
      if (product) console.log(`      product output:\n${product.output()}`);
    }
  });

  after(async () => {
    const errors: unknown[] = [];
    await context?.close().catch((err: unknown) => errors.push(err));
    await product?.stop().catch((err: unknown) => errors.push(err));
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
    if (errors.length) throw errors[0];
  });

  it('shows the alerts, opens one, and dismisses it after Confirm', async () => {
    const t0 = Date.now();
    const lap = (what: string) => console.log(`      ${what} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-e2e-data-'));
    const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-e2e-chromium-'));
    tempDirs.push(dataDir, profileDir);

    const [botPort, playgroundPort] = [await freePort(), await freePort()];
    product = await startProduct({ dataDir, botPort, playgroundPort, startTimeoutMs: START_TIMEOUT_MS });
    assert.equal(product.playgroundUrl, `http://localhost:${playgroundPort}`, 'the printed URL names the Playground port asked for');
    lap('product printed its URL');

    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1400, height: 1000 },
    });
    // The Playground's page asks a CDN for fonts and animations: the test stays on loopback.
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      return url.protocol === 'data:' || url.protocol === 'blob:' || ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) ? route.continue() : route.abort();
    });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(product.playgroundUrl, { waitUntil: 'load', timeout: STEP_TIMEOUT_MS });

    // The message box is a rich-text editor (contenteditable), not an <input>.
    const messageBox = page.getByRole('textbox');
    await messageBox.click();
    await page.keyboard.type('alerts');
    await page.getByRole('button', { name: 'Send Message' }).click();
    lap('sent "alerts"');

    const summary = card(page, SCOPE, ALERT, 'Details');
    await summary.waitFor();
    await expectText(summary, [/PIM alerts/, /active alerts/, new RegExp(SCOPE), new RegExp(ALERT)]);
    await shoot(summary, '1-summary');
    lap('summary card shown');

    await alertRow(summary, SCOPE, ALERT).getByRole('button', { name: 'Details', exact: true }).click();
    const detail = card(page, ALERT, 'Security impact', 'Mitigation steps');
    await detail.waitFor();
    await expectText(detail, [new RegExp(SCOPE), /Security impact/, /Incidents/]);
    await shoot(detail, '2-detail');
    lap('detail card shown');

    await detail.getByRole('button', { name: 'Dismiss', exact: true }).click();
    const confirm = card(page, `Dismiss this alert on ${SCOPE}?`);
    await confirm.waitFor();
    const confirmButtons = confirm.locator('.ac-actionSet').filter({ has: page.getByRole('button', { name: 'Cancel', exact: true }) });
    assert.equal(await confirmButtons.count(), 1, 'the confirm step has one set of Dismiss/Cancel buttons');
    await shoot(confirm, '3-confirm');
    lap('confirm step shown');

    await confirmButtons.getByRole('button', { name: 'Dismiss', exact: true }).click();
    const dismissed = card(page, `Dismissed by ${USER}`);
    await dismissed.waitFor();
    await expectText(dismissed, [new RegExp(ALERT)]);
    assert.equal(await dismissed.getByRole('button', { name: 'Dismiss', exact: true }).count(), 0, 'a dismissed alert offers no Dismiss button');
    await shoot(dismissed, '4-dismissed');
    // The Playground shows this under a card when a click's invoke failed.
    assert.equal(await page.getByText('Unable to reach app').count(), 0, 'no click failed to reach the bot');
    lap('dismissed card shown');
  });
});

/** The newest Adaptive Card showing all these texts. */
function card(page: Page, ...texts: string[]): Locator {
  let cards = page.locator('.ac-adaptiveCard');
  for (const text of texts) cards = cards.filter({ hasText: text });
  return cards.last();
}

/**
 * The row of a summary card with the alert's name and its buttons, inside the scope's section (the
 * same alert can be active on several scopes). The innermost element holding all of it comes last
 * in document order.
 */
function alertRow(summary: Locator, scope: string, alert: string): Locator {
  const page = summary.page();
  const name = page.getByText(alert, { exact: true });
  const section = summary.locator('div').filter({ has: page.getByText(scope, { exact: true }) }).filter({ has: name }).last();
  return section.locator('div').filter({ has: name }).filter({ has: page.getByRole('button', { name: 'Details', exact: true }) }).last();
}

async function expectText(where: Locator, patterns: RegExp[]): Promise<void> {
  const text = await where.innerText();
  for (const p of patterns) assert.match(text, p);
}

/**
 * A screenshot of the whole card. The chat scrolls inside its own pane, so a card taller than the
 * pane would be cut off: the window is made tall enough first, and restored afterwards.
 */
async function shoot(where: Locator, name: string): Promise<void> {
  const page = where.page();
  const file = path.join(ARTIFACTS, `${name}.png`);
  const viewport = page.viewportSize()!;
  const box = await where.boundingBox();
  const height = Math.max(viewport.height, Math.ceil(box?.height ?? 0) + 500);
  await page.setViewportSize({ width: viewport.width, height });
  try {
    await where.scrollIntoViewIfNeeded();
    await where.screenshot({ path: file, animations: 'disabled' });
  } finally {
    await page.setViewportSize(viewport);
  }
  console.log(`      screenshot: ${path.relative(REPO_ROOT, file)}`);
}
