// `npm run store:copy -- --from sqlite --to table`: a DATA_DIR filled by the real bot (a
// subscription, a dismissed alert, a refresh still running, a refused click) is copied into Table
// Storage on Azurite by the real command, twice; then the bot started on Table Storage shows the
// same `subscriptions` and `audit`, and a button the SQLite bot signed still works.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../bot/store/sqlite';
import { openTableStore } from '../../bot/store/table';
import { copyArgumentsProblem } from '../../bot/store/copy';
import { startAzurite, uniqueTablePrefix, type Azurite } from '../helpers/azurite';
import { ALEX, buttons, cardAction, cardText, channelMessage, startHarness, type Harness } from '../helpers/harness';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = path.resolve(__dirname, '..', '..');

/** The real command, as `npm run store:copy` runs it, with only the given environment. */
function storeCopy(args: string[], env: Record<string, string>, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), '--require', path.join(ROOT, 'test', 'setup.ts'), path.join(ROOT, 'bot', 'store', 'copy.ts'), ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function waitFor(what: string, probe: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function say(h: Harness, text: string, from = ALEX): Promise<Json> {
  const msg = channelMessage(h, text, from);
  const before = h.cardsIn(msg.conversation.id).length;
  assert.equal((await h.post(msg)).status, 200);
  const card = h.cardsIn(msg.conversation.id)[before];
  assert.ok(card, `a card answered "${text}"`);
  return card;
}

async function click(h: Harness, card: Json, verb: string, from = ALEX): Promise<Json> {
  const b = buttons(card).find((x) => x.verb === verb);
  assert.ok(b, `the card has a ${verb} button`);
  const res = await h.post(cardAction(h, b, { from }));
  assert.equal(res.status, 200);
  return res.body.value as Json;
}

describe('store:copy from SQLite to Table Storage', function () {
  this.timeout(60_000);
  let azurite: Azurite;
  let dataDir: string;
  let cwd: string;
  const harnesses: Harness[] = [];

  before(async () => {
    azurite = await startAzurite();
  });
  after(async () => azurite.close());
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-copy-data-'));
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-copy-cwd-'));
  });
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it('copies a populated DATA_DIR, idempotently, and the bot on Table Storage shows the same subscriptions and audit', async () => {
    // ---- one instance on SQLite, used for a while ----
    // A rescan that takes a minute, so it is still running when this bot stops.
    const sqliteBot = await startHarness({ dataDir, sim: { refreshDurationMs: 60_000 } });
    harnesses.push(sqliteBot);
    await say(sqliteBot, 'subscribe daily 09:00 tz Europe/Berlin');
    await say(sqliteBot, 'subscribe weekly monday 08:30 changes');
    const detail = await say(sqliteBot, 'alert permanent 1');
    const dismissed = await click(sqliteBot, await click(sqliteBot, detail, 'dismissConfirm'), 'dismiss');
    assert.match(cardText(dismissed), /Dismissed by Alex Wilber/);
    await click(sqliteBot, await click(sqliteBot, await say(sqliteBot, 'alert outside 1'), 'refreshConfirm'), 'refresh');
    const subscriptionsBefore = await say(sqliteBot, 'subscriptions');
    const auditBefore = await say(sqliteBot, 'audit 20');
    // Stopped, as the runbook says, before copying; Azure and Teams stay up for the next bot.
    await sqliteBot.app.close();

    const source = openSqliteStore({ dataDir });
    const contents = source.readContents();
    await source.close();
    assert.equal(contents.subscriptions.length, 2);
    assert.equal(contents.pendingOperations.length, 1, 'the rescan was still running');
    assert.ok(contents.audit.length >= 3);

    // ---- the copy, twice ----
    const prefix = uniqueTablePrefix();
    const env = { DATA_DIR: dataDir, AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, PIM_TABLE_PREFIX: prefix };
    const first = await storeCopy(['--from', 'sqlite', '--to', 'table'], env, cwd);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^Copied SQLite in .+ to Table Storage from AZURE_STORAGE_CONNECTION_STRING \(tables t[0-9a-f]+\*\)\./);
    assert.match(first.stdout, /subscriptions\s+2 copied,\s+0 already there/);
    assert.match(first.stdout, new RegExp(`audit entries\\s+${contents.audit.length} copied`));
    assert.match(first.stdout, /refreshes not yet reported\s+1 copied/);
    assert.match(first.stdout, /signing key and other secrets\s+1 copied/);
    assert.ok(!first.stdout.includes(azurite.connectionString) && !first.stdout.includes('AccountKey'), 'the connection string is never printed');
    const again = await storeCopy(['--from', 'sqlite', '--to', 'table'], env, cwd);
    assert.equal(again.code, 0, again.stderr);
    for (const line of again.stdout.split('\n').filter((l) => / copied, /.test(l))) assert.match(line, /\s0 copied,/, line);
    assert.match(again.stdout, /subscriptions\s+0 copied,\s+2 already there/);

    const table = await openTableStore({ connection: { connectionString: azurite.connectionString }, prefix });
    assert.equal((await table.latestAudit(100)).length, contents.audit.length, 'no audit entry twice');
    assert.deepEqual(await table.listUnreportedOperations(), contents.pendingOperations);
    assert.deepEqual(await table.listSubscriptions(), contents.subscriptions);
    await table.close();

    // ---- the bot on Table Storage ----
    // Meanwhile the scan finished at ARM.
    for (const op of sqliteBot.sim.state.operationRecords()) op.runningAt = op.completesAt = Date.now();
    const emptyDir = path.join(cwd, 'empty');
    fs.mkdirSync(emptyDir);
    const tableBot = await startHarness({
      dataDir: emptyDir,
      env: { PIM_STORE: 'table', AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, PIM_TABLE_PREFIX: prefix },
      shared: sqliteBot,
    });
    harnesses.unshift(tableBot);
    assert.equal(cardText(await say(tableBot, 'subscriptions')), cardText(subscriptionsBefore));
    // The rescan started on SQLite is taken over and reported once, and audited on top of the history.
    const outcomes = () => sqliteBot.connector.allDelivered().filter((a) => /^Refresh of Roles are being assigned outside of Privileged Identity Management on .* succeeded/.test(String(a.activity.text ?? '')));
    await waitFor('the copied rescan to be reported', () => outcomes().length > 0);
    await waitFor('its audit entry', async () => (await tableBot.app.deps.store.latestAudit(1))[0]?.result === 'succeeded');
    assert.equal(outcomes().length, 1);
    const auditAfter = await say(tableBot, 'audit 20');
    const entries = (card: Json) => cardText(card).split('\n').slice(2); // without the title and "Latest n entries"
    const after = entries(auditAfter);
    const before = entries(auditBefore);
    assert.deepEqual(after.slice(after.length - before.length), before, 'every entry from SQLite, as it was, below the new one');
    assert.match(after.slice(0, after.length - before.length).join('\n'), /^Refresh\n.*Alex Wilber\n.*\nSucceeded/);
    // The signing key came along: an Unsubscribe button the SQLite bot signed works here.
    const unsubscribed = await click(tableBot, subscriptionsBefore, 'unsubscribe');
    assert.doesNotMatch(cardText(unsubscribed), /tampered|not signed|expired/i);
    assert.equal((await tableBot.app.deps.store.listSubscriptions()).length, 1);
    assert.deepEqual(fs.readdirSync(emptyDir), [], 'the bot on Table Storage writes nothing to DATA_DIR');
  });

  it('refuses to copy into tables that already keep a different signing key, and copies nothing', async () => {
    const s = openSqliteStore({ dataDir });
    await s.ensureSecret('actionSigningKey', () => 'the-sqlite-key-0123456789abcdef0123456789');
    await s.appendAudit({ at: '2025-03-01T12:00:00.000Z', action: 'dismiss', result: 'succeeded' });
    await s.close();
    const prefix = uniqueTablePrefix();
    const t = await openTableStore({ connection: { connectionString: azurite.connectionString }, prefix });
    await t.ensureSecret('actionSigningKey', () => 'a-table-key-already-in-use-0123456789abcdef');
    const r = await storeCopy(['--from', 'sqlite', '--to', 'table'], { DATA_DIR: dataDir, AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, PIM_TABLE_PREFIX: prefix }, cwd);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /already keeps a different "actionSigningKey".*nothing was copied/);
    assert.deepEqual(await t.latestAudit(5), []);
    await t.close();
  });

  it('says what is wrong with its arguments or settings in one line', async () => {
    assert.match(copyArgumentsProblem([])!, /Say where from and where to/);
    assert.match(copyArgumentsProblem(['--from', 'table', '--to', 'sqlite'])!, /Only a copy from sqlite to table/);
    assert.match(copyArgumentsProblem(['--from', 'sqlite', '--to', 'table', '--force'])!, /Unknown option --force/);
    assert.equal(copyArgumentsProblem(['--from', 'sqlite', '--to', 'table']), undefined);
    const noDb = await storeCopy(['--from', 'sqlite', '--to', 'table'], { DATA_DIR: dataDir, AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString }, cwd);
    assert.equal(noDb.code, 2);
    assert.match(noDb.stderr, /^Configuration error: DATA_DIR: has no bot database/);
    const noTable = await storeCopy(['--from', 'sqlite', '--to', 'table'], { DATA_DIR: dataDir }, cwd);
    assert.equal(noTable.code, 2);
    assert.match(noTable.stderr, /^Configuration error: PIM_TABLE_URL: is required when PIM_STORE=table/);
    const usage = await storeCopy([], {}, cwd);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /Usage: npm run store:copy -- --from sqlite --to table/);
  });
});
