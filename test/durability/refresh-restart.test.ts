// A refresh outlives the process that started it. The bot runs here as a separate process (the
// real bot/main.ts, configured through the environment like a deployment), talks to the in-process
// PIM simulator as ARM and to the recording fake Bot Connector as Teams, and is driven over HTTP
// with Teams-shaped activities. The test kills it with SIGKILL while a refresh is being polled,
// starts it again on the same DATA_DIR, and checks that the people in the channel get exactly one
// result: one reply in the thread and the card updated, never two, never none.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore, type SqliteBotStore } from '../../bot/store/sqlite';
import { startSimulator, type Simulator } from '../../sim/server';
import { startFakeConnector, type FakeConnector, type StoredActivity } from '../fakes/connector';
import { ALEX, buttons, cardAction, cardText, channelMessage } from '../helpers/harness';
import { freePort, post, startBot, stopAllBots, stopBot, waitFor, simulatorSettings, type BotProcess } from '../helpers/process';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The scan at ARM is NotStarted for its first second, Running for two, then done: the kill lands
 * while it runs, and the restarted bot's first poll (at least a lease later) finds it finished.
 */
const REFRESH_MS = 3000;

function adaptiveCard(a: StoredActivity): Json | undefined {
  const atts = (a.activity.attachments as Array<{ contentType: string; content: Json }> | undefined) ?? [];
  return atts.find((x) => x.contentType === 'application/vnd.microsoft.card.adaptive')?.content;
}

/** Replies carrying a refresh outcome, across every conversation and thread. */
function outcomeReplies(connector: FakeConnector): StoredActivity[] {
  return connector.allDelivered().filter((a) => typeof a.activity.text === 'string' && /^Refresh of /.test(a.activity.text));
}

interface Started {
  msg: Json;
  cardId: string;
  detail: Json;
  operationId: string;
}

/** `alert outside` in the channel, then Refresh → Confirm on the card the bot posted. */
async function startRefresh(bot: BotProcess, connector: FakeConnector, store: SqliteBotStore): Promise<Started> {
  const msg = channelMessage({ connector }, 'alert outside');
  assert.equal((await post(bot, msg)).status, 200);
  const posted = connector.delivered(msg.conversation.id).filter((a) => adaptiveCard(a));
  assert.equal(posted.length, 1, 'the bot answered with one card');
  const cardId = posted[0]!.id;
  const detail = adaptiveCard(posted[0]!)!;
  assert.match(cardText(detail), /AzureRolesAssignedOutsidePimAlert|outside PIM/i);

  const confirm = await click(bot, connector, msg, cardId, detail, 'refreshConfirm');
  assert.match(cardText(confirm), /Rescan this alert now\?/);
  const started = await click(bot, connector, msg, cardId, confirm, 'refresh');
  assert.match(cardText(started), /Refreshing — started by Alex Wilber/);

  // The card answered only after the operation was stored: it is there to resume.
  const ops = await store.listUnreportedOperations();
  assert.equal(ops.length, 1, 'one pending refresh in the store');
  assert.equal(ops[0]!.cardActivityId, cardId);
  assert.match(ops[0]!.handle.location, /roleManagementAlertOperations\//);
  return { msg, cardId, detail, operationId: ops[0]!.id };
}

async function click(bot: BotProcess, connector: FakeConnector, msg: Json, cardId: string, card: Json, verb: string): Promise<Json> {
  const b = buttons(card).find((x) => x.verb === verb);
  assert.ok(b, `the card has a ${verb} button (has: ${buttons(card).map((x) => x.verb).join(', ')})`);
  const res = await post(bot, cardAction({ connector }, b, { from: ALEX, conversationOf: msg, cardActivityId: cardId }));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.type, 'application/vnd.microsoft.card.adaptive');
  return res.body.value as Json;
}

/** The operation's row as the store holds it (lease and report columns included). */
function operationRow(dataDir: string, id: string): { lease_owner: string | null; lease_until_ms: number | null; step: string; finished_at: string | null } {
  const db = new Database(path.join(dataDir, 'pim-alerts.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT lease_owner, lease_until_ms, step, finished_at FROM pending_operations WHERE id = ?').get(id) as never;
  } finally {
    db.close();
  }
}

