// Two instances of the bot on one Table Storage: two processes of the real bot/main.ts, configured
// like a deployment with PIM_STORE=table, on one Azurite (started here, in memory, on loopback),
// one PIM simulator as ARM and one fake Bot Connector as Teams, enforcing Teams' published limits.
// Driven over HTTP with Teams-shaped activities, as Azure's load balancer would: any request may
// land on either instance.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { openTableStore, tableKey, type TableBotStore } from '../../bot/store/table';
import type { StoredConversationReference, Subscription } from '../../bot/store/types';
import { TEAMS_GLOBAL_WINDOWS, TEAMS_PER_CONVERSATION_WINDOWS } from '../../bot/delivery/windows';
import { startSimulator, type Simulator } from '../../sim/server';
import { PRINCIPAL_IDS } from '../../sim/seed';
import { peakWindowCounts, startFakeConnector, type FakeConnector, type StoredActivity } from '../fakes/connector';
import { startAzurite, uniqueTablePrefix, type Azurite } from '../helpers/azurite';
import { ALEX, TENANT_ID, buttons, cardAction, cardText, channelMessage, type Who } from '../helpers/harness';
import { freePort, post, startBot, stopAllBots, stopBot, waitFor, simulatorSettings, type BotProcess } from '../helpers/process';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DANA: Who = { id: '29:dana', name: 'Dana Whitfield', aadObjectId: PRINCIPAL_IDS.subscriptionOwner };
const LEASE_SECONDS = 5;
const SWEEP_SECONDS = 1;
/** Scans take three seconds at the simulator: the kill lands while one runs. */
const REFRESH_MS = 3000;
const HOUR = 3_600_000;

function adaptiveCard(a: StoredActivity): Json | undefined {
  const atts = (a.activity.attachments as Array<{ contentType: string; content: Json }> | undefined) ?? [];
  return atts.find((x) => x.contentType === 'application/vnd.microsoft.card.adaptive')?.content;
}

const isDigest = (a: StoredActivity) => /PIM alerts digest/.test(cardText(adaptiveCard(a) ?? {}));

