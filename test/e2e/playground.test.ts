// The whole product in a real browser, the way the README tells a new user to try it: start it
// (`tsx bot/main.ts`, no Azure configuration), open the URL it prints, type "alerts", open an
// alert's details and dismiss it through the confirm step. The cards are rendered by the Agents
// Playground's Adaptive Cards renderer in headless Chromium; screenshots of each step are kept in
// test-artifacts/e2e/ so a person can see what the cards look like. The same renderer (Markdown,
// with raw HTML, as in the Teams clients) then shows that hostile text reads as typed.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { buildDetailCard, cardAttachment, type AdaptiveCardJson } from '../../cards';
import type { StoredConversationReference } from '../../bot/store/types';
import { EXAMPLE_SCOPE, makeAlert, testContext } from '../cards/data';
import { shownText } from '../cards/markdown';
import { freePort, listeningAddresses, REPO_ROOT, startProduct, type Product } from './product';

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
  let dataDir = '';
  let playgroundPortInUse = 0;
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
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-e2e-data-'));
    const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-e2e-chromium-'));
    tempDirs.push(dataDir, profileDir);

    const [botPort, playgroundPort] = [await freePort(), await freePort()];
    playgroundPortInUse = playgroundPort;
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
    // The Playground's page is one large script: on a busy machine it takes a while to become usable,
    // so the test waits for the message box itself rather than for the page's load event.
    await page.goto(product.playgroundUrl, { waitUntil: 'domcontentloaded', timeout: START_TIMEOUT_MS });
    await page.getByRole('textbox').waitFor({ timeout: START_TIMEOUT_MS });

    await send(page, 'alerts');
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

  it('shows markup typed by a person or sent by Azure as the characters typed, and the help card\'s <placeholders>', async () => {
    assert.ok(page && product, 'the product runs (see the test before)');
    const p = page;

    // Placeholders in angle brackets are not dropped as HTML tags.
    await send(p, 'help');
    const help = card(p, 'PIM Alerts commands', 'unsubscribe');
    await help.waitFor();
    const helpText = shownText(await help.innerText());
    for (const usage of ['alert <name> [scope]', 'remediate <name> <incident> [scope]', '[tz <zone>]', 'unsubscribe <n|all>', '<angle brackets>']) {
      assert.ok(helpText.includes(usage), `help shows ${usage}`);
    }

    // A command that is a link comes back, quoted in the error card, as the characters typed.
    const typed = '[Re-approve-your-PIM-role](https://evil.example/login)';
    await send(p, typed);
    const refused = card(p, "I don't know that command", 'evil.example');
    await refused.waitFor();
    assert.ok(shownText(await refused.innerText()).includes(typed));
    assert.equal(await refused.locator('a, img').count(), 0, 'no link or image');

    // A detail card whose texts from Azure are as hostile as they come, posted into this chat the way
    // the bot posts (to the conversation it stored), next to the same card with the escapes removed:
    // that one shows what the renderer makes of such text, this one that none of it happens.
    const hostile = '# Urgent [Re-approve your PIM role](https://evil.example/login) ![x](https://evil.example/x.png) <at>Someone</at> **now** _now_';
    const alert = makeAlert(EXAMPLE_SCOPE, 'TooManyOwnersAssignedToResource');
    const def = alert.properties.alertDefinition!.properties;
    Object.assign(def, { displayName: 'Hostile alert texts', description: hostile, securityImpact: '- one\n1. two' });
    const escaped = buildDetailCard({ alert, scopeDisplayName: hostile }, testContext());
    const unescaped = JSON.parse(shownText(JSON.stringify(escaped))) as AdaptiveCardJson;
    unescaped.body.unshift({ type: 'TextBlock', text: 'Without escapes' });
    await postToChat(dataDir, escaped);
    await postToChat(dataDir, unescaped);

    const plain = p.locator('.ac-adaptiveCard').filter({ hasText: 'Hostile alert texts' }).filter({ hasNotText: 'Without escapes' }).last();
    const rendered = card(p, 'Hostile alert texts', 'Without escapes');
    await plain.waitFor();
    await rendered.waitFor();
    await shoot(plain, '5-hostile-texts');
    const count = async (c: Locator, selector: string) => c.locator(selector).count();
    // The renderer does render Markdown and HTML: links, images, lists, emphasis, and '#' as a heading.
    assert.ok((await count(rendered, 'a')) > 0 && (await count(rendered, 'img')) > 0 && (await count(rendered, 'li')) > 0 && (await count(rendered, 'strong, em')) > 0);
    assert.ok(!(await rendered.innerText()).includes('# Urgent'), 'the heading marker is taken as Markdown without the escapes');
    // With them, none of it: the text reads as typed.
    for (const selector of ['a', 'img', 'li', 'strong', 'em', 'h1', 'h2', 'h3']) assert.equal(await count(plain, selector), 0, `${selector} in the card`);
    const text = shownText(await plain.innerText());
    assert.ok(text.includes(hostile), 'the description reads as typed');
    assert.ok(text.includes('- one 1. two'), 'the list markers read as typed');
  });

  it('walks help per command, a rescan and its result, a refused form value and the audit log, on a Playground bound to loopback', async () => {
    assert.ok(page && product, 'the product runs (see the tests before)');
    const p = page;
    const t0 = Date.now();
    const lap = (what: string) => console.log(`      ${what} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // Nobody else on the network can reach the unauthenticated local bot through the Playground.
    const addresses = listeningAddresses(playgroundPortInUse);
    if (addresses) assert.deepEqual(addresses, ['127.0.0.1'], `the Playground listens on ${addresses.join(', ')}`);
    assert.match(product.output(), /listen on this machine only \(127\.0\.0\.1\)/);

    // One command in full, with its <placeholders> as typed.
    await send(p, 'help subscribe');
    const helpSubscribe = card(p, 'help subscribe', 'Schedules', 'Naming a scope');
    await helpSubscribe.waitFor();
    const helpText = shownText(await helpSubscribe.innerText());
    for (const shown of ['subscribe <schedule>', 'subscribe … tz <zone>', 'weekly monday 09:00', 'cron "0 8 * * 1-5"', 'subscriptions/<subscription id>', 'subscribe daily 09:00 tz Europe/Berlin']) {
      assert.ok(helpText.includes(shown), `help subscribe shows ${shown}`);
    }
    await shoot(helpSubscribe, '6-help-subscribe');
    lap('help subscribe shown');

    // A guest's long UPN wraps inside the card; a severity has its marker.
    const OUTSIDE = 'Roles are being assigned outside of Privileged Identity Management';
    await send(p, `alert outside "${SCOPE}"`);
    const outside = card(p, OUTSIDE, 'sam_fabrikam.com', 'Security impact');
    await outside.waitFor();
    const overflowing = await outside.evaluate((el) => {
      const right = el.getBoundingClientRect().right;
      return [...el.querySelectorAll('td, p, div')].filter((e) => e.getBoundingClientRect().right > right + 1).map((e) => (e.textContent ?? '').slice(0, 80));
    });
    assert.deepEqual(overflowing, [], 'nothing runs past the card\'s right edge');
    assert.match(await outside.innerText(), /■■■ High severity · Active/);

    // A rescan, and its result as a person reads it: by name, with incidents, on the scope.
    await outside.getByRole('button', { name: 'Refresh', exact: true }).click();
    const rescan = card(p, 'Rescan this alert now?');
    await rescan.waitFor();
    await rescan.locator('.ac-actionSet').filter({ has: p.getByRole('button', { name: 'Cancel', exact: true }) }).getByRole('button', { name: 'Refresh', exact: true }).click();
    const reply = p.getByText(new RegExp(`^Refresh of ${OUTSIDE} on ${SCOPE} succeeded after \\d+ s \\(started by ${USER}\\)\\. It is active, with \\d+ incidents?\\.$`));
    await reply.first().waitFor({ timeout: START_TIMEOUT_MS });
    const refreshed = card(p, `Refresh by ${USER} succeeded after`, OUTSIDE);
    await refreshed.waitFor({ timeout: START_TIMEOUT_MS });
    assert.doesNotMatch(await refreshed.innerText(), /AzureRolesAssignedOutsidePimAlert:|Alert scan is|…\n/, 'no raw ids or status details, nothing cut');
    await shoot(refreshed, '7-refresh-result');
    lap('rescan result shown');

    // The configuration form: a value the bot refuses comes back as typed, with the message under it.
    await send(p, `config "too many owners assigned to a resource" "${SCOPE}"`);
    const config = card(p, `Configuration: ${ALERT}`, 'Change');
    await config.waitFor();
    await config.getByRole('button', { name: 'Change', exact: true }).click();
    const form = card(p, `Change configuration: ${ALERT}`, 'owners, 1 to 10000');
    await form.waitFor();
    const owners = form.getByRole('textbox', { name: /Owner count threshold \(owners, 1 to 10000\)/ });
    await owners.fill('2.5');
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    const refusedForm = card(p, `Change configuration: ${ALERT}`, '"2.5" is not a whole number');
    await refusedForm.waitFor();
    assert.equal(await refusedForm.getByRole('textbox', { name: /Owner count threshold/ }).inputValue(), '2.5', 'the value is kept as typed');
    await shoot(refusedForm, '8-config-form-refused');
    await refusedForm.getByRole('textbox', { name: /Owner count threshold/ }).fill('5');
    await refusedForm.getByRole('button', { name: 'Save', exact: true }).click();
    await card(p, `Saved by ${USER}`, `Configuration: ${ALERT}`).waitFor();
    lap('configuration form refused a value, then saved');

    // The audit log says what changed, from what to what, and shows the rescan and the dismissal.
    await send(p, 'audit');
    const audit = card(p, 'Audit log', 'Changed Owner count threshold');
    await audit.waitFor();
    const auditText = shownText(await audit.innerText());
    assert.match(auditText, /Changed Owner count threshold from \d+ to 5\./);
    assert.match(auditText, /Refresh succeeded after \d+ s: active, \d+ incidents?\./);
    assert.match(auditText, /Dismiss/);
    assert.doesNotMatch(auditText, /alertConfigurationType|\{"/);
    await shoot(audit, '9-audit');
    assert.equal(await p.getByText('Unable to reach app').count(), 0, 'no click failed to reach the bot');
    lap('audit shown');
  });

  it('shows the Entra ID directory beside the Azure scopes, remediates a directory incident and dismisses a directory alert', async () => {
    assert.ok(page && product, 'the product runs (see the tests before)');
    const p = page;
    const t0 = Date.now();
    const lap = (what: string) => console.log(`      ${what} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const DIRECTORY = 'Entra ID';
    const GLOBAL_ADMINS = 'There are too many global administrators';

    // One summary, both worlds, each named.
    await send(p, 'alerts');
    const summary = card(p, 'PIM alerts', `${DIRECTORY}`, 'Entra ID · directory roles', 'Azure resource roles');
    await summary.waitFor();
    await expectText(summary, [new RegExp(GLOBAL_ADMINS), new RegExp(SCOPE)]);
    await shoot(summary, '10-summary-both-worlds');
    lap('summary with the directory shown');

    // A directory incident, named by person and role, remediated through the confirm step.
    await send(p, 'alert outside directory');
    const outside = card(p, 'Roles are being assigned outside of Privileged Identity Management', 'Entra ID · directory roles', 'Sam Contractor');
    await outside.waitFor();
    await outside.getByRole('button', { name: 'Remediate', exact: true }).first().click();
    const confirm = card(p, 'Remediate the Privileged Role Administrator assignment of Sam Contractor');
    await confirm.waitFor();
    await expectText(confirm, [/made outside PIM on Entra ID\?/]);
    await confirm.locator('.ac-actionSet').filter({ has: p.getByRole('button', { name: 'Cancel', exact: true }) }).getByRole('button', { name: 'Remediate', exact: true }).click();
    const remediated = card(p, `Remediated by ${USER}`, 'the Privileged Role Administrator assignment of Sam Contractor');
    await remediated.waitFor();
    await shoot(remediated, '11-directory-remediated');
    lap('directory incident remediated');

    // A directory alert dismissed from its detail card.
    await send(p, 'alert "too many global administrators" directory');
    const detail = card(p, GLOBAL_ADMINS, 'Entra ID · directory roles', 'Security impact');
    await detail.waitFor();
    await detail.getByRole('button', { name: 'Dismiss', exact: true }).click();
    const dismissConfirm = card(p, `Dismiss this alert on ${DIRECTORY}?`);
    await dismissConfirm.waitFor();
    await dismissConfirm.locator('.ac-actionSet').filter({ has: p.getByRole('button', { name: 'Cancel', exact: true }) }).getByRole('button', { name: 'Dismiss', exact: true }).click();
    const dismissed = card(p, `Dismissed by ${USER}`, GLOBAL_ADMINS);
    await dismissed.waitFor();
    await shoot(dismissed, '12-directory-dismissed');
    assert.equal(await p.getByText('Unable to reach app').count(), 0, 'no click failed to reach the bot');
    lap('directory alert dismissed');
  });
});

