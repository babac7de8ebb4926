// Refresh outcomes through the whole bot (the harness: real createApp, CloudAdapter, delivery,
// SQLite, ARM client), with Teams or ARM misbehaving: Teams down for half a minute, and ARM
// answering 429/500 to almost a third of the requests. The outcome must reach the thread exactly
// once and say what ARM really said.
import { strict as assert } from 'node:assert';
import type { Alert } from '../../bot/azure/models';
import sinon from 'sinon';
import type { StoredActivity } from '../fakes/connector';
import { normalizeScope } from '../../bot/azure/validate';
import { ConfigError, loadConfig } from '../../bot/config';
import { outcomeText } from '../../bot/background/operations';
import type { PendingOperation } from '../../bot/store/types';
import { markupIn, shownText } from '../cards/markdown';
import { ALEX, buttons, cardAction, cardText, channelMessage, startHarness, type Harness } from '../helpers/harness';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function adaptiveCard(a: StoredActivity): Json | undefined {
  const atts = (a.activity.attachments as Array<{ contentType: string; content: Json }> | undefined) ?? [];
  return atts.find((x) => x.contentType === 'application/vnd.microsoft.card.adaptive')?.content;
}

function outcomeReplies(h: Harness): StoredActivity[] {
  return h.connector.allDelivered().filter((a) => typeof a.activity.text === 'string' && /^Refresh of /.test(a.activity.text));
}

/** Posts `text` in a channel and returns the card the bot answered with, and its id. */
async function cardFor(h: Harness, text: string): Promise<{ msg: Json; cardId: string; card: Json }> {
  const msg = channelMessage(h, text);
  assert.equal((await h.post(msg)).status, 200);
  const posted = h.connector.delivered(msg.conversation.id).filter((a) => adaptiveCard(a)).at(-1);
  assert.ok(posted, `a card answered "${text}"`);
  return { msg, cardId: posted.id, card: adaptiveCard(posted)! };
}

async function click(h: Harness, at: { msg: Json; cardId: string }, card: Json, verb: string): Promise<Json> {
  const b = buttons(card).find((x) => x.verb === verb);
  assert.ok(b, `the card has a ${verb} button`);
  const res = await h.post(cardAction(h, b, { from: ALEX, conversationOf: at.msg, cardActivityId: at.cardId }));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.value as Json;
}

/** Refresh → Confirm on a card: the refresh is started and stored. */
async function startRefresh(h: Harness, text: string): Promise<{ msg: Json; cardId: string }> {
  const at = await cardFor(h, text);
  const confirm = await click(h, at, at.card, 'refreshConfirm');
  assert.match(cardText(await click(h, at, confirm, 'refresh')), /Refreshing — started by Alex Wilber/);
  return at;
}