describe('two bot processes on one Table Storage (Azurite)', function () {
  this.timeout(120_000);
  let azurite: Azurite;
  let sim: Simulator;
  let connector: FakeConnector;
  let cwd: string;
  let prefix: string;
  let store: TableBotStore;
  /** When set, ARM answers a PATCH only once this settles. */
  let patchGate: Promise<unknown> | undefined;

  before(async () => {
    azurite = await startAzurite();
  });
  after(async () => azurite.close());

  beforeEach(async () => {
    patchGate = undefined;
    sim = await startSimulator({ refreshDurationMs: REFRESH_MS, beforeReply: (r) => (r.method === 'PATCH' && patchGate ? patchGate.then(() => undefined) : undefined) });
    // Teams' published limits, per conversation and per tenant: a 429 for anything over them.
    connector = await startFakeConnector({ perConversation: TEAMS_PER_CONVERSATION_WINDOWS, global: TEAMS_GLOBAL_WINDOWS });
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-instances-'));
    prefix = uniqueTablePrefix();
    store = await openTableStore({ connection: { connectionString: azurite.connectionString }, prefix });
  });

  afterEach(async () => {
    await stopAllBots();
    await store.close();
    await connector.close();
    await sim.close();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  /** The environment of one instance: a deployment's, on this Azurite, with short leases and ticks. */
  function envFor(port: number): Record<string, string> {
    return {
      ...simulatorSettings(sim, path.join(cwd, `data-${port}`)),
      PIM_AUTHZ: 'rbac',
      // A fixed port: each instance's name in leases is host:port, as in App Service.
      PORT: String(port),
      PLAYGROUND: 'false',
      LOG_LEVEL: 'info',
      PIM_TIME_ZONE: 'UTC',
      PIM_STORE: 'table',
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
      PIM_TABLE_PREFIX: prefix,
      PIM_OPERATION_LEASE_SECONDS: String(LEASE_SECONDS),
      PIM_OPERATION_SWEEP_SECONDS: String(SWEEP_SECONDS),
      PIM_SCHEDULER_TICK_SECONDS: '1',
    };
  }

  async function twoInstances(): Promise<[BotProcess, BotProcess]> {
    const [pa, pb] = [await freePort(), await freePort()];
    const [a, b] = await Promise.all([startBot(envFor(pa), cwd), startBot(envFor(pb), cwd)]);
    return [a!, b!];
  }

  async function say(bot: BotProcess, text: string, from: Who = ALEX): Promise<{ msg: Json; card: Json; cardId: string }> {
    const msg = channelMessage({ connector }, text, from);
    const before = connector.delivered(msg.conversation.id).length;
    assert.equal((await post(bot, msg)).status, 200);
    const posted = connector.delivered(msg.conversation.id).slice(before).filter((a) => adaptiveCard(a));
    assert.equal(posted.length, 1, `one card answered "${text}"`);
    return { msg, card: adaptiveCard(posted[0]!)!, cardId: posted[0]!.id };
  }

  async function click(bot: BotProcess, msg: Json, cardId: string, card: Json, verb: string, from: Who = ALEX): Promise<Json> {
    const b = buttons(card).find((x) => x.verb === verb);
    assert.ok(b, `the card has a ${verb} button`);
    const res = await post(bot, cardAction({ connector }, b, { from, conversationOf: msg, cardActivityId: cardId }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.value as Json;
  }

  /** As if the subscription's slot had come: its last run one period before the current hour's. */
  async function bringSlot(subscriptionId: string): Promise<string> {
    const slot = Math.floor(Date.now() / HOUR) * HOUR;
    const raw = TableClient.fromConnectionString(azurite.connectionString, `${prefix}subscriptions`, { allowInsecureConnection: true });
    await raw.updateEntity({ partitionKey: 'subscription', rowKey: tableKey(subscriptionId), lastRunAt: new Date(slot - HOUR).toISOString() }, 'Merge');
    return new Date(slot).toISOString();
  }

  const runsLogged = (bot: BotProcess) => bot.logs.filter((l) => l.msg === 'digest runs');

  it('a subscription made on one instance is followed by the other within one tick, and its slot is sent once whichever instances are up', async () => {
    const [a, b] = await twoInstances();
    const rereads = (bot: BotProcess, key: 'scheduled' | 'dropped', id: string) => bot.logs.filter((l) => l.msg.startsWith('subscriptions re-read') && (l[key] as string[]).includes(id));
    await say(a, 'subscribe hourly');
    const [first] = await store.listSubscriptions();
    assert.ok(first, 'stored by host-a');
    await waitFor('host-b to schedule it', 10_000, () => rereads(b, 'scheduled', first.id).length > 0);

    // Its hour comes with both instances up: one digest.
    const digests = () => connector.delivered(first.conversationId).filter(isDigest);
    const slot = await bringSlot(first.id);
    await waitFor('the digest', 20_000, () => digests().length > 0);
    await waitFor('the run to be recorded', 10_000, async () => (await store.listIncompleteDigestRuns()).length === 0 && (await store.listSubscriptions())[0]!.lastRunAt === slot);
    // Two more ticks of each instance (a second each): neither sends it again.
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(digests().length, 1, 'one digest for the slot');

    // Another subscription made on host-a (every hour, changes or not), and the first one removed on host-b.
    await say(a, 'subscribe hourly always');
    const second = (await store.listSubscriptions()).find((x) => x.id !== first.id)!;
    await waitFor('host-b to schedule the second', 10_000, () => rereads(b, 'scheduled', second.id).length > 0);
    await say(b, 'unsubscribe 1');
    assert.deepEqual((await store.listSubscriptions()).map((x) => x.id), [second.id]);
    await waitFor('host-a to drop the first', 10_000, () => rereads(a, 'dropped', first.id).length > 0);

    // host-a dies; the second subscription's hour comes: host-b sends it alone, without a restart.
    await stopBot(a, 'SIGKILL');
    const sentByB = () => runsLogged(b).reduce((n, l) => n + (l.sent as number), 0);
    const before = sentByB();
    await bringSlot(second.id);
    await waitFor('the second digest', 20_000, () => digests().length === 2);
    await waitFor('host-b to record that it sent it', 10_000, () => sentByB() === before + 1);
    assert.equal(b.hasExited(), false);
  });

  it('a double click on Dismiss landing on both instances at once makes one ARM write, and the second person sees who did it', async () => {
    const [a, b] = await twoInstances();
    const { msg, card, cardId } = await say(a, 'alert permanent 1');
    const confirm = await click(a, msg, cardId, card, 'dismissConfirm');
    const dismiss = buttons(confirm).find((x) => x.verb === 'dismiss')!;
    const writes = () => sim.requests.filter((r) => r.method === 'PATCH');
    // The same signed button, clicked by two people, one request on each instance. "At once": the
    // second lands while the first's ARM write is in flight — ARM answers that write only after one
    // of the two has been answered (the loser's answer cannot wait on the write), so however the
    // two processes are scheduled, neither click finds the other's finished. (Should both write,
    // the gate opens after 5 s and the count of PATCHes tells.)
    const clicks = [
      post(a, cardAction({ connector }, dismiss, { from: ALEX, conversationOf: msg, cardActivityId: cardId })),
      post(b, cardAction({ connector }, dismiss, { from: DANA, conversationOf: msg, cardActivityId: cardId })),
    ] as const;
    patchGate = Promise.race([...clicks, new Promise((r) => setTimeout(r, 5_000))]);
    const [ra, rb] = await Promise.all(clicks);
    assert.deepEqual([ra.status, rb.status], [200, 200]);
    assert.equal(writes().length, 1, 'one PATCH reached ARM');
    const texts = [cardText(ra.body.value), cardText(rb.body.value)];
    const winner = texts.findIndex((t) => /Dismissed by/.test(t));
    assert.ok(winner >= 0, texts.join('\n---\n'));
    const who = winner === 0 ? 'Alex Wilber' : 'Dana Whitfield';
    assert.match(texts[winner]!, new RegExp(`Dismissed by ${who}`));
    assert.match(texts[1 - winner]!, new RegExp(`Already dismissed by ${who}`), `the other person sees who did it:\n${texts.join('\n---\n')}`);
    // Both instances signed and checked with the one key they agreed on in the store.
    assert.equal((await store.getSecret('actionSigningKey'))?.length, 44);
  });

  it('a refresh whose instance died is taken over by the live one within the lease plus one sweep, without a restart, and reported once', async () => {
    const [a, b] = await twoInstances();
    const { msg, card, cardId } = await say(a, 'alert outside 1');
    const started = await click(a, msg, cardId, await click(a, msg, cardId, card, 'refreshConfirm'), 'refresh');
    assert.match(cardText(started), /Refreshing — started by Alex Wilber/);
    const [op] = await store.listUnreportedOperations();
    assert.ok(op);
    // Usually host-a, which started it; but host-b's sweep may take a new refresh before host-a
    // leases it (both are live then, and either may poll it): the instance holding it is killed.
    const ownedBy = (bot: BotProcess, owner: string | undefined) => owner?.endsWith(`:${new URL(bot.url).port}`);
    const owner = await waitFor('an instance to poll it', 10_000, async () => {
      const leaseOwner = (await store.getPendingOperation(op.id))?.leaseOwner;
      return sim.requests.some((r) => /roleManagementAlertOperations\//.test(r.url)) && (ownedBy(a, leaseOwner) || ownedBy(b, leaseOwner)) && leaseOwner;
    });
    const [dead, live] = ownedBy(a, owner) ? [a, b] : [b, a];

    const killed = await stopBot(dead, 'SIGKILL');
    assert.equal(killed.signal, 'SIGKILL');
    const leaseUntil = Date.parse((await store.getPendingOperation(op.id))!.leaseUntil!);
    const outcomes = () => connector.allDelivered().filter((x) => typeof x.activity.text === 'string' && /^Refresh of /.test(x.activity.text));
    await waitFor('the outcome, reported by the live instance', 30_000, () => outcomes().length > 0);
    await waitFor('the live instance to end the refresh', 10_000, async () => (await store.getPendingOperation(op.id))?.step === 'reported');

    const tookOver = live.logs.find((l) => l.msg === 'took over a refresh whose lease had lapsed' && l.operation === op.id);
    assert.ok(tookOver, 'the live instance took it over');
    const lateMs = Date.parse(tookOver.time as string) - leaseUntil;
    // Within one sweep of the lease ending (with room for a loaded machine to schedule the sweep).
    assert.ok(lateMs <= SWEEP_SECONDS * 1000 + 2000, `taken over ${lateMs} ms after the lease ended`);
    assert.equal(live.hasExited(), false, 'the live instance kept running: no restart was needed');
    assert.equal(outcomes().length, 1, 'one outcome in the thread');
    assert.match(outcomes()[0]!.activity.text as string, /^Refresh of Roles are being assigned outside of Privileged Identity Management on Contoso Production succeeded after \d+ s \(started by Alex Wilber\)\. It is active, with 2 incidents\.$/);
    const audited = (await store.latestAudit(20)).filter((e) => e.action === 'refresh');
    assert.deepEqual(audited.map((e) => e.result).sort(), ['started', 'succeeded']);
  });

  it('together they stay within Teams\' limits: 300 digests due at once, split between the instances, no 429', async () => {
    const conversations: StoredConversationReference[] = Array.from({ length: 300 }, (_, i) => ({
      channelId: 'msteams',
      serviceUrl: connector.url,
      conversation: { id: `19:${String(i).padStart(4, '0')}a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5@thread.tacv2`, conversationType: 'channel', isGroup: true, tenantId: TENANT_ID },
      bot: { id: '28:6e0f5a4b-3c2d-4e1f-9a8b-7c6d5e4f3a10', name: 'PIM Alerts' },
    }));
    const slot = Math.floor(Date.now() / HOUR) * HOUR;
    for (const [i, ref] of conversations.entries()) {
      await store.upsertConversation(ref, new Date().toISOString());
      const sub: Subscription = {
        id: `sub${i}`,
        conversationId: ref.conversation.id,
        cron: '0 * * * *',
        label: 'hourly',
        timeZone: 'UTC',
        scopes: [],
        mode: 'always',
        createdBy: { objectId: ALEX.aadObjectId, name: ALEX.name },
        createdAt: new Date(slot - 2 * HOUR).toISOString(),
        // The current hour's slot is sent already: nothing is due when the instances start.
        lastRunAt: new Date(slot).toISOString(),
        enabled: true,
      };
      await store.addSubscription(sub);
    }
    const [a, b] = await twoInstances();
    // Both are up and ticking: now the current hour's slot comes for all 300 (whichever instance
    // started first, neither has a head start).
    await waitFor('both instances to schedule the 300', 20_000, () => [a, b].every((bot) => bot.logs.some((l) => l.msg === 'digest scheduler started')));
    for (let i = 0; i < conversations.length; i += 20) await Promise.all(conversations.slice(i, i + 20).map((_, j) => bringSlot(`sub${i + j}`)));
    const sentBy = () => [a, b].map((bot) => runsLogged(bot).reduce((n, l) => n + (l.sent as number), 0));
    await waitFor('every digest, recorded', 60_000, () => sentBy()[0]! + sentBy()[1]! >= conversations.length);
    const delivered = connector.allDelivered().filter(isDigest);
    assert.equal(new Set(delivered.map((x) => x.conversationId)).size, conversations.length, 'every conversation got its digest');
    assert.equal(delivered.length, conversations.length, 'and only once');
    assert.equal(sentBy()[0]! + sentBy()[1]!, conversations.length);
    assert.ok(sentBy().every((n) => n > 0), `both instances sent (${sentBy().join(' + ')})`);
    assert.equal(connector.counts.throttled, 0, 'no 429 from Teams');
    for (const p of peakWindowCounts(connector.requests, TEAMS_GLOBAL_WINDOWS, () => 'tenant')) assert.ok(p.peak <= p.window.limit, `tenant: ${p.peak} in ${p.window.intervalMs} ms`);
  });
});