/** Types a message into the Playground's message box (a rich-text editor, not an <input>) and sends it. */
async function send(page: Page, text: string): Promise<void> {
  await page.getByRole('textbox').click();
  await page.keyboard.type(text);
  await page.getByRole('button', { name: 'Send Message' }).click();
}

/**
 * Posts a card into the Playground chat as the bot posts proactively: to the Bot Connector service
 * (here the Playground's) of the conversation reference the bot stored when the person wrote to it.
 */
async function postToChat(dataDir: string, card: AdaptiveCardJson): Promise<void> {
  const db = new Database(path.join(dataDir, 'pim-alerts.sqlite'), { readonly: true, fileMustExist: true });
  let ref: StoredConversationReference;
  try {
    const row = db.prepare('SELECT ref FROM conversations ORDER BY updated_at DESC LIMIT 1').get() as { ref: string } | undefined;
    assert.ok(row, 'the bot stored the conversation');
    ref = JSON.parse(row.ref) as StoredConversationReference;
  } finally {
    db.close();
  }
  const url = `${ref.serviceUrl.replace(/\/$/, '')}/v3/conversations/${encodeURIComponent(ref.conversation.id)}/activities`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'message', from: ref.bot, recipient: ref.user, conversation: ref.conversation, attachments: [cardAttachment(card)] }),
  });
  assert.ok(res.ok, `the Playground took the card: ${res.status}`);
}

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