/** The first poll of the operation reached ARM and the process holds the lease: it is mid-poll. */
async function waitUntilPolling(sim: Simulator, dataDir: string, operationId: string): Promise<void> {
  await waitFor('the first poll of the refresh', 5000, () => sim.requests.some((r) => r.method === 'GET' && /roleManagementAlertOperations\//.test(r.url)));
  await waitFor('the poll lease in the store', 5000, () => operationRow(dataDir, operationId).lease_owner !== null);
}

/** Waits until ARM reports the scan Running, and checks it is not finished. */
async function waitUntilScanRunning(sim: Simulator): Promise<void> {
  const ops = sim.state.operationRecords();
  assert.equal(ops.length, 1, 'one scan started at ARM');
  const { runningAt, completesAt } = ops[0]!;
  await waitFor('the scan to be Running', REFRESH_MS, () => Date.now() >= runningAt);
  assert.ok(Date.now() < completesAt - 500, 'the scan is still running');
}

function refreshAudit(entries: Array<{ action: string; result: string }>): string[] {
  return entries.filter((e) => e.action === 'refresh').map((e) => e.result).sort();
}

describe('durability: a refresh survives the bot process being killed', function () {
  this.timeout(120_000);

  let sim: Simulator;
  let connector: FakeConnector;
  let dataDir: string;
  let cwd: string;
  let store: SqliteBotStore | undefined;

  const envFor = (leaseSeconds: number): Record<string, string> => {
    return {
      ...simulatorSettings(sim, dataDir),
      // Who may act is checked against the simulator's role assignments (Alex is Owner).
      PIM_AUTHZ: 'rbac',
      PLAYGROUND: 'false',
      LOG_LEVEL: 'info',
      PIM_TIME_ZONE: 'UTC',
      PIM_OPERATION_LEASE_SECONDS: String(leaseSeconds),
    };
  };

  const openStore = (): SqliteBotStore => (store = openSqliteStore({ dataDir }));

  beforeEach(async () => {
    sim = await startSimulator({ refreshDurationMs: REFRESH_MS });
    connector = await startFakeConnector({ perConversation: false, global: false });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-durability-'));
    // A working directory of its own, so a developer's .env is not read by the child.
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-durability-cwd-'));
  });

  afterEach(async () => {
    await stopAllBots();
    await store?.close();
    store = undefined;
    await connector.close();
    await sim.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it('killed mid-poll, the restart reports exactly once; killed after reporting, the next restart sends nothing', async () => {
    const env = envFor(5);
    const first = await startBot(env, cwd);
    const s = openStore();
    const { cardId, detail, msg, operationId } = await startRefresh(first, connector, s);
    await waitUntilPolling(sim, dataDir, operationId);
    await waitUntilScanRunning(sim);

    const killed = await stopBot(first, 'SIGKILL');
    assert.equal(killed.signal, 'SIGKILL');
    assert.equal(outcomeReplies(connector).length, 0, 'nothing reported before the kill');
    assert.equal((await s.listUnreportedOperations()).length, 1, 'the refresh is still pending in the store');
    const killedOwner = operationRow(dataDir, operationId).lease_owner!;
    assert.ok(operationRow(dataDir, operationId).lease_until_ms! > Date.now(), 'the killed process still holds the lease');
    // On port 0 the process slot is not stable, so the owner is random: the restart waits out the lease.
    const [host, pid, uuid] = killedOwner.split(':');
    assert.equal(host, os.hostname());
    assert.match(pid!, /^\d+$/);
    assert.match(uuid!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const second = await startBot(env, cwd);
    assert.ok(second.logs.some((l) => l.msg === 'resuming refreshes started before the restart' && l.count === 1), 'the restart resumes the refresh');
    const replies = await waitFor('the outcome reply', 15_000, () => outcomeReplies(connector).length > 0 && outcomeReplies(connector));
    // The audit entry is written once the outcome is known, before the report.
    await waitFor('the refresh audit entry', 5000, async () => refreshAudit(await s.latestAudit(50)).includes('succeeded'));

    assert.equal(replies.length, 1, 'exactly one outcome reply');
    assert.equal(outcomeReplies(connector).length, 1, 'still exactly one outcome reply');
    const reply = replies[0]!;
    assert.match(reply.activity.text as string, /^Refresh of Roles are being assigned outside of Privileged Identity Management on Contoso Production succeeded after \d+ s \(started by Alex Wilber\)\. It is active, with 2 incidents\.$/);
    assert.equal(reply.conversationId, msg.conversation.id, 'posted in the thread of the card');
    // Its log line crosses a pipe after the audit write: wait for it rather than race it.
    await waitFor('the restarted process to log the report', 5000, () => second.logs.some((l) => l.msg === 'refresh reported' && l.operation === operationId));

    // The card everyone sees was updated in place with the outcome.
    const card = connector.activity(msg.conversation.id, cardId);
    assert.ok(card && card.versions.length >= 2, 'the card was updated');
    assert.ok(connector.requests.some((r) => r.method === 'PUT' && r.activityId === cardId && r.status === 200));
    const updated = cardText(adaptiveCard(card)!);
    assert.match(updated, /^Refresh by Alex Wilber succeeded after \d+ s: active, 2 incidents$/m);
    assert.notEqual(updated, cardText(detail));

    assert.deepEqual(await s.listUnreportedOperations(), []);
    assert.ok(operationRow(dataDir, operationId).finished_at, 'the store marks the refresh finished');
    assert.notEqual(operationRow(dataDir, operationId).lease_owner, killedOwner, 'reported by the restarted process, under its own name');
    assert.equal(operationRow(dataDir, operationId).step, 'reported');
    assert.deepEqual(refreshAudit(await s.latestAudit(50)), ['started', 'succeeded']);

    // Killed again after reporting: the next restart has nothing to resume and sends nothing.
    await stopBot(second, 'SIGKILL');
    const requestsBefore = connector.requests.length;
    const third = await startBot(env, cwd);
    // resumeAll has run by the time the bot logs that it listens; give a stray send time to land.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(third.logs.some((l) => l.msg === 'resuming refreshes started before the restart'), false);
    assert.equal(connector.requests.length, requestsBefore, 'the restarted bot sent nothing');
    assert.equal(outcomeReplies(connector).length, 1, 'exactly one outcome reply over three processes');
    assert.deepEqual(refreshAudit(await s.latestAudit(50)), ['started', 'succeeded']);

    // Reporting freed the refresh button: the next click starts a new scan, not "already refreshing".
    const confirm = await click(third, connector, msg, cardId, detail, 'refreshConfirm');
    const again = await click(third, connector, msg, cardId, confirm, 'refresh');
    assert.match(cardText(again), /Refreshing — started by Alex Wilber/);
  });

  it('stopped with SIGTERM mid-poll: it hands the refresh over at once instead of holding its lease', async () => {
    // A lease far longer than the test may take: only the hand-over lets the restart report in time.
    const env = envFor(120);
    const first = await startBot(env, cwd);
    const s = openStore();
    const { operationId } = await startRefresh(first, connector, s);
    await waitUntilPolling(sim, dataDir, operationId);
    await waitUntilScanRunning(sim);
    assert.ok(operationRow(dataDir, operationId).lease_until_ms! > Date.now() + 60_000, 'the running process holds a long lease');

    const stopped = await stopBot(first, 'SIGTERM');
    assert.equal(stopped.code, 0, first.output());
    assert.ok(operationRow(dataDir, operationId).lease_until_ms! <= Date.now(), 'a planned stop ends its lease');
    assert.equal(outcomeReplies(connector).length, 0);

    const second = await startBot(env, cwd);
    await waitFor('the outcome reply', 15_000, () => outcomeReplies(connector).length > 0);
    await waitFor('the refresh audit entry', 5000, async () => refreshAudit(await s.latestAudit(50)).includes('succeeded'));
    assert.equal(outcomeReplies(connector).length, 1, 'exactly one outcome reply');
    await waitFor('the restarted process to log the report', 5000, () => second.logs.some((l) => l.msg === 'refresh reported' && l.operation === operationId));
  });

  it('killed with SIGKILL mid-poll and restarted on the same port: the restart takes its refresh back at once and reports within 10 s', async () => {
    // The default minute-long lease: only taking its own lease back lets the restart report in time.
    const port = await freePort();
    const env = { ...envFor(60), PORT: String(port) };
    const first = await startBot(env, cwd);
    const s = openStore();
    const { cardId, msg, operationId } = await startRefresh(first, connector, s);
    await waitUntilPolling(sim, dataDir, operationId);
    await waitUntilScanRunning(sim);
    const held = operationRow(dataDir, operationId);
    assert.equal(held.lease_owner, `${os.hostname()}:${port}`, 'the lease names the process slot: host and port');
    assert.equal(held.step, 'polling');

    await stopBot(first, 'SIGKILL');
    assert.ok(operationRow(dataDir, operationId).lease_until_ms! > Date.now() + 30_000, 'the dead process still holds the lease for a good while');
    assert.equal(outcomeReplies(connector).length, 0);

    const second = await startBot(env, cwd);
    await waitFor('the outcome reply within 10 s of the restart', 10_000, () => outcomeReplies(connector).length > 0);
    await waitFor('the restarted process to log the report', 5000, () => second.logs.some((l) => l.msg === 'refresh reported' && l.operation === operationId));
    assert.equal(second.logs.some((l) => l.msg === 'took over a refresh whose lease had lapsed'), false, 'its own refresh, not a takeover');
    const replies = outcomeReplies(connector);
    assert.equal(replies.length, 1, 'exactly one outcome reply');
    assert.match(replies[0]!.activity.text as string, /^Refresh of Roles are being assigned outside of Privileged Identity Management on Contoso Production succeeded/);
    assert.match(cardText(adaptiveCard(connector.activity(msg.conversation.id, cardId)!)!), /^Refresh by Alex Wilber succeeded after \d+ s: active, 2 incidents$/m);
    assert.deepEqual(refreshAudit(await s.latestAudit(50)), ['started', 'succeeded']);
    assert.equal(operationRow(dataDir, operationId).step, 'reported');
  });
});