describe('refresh outcomes through the bot when Teams or ARM fail', function () {
  this.timeout(60_000);
  let h: Harness | undefined;
  let clock: sinon.SinonFakeTimers | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
    clock?.restore();
    clock = undefined;
  });

  it('Teams answers 503 for 30 s, then recovers: the outcome is posted once and the card updated once', async () => {
    // Fake time for everything that waits or counts (ARM polls, delivery and tracker backoffs, the
    // delivery limiter's windows, the fake connector's outage clock); the HTTP between the parts
    // stays real, on loopback.
    const T0 = Date.parse('2025-03-03T09:00:00Z');
    clock = sinon.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    const realTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
    /** Moves fake time on in small steps, letting real I/O run between them, until `done` or `limitMs` of fake time. */
    const advanceUntil = async (what: string, limitMs: number, done: () => boolean | Promise<boolean>) => {
      const end = Date.now() + limitMs;
      while (!(await done())) {
        if (Date.now() > end) throw new Error(`${what} did not happen within ${limitMs} ms of fake time.`);
        await clock!.tickAsync(200);
        for (let i = 0; i < 5; i++) await realTurn();
      }
    };
    h = await startHarness({ connector: { now: () => Date.now() }, sim: { refreshDurationMs: 1500 } });
    const at = await startRefresh(h, 'alert outside 1');
    const outageFrom = Date.now();
    const seqBefore = h.connector.requests.length;
    h.connector.outage(at.msg.conversation.id, outageFrom + 30_000, 503);

    await advanceUntil('the outcome reply', 120_000, () => outcomeReplies(h!).length > 0);
    await advanceUntil('the end of reporting', 60_000, async () => (await h!.app.deps.store.listUnreportedOperations()).length === 0);
    await h.app.operations.idle();

    // What the bot sent once the refresh had started: the report.
    const writes = h.connector.requests.slice(seqBefore).filter((r) => r.method !== 'GET');
    assert.ok(writes.every((r) => r.conversationId === at.msg.conversation.id));
    const posts = writes.filter((r) => r.method === 'POST');
    const puts = writes.filter((r) => r.method === 'PUT');
    // One delivery makes at most 5 attempts, within 15 s (its backoff ceilings add up to 15 s). The
    // card update, tried first, lost a whole delivery to the outage: only the tracker's own next
    // round could get it through.
    assert.ok(puts.length > 5, `the card update took more than one delivery (${puts.length} PUTs)`);
    assert.ok(posts.some((r) => r.reason === 'outage'), 'the reply met the outage too');
    assert.ok([...posts, ...puts].every((r) => (r.reason === 'outage') === r.at < outageFrom + 30_000), 'every write in the outage was refused, none after it');
    assert.deepEqual(posts.filter((r) => r.status === 201).length, 1, 'one reply posted');
    assert.deepEqual(puts.filter((r) => r.status === 200).length, 1, 'the card updated once');

    const replies = outcomeReplies(h);
    assert.equal(replies.length, 1);
    assert.match(replies[0]!.activity.text as string, /^Refresh of Roles are being assigned outside of Privileged Identity Management on Contoso Production succeeded after \d+ s \(started by Alex Wilber\)\. It is active, with 2 incidents\.$/);
    assert.match(cardText(adaptiveCard(h.connector.activity(at.msg.conversation.id, at.cardId)!)!), /^Refresh by Alex Wilber succeeded after \d+ s: active, 2 incidents$/m);
    assert.deepEqual(await h.app.deps.store.listUnreportedOperations(), []);
    const audit = (await h.app.deps.store.latestAudit(20)).filter((e) => e.action === 'refresh').map((e) => e.result).sort();
    assert.deepEqual(audit, ['started', 'succeeded']);
  });

  it('ARM answers 429 or 500 to 30 % of requests: no completed scan is reported as failed', async () => {
    // One pipeline retry, so a poll often runs out of retries: only the tracker's own retries save it.
    h = await startHarness({
      sim: { refreshDurationMs: 1500, randomSeed: 8 },
      overrides: { operations: { pollRetry: { baseMs: 20, maxMs: 200 }, reportRetry: { baseMs: 20, maxMs: 200 } } },
    });
    const targets = ['alert outside 1', 'alert permanent 1', 'alert duplicate 1', 'alert outside 2', 'alert permanent 2', 'alert duplicate 2', 'alert outside 3', 'alert duplicate 3'];
    const started: Array<{ msg: Json; cardId: string }> = [];
    for (const text of targets) started.push(await startRefresh(h, text));
    h.sim.setFaults({ rate429: 0.15, rate500: 0.15, retryAfter429Seconds: 0 });
    await h.app.operations.idle();
    h.sim.setFaults({});

    const records = h.sim.state.operationRecords();
    assert.equal(records.length, targets.length);
    const polls = h.sim.requests.filter((r) => /roleManagementAlertOperations\//.test(r.url));
    assert.ok(polls.some((r) => r.status === 429) && polls.some((r) => r.status === 500), 'the storm reached the polls');
    const replies = outcomeReplies(h).map((r) => r.activity.text as string);
    assert.equal(replies.length, targets.length, replies.join('\n'));
    for (const text of replies) assert.match(text, /succeeded after/, text);
    assert.ok(started.every((at) => h!.connector.delivered(at.msg.conversation.id).length > 0));
    const audit = (await h.app.deps.store.latestAudit(100)).filter((e) => e.action === 'refresh' && e.result !== 'started');
    assert.deepEqual(audit.map((e) => e.result), targets.map(() => 'succeeded'));
  });

  it('words the outcome with the requester\'s name, the alert and what Azure said shown as typed (Teams renders Markdown in messages)', () => {
    const link = '[Re-approve your PIM role](https://evil.example/login)';
    const op = { requester: { name: `<at>Someone</at> ${link}` }, handle: { scope: 'subscriptions/x', alertId: 'Hostile' } } as PendingOperation;
    const alert = {
      name: 'Hostile',
      id: '/subscriptions/x/providers/Microsoft.Authorization/roleManagementAlerts/Hostile',
      type: 'Microsoft.Authorization/roleManagementAlerts',
      properties: { isActive: true, incidentCount: 1, alertDefinition: { id: 'd', name: 'Hostile', type: 't', properties: { displayName: link } } },
    } as Alert;
    for (const outcome of ['succeeded', 'failed', 'canceled', 'timedOut'] as const) {
      const told = outcomeText(
        op,
        { outcome, status: `**${outcome}**`, details: [{ name: 'Hostile', statusDetail: `Alert scan failed. ![x](https://evil.example/x.png) ${link}` }, { statusDetail: `# Urgent ${link}` }], durationMs: 5000, polls: 2 },
        '**Contoso** Production',
        [alert],
      );
      for (const text of [told.reply, told.banner, told.audit]) {
        // Only the bot's own `refresh` hint may render.
        assert.deepEqual(markupIn(text).filter((k) => k !== 'code'), [], text);
      }
      assert.ok(shownText(told.reply).includes(`(started by <at>Someone</at> ${link})`), told.reply);
      assert.ok(shownText(told.reply).startsWith(`Refresh of ${link} on **Contoso** Production `), told.reply);
    }
  });

  it('takes its give-up time and sweep interval from PIM_REFRESH_REPORT_GIVE_UP_HOURS and PIM_OPERATION_SWEEP_SECONDS', () => {
    const local = { normalizeScope, localEndpoint: 'http://127.0.0.1:9', localScopes: [{ scope: 'subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f' }] };
    const defaults = loadConfig({}, local);
    assert.deepEqual([defaults.reportGiveUpMs, defaults.operationSweepMs], [24 * 3600_000, 30_000]);
    const set = loadConfig({ PIM_REFRESH_REPORT_GIVE_UP_HOURS: '6', PIM_OPERATION_SWEEP_SECONDS: '10' }, local);
    assert.deepEqual([set.reportGiveUpMs, set.operationSweepMs], [6 * 3600_000, 10_000]);
    assert.throws(() => loadConfig({ PIM_REFRESH_REPORT_GIVE_UP_HOURS: '0' }, local), (e: unknown) => e instanceof ConfigError && /PIM_REFRESH_REPORT_GIVE_UP_HOURS/.test(e.message));
    assert.throws(() => loadConfig({ PIM_OPERATION_SWEEP_SECONDS: 'often' }, local), (e: unknown) => e instanceof ConfigError && /PIM_OPERATION_SWEEP_SECONDS/.test(e.message));
  });
});
