// The digest scheduler on fake time: run times per time zone across DST changes, the missed-run
// rule after a downtime, exactly-once with two processes and after a crash mid-run, change
// detection as a channel sees it, one ARM read per scope per run, and conversations the bot was
// removed from. One test goes through the real delivery stack to the fake Bot Connector.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sinon from 'sinon';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { createBotFrameworkSender, createDelivery, type Delivery } from '../../bot/delivery';
import { createDigestScheduler, type DigestService, type DigestSchedulerOptions } from '../../bot/digest/scheduler';
import { Writable } from 'node:stream';
import { createLogger, silentLogger } from '../../bot/log';
import { openSqliteStore } from '../../bot/store/sqlite';
import type { BotStore } from '../../bot/store/types';
import { assertValidCard } from '../cards/validateCard';
import { startFakeConnector, type FakeConnector } from '../fakes/connector';
import {
  PROD,
  RG,
  TENANT,
  STAGING,
  cardText,
  channelRef,
  makeAlert,
  makeDeps,
  makeSub,
  recordingDeliver,
  subscribeIn,
} from './helpers';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const OPS = '19:0b7f32667e064dd9b25d7969801541f4@thread.tacv2';
const SEC = '19:5d1c5e6a1b2c4d3e8f9a0b1c2d3e4f5a@thread.tacv2';
const GONE = '19:9f8e7d6c5b4a39281706f5e4d3c2b1a0@thread.tacv2';

describe('digest scheduler', () => {
  let clock: sinon.SinonFakeTimers | undefined;
  const running: DigestService[] = [];
  const stores: BotStore[] = [];

  function fakeTime(iso: string): sinon.SinonFakeTimers {
    clock = sinon.useFakeTimers({ now: Date.parse(iso), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    return clock;
  }

  function scheduler(opts: Omit<DigestSchedulerOptions, 'logger'> & { logger?: DigestSchedulerOptions['logger'] }): DigestService {
    const s = createDigestScheduler({ logger: silentLogger(), ...opts });
    running.push(s);
    return s;
  }

  afterEach(async () => {
    // Stop while time is still fake, so no real timer outlives the test.
    for (const s of running.splice(0)) await s.stop();
    clock?.restore();
    clock = undefined;
    for (const s of stores.splice(0)) await s.close();
  });

  async function sendTimes(sub: Parameters<typeof makeSub>[0], from: string, days: number): Promise<string[]> {
    fakeTime(from);
    const { deps, api, store } = makeDeps();
    stores.push(store);
    api.set(PROD, [makeAlert(PROD, 'DuplicateRoleCreated')]);
    await subscribeIn(store, makeSub({ mode: 'always', scopes: [PROD], ...sub }));
    const rec = recordingDeliver();
    await scheduler({ deps, deliver: rec.deliver }).start();
    await clock!.tickAsync(days * DAY);
    return rec.sent.map((s) => s.at);
  }

  describe('run times', () => {
    it('runs daily 09:00 Europe/Berlin at 08:00Z in winter and 07:00Z in summer across 29 March 2026', async () => {
      const times = await sendTimes({ conversationId: OPS, timeZone: 'Europe/Berlin' }, '2026-03-27T10:00:00Z', 4);
      assert.deepEqual(times, ['2026-03-28T08:00:00.000Z', '2026-03-29T07:00:00.000Z', '2026-03-30T07:00:00.000Z', '2026-03-31T07:00:00.000Z']);
    });

    it('skips Saturday and Sunday on weekdays 08:30', async () => {
      // 6 March 2026 is a Friday.
      const times = await sendTimes({ conversationId: OPS, cron: '30 8 * * 1-5', label: 'weekdays at 08:30' }, '2026-03-06T00:00:00Z', 7);
      assert.deepEqual(times, ['2026-03-06T08:30:00.000Z', '2026-03-09T08:30:00.000Z', '2026-03-10T08:30:00.000Z', '2026-03-11T08:30:00.000Z', '2026-03-12T08:30:00.000Z']);
    });

    it('runs weekly on Monday 09:00 New York time, following the US change to summer time on 8 March', async () => {
      const times = await sendTimes(
        { conversationId: OPS, cron: '0 9 * * 1', label: 'weekly on Monday at 09:00', timeZone: 'America/New_York' },
        '2026-03-01T00:00:00Z',
        15,
      );
      assert.deepEqual(times, ['2026-03-02T14:00:00.000Z', '2026-03-09T13:00:00.000Z']);
    });

    it('runs a custom cron schedule', async () => {
      const times = await sendTimes({ conversationId: OPS, cron: '*/30 9-10 * * *', label: 'custom schedule */30 9-10 * * *' }, '2026-05-01T00:00:00Z', 1);
      assert.deepEqual(times, ['2026-05-01T09:00:00.000Z', '2026-05-01T09:30:00.000Z', '2026-05-01T10:00:00.000Z', '2026-05-01T10:30:00.000Z']);
    });

    it('runs 09:00 Pacific/Auckland the evening before in UTC, an hour later once New Zealand summer time ends on 5 April', async () => {
      const times = await sendTimes({ conversationId: OPS, timeZone: 'Pacific/Auckland' }, '2026-04-03T00:00:00Z', 3);
      assert.deepEqual(times, ['2026-04-03T20:00:00.000Z', '2026-04-04T21:00:00.000Z', '2026-04-05T21:00:00.000Z']);
    });

    it('ticks every minute to re-read the subscriptions, however far away the next run is', async () => {
      fakeTime('2026-03-06T10:00:00Z');
      const { deps, store } = makeDeps();
      stores.push(store);
      await subscribeIn(store, makeSub({ conversationId: OPS, cron: '0 9 1 1 *', label: 'custom schedule 0 9 1 1 *' }));
      const s = scheduler({ deps, deliver: recordingDeliver().deliver, tickMs: 10 * MINUTE });
      await s.start();
      await s.idle();
      assert.equal(clock!.countTimers(), 1);
      const next = clock!.next();
      assert.equal(next - Date.parse('2026-03-06T10:00:00Z'), MINUTE, 'a longer tick is cut to a minute');
      assert.equal(s.nextRunOf([...(await store.listSubscriptions())][0]!.id)?.toISOString(), '2027-01-01T09:00:00.000Z');
    });
  });

  describe('several instances on one store', () => {
    it('a subscription made on one instance is sent by another within one tick, and one removed there is dropped here', async () => {
      fakeTime('2026-02-02T08:58:00Z');
      const a = makeDeps();
      const b = makeDeps({ store: a.store, api: a.api });
      stores.push(a.store);
      a.api.set(PROD, [makeAlert(PROD, 'DuplicateRoleCreated')]);
      const recA = recordingDeliver();
      const recB = recordingDeliver();
      const sa = scheduler({ deps: a.deps, deliver: recA.deliver, owner: 'host-a:3978' });
      const sb = scheduler({ deps: b.deps, deliver: recB.deliver, owner: 'host-b:3978' });
      await sa.start();
      await sb.start();
      // `subscribe` on host-a: stored there and scheduled there; host-b is told nothing.
      const sub = await subscribeIn(a.store, makeSub({ conversationId: OPS, mode: 'always', cron: '0 9 * * *' }));
      sa.schedule(sub);
      assert.equal(sb.nextRunOf(sub.id), undefined);
      await clock!.tickAsync(MINUTE);
      assert.equal(sb.nextRunOf(sub.id)?.toISOString(), '2026-02-02T09:00:00.000Z', 'host-b scheduled it within one tick');
      await clock!.tickAsync(2 * MINUTE);
      assert.equal(recA.sent.length + recB.sent.length, 1, 'the 09:00 digest went out once');

      // host-a stops; host-b sends the next one on its own.
      running.splice(running.indexOf(sa), 1);
      await sa.stop();
      await clock!.tickAsync(DAY);
      assert.deepEqual([...recA.sent, ...recB.sent].map((x) => x.at), ['2026-02-02T09:00:00.000Z', '2026-02-03T09:00:00.000Z']);
      assert.equal(recB.sent.at(-1)!.at, '2026-02-03T09:00:00.000Z');

      // `unsubscribe` on a third instance: host-b drops it within one tick and sends nothing more.
      await a.store.deleteSubscription(sub.id);
      await clock!.tickAsync(MINUTE);
      assert.equal(sb.nextRunOf(sub.id), undefined);
      await clock!.tickAsync(DAY);
      assert.equal(recB.sent.length + recA.sent.length, 2);
    });

    it('a schedule changed on another instance is followed, and a run claimed there is not tried here', async () => {
      fakeTime('2026-02-02T08:58:00Z');
      const a = makeDeps();
      const b = makeDeps({ store: a.store, api: a.api });
      stores.push(a.store);
      a.api.set(PROD, [makeAlert(PROD, 'DuplicateRoleCreated')]);
      const recB = recordingDeliver();
      const sub = await subscribeIn(a.store, makeSub({ conversationId: OPS, mode: 'always', cron: '0 9 * * *' }));
      const sb = scheduler({ deps: b.deps, deliver: recB.deliver, owner: 'host-b:3978' });
      await sb.start();
      assert.equal(sb.nextRunOf(sub.id)?.toISOString(), '2026-02-02T09:00:00.000Z');
      // Another instance sent 09:00 already (its clock ran ahead): host-b moves on to tomorrow.
      assert.equal(await a.store.claimDigestRun(sub.id, '2026-02-02T09:00:00.000Z', 'host-a:3978'), true);
      await a.store.completeDigestRun(sub.id, '2026-02-02T09:00:00.000Z', 'sent');
      await clock!.tickAsync(MINUTE);
      assert.equal(sb.nextRunOf(sub.id)?.toISOString(), '2026-02-03T09:00:00.000Z');
      await clock!.tickAsync(5 * MINUTE);
      assert.deepEqual(recB.sent, []);
    });

    it('an instance claims no more runs than it has in flight, so one that ticks a moment later takes its share of a large instant', async () => {
      fakeTime('2026-02-02T08:59:00Z');
      const a = makeDeps();
      const b = makeDeps({ store: a.store, api: a.api });
      stores.push(a.store);
      a.api.set(PROD, [makeAlert(PROD, 'DuplicateRoleCreated')]);
      const subs = [];
      for (let i = 0; i < 20; i++) subs.push(await subscribeIn(a.store, makeSub({ conversationId: `19:${String(i).padStart(2, '0')}0b7f32667e064dd9b25d79698015@thread.tacv2`, mode: 'always' })));
      // host-a's deliveries hang (a slow Teams), host-b's go at once.
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const recA = recordingDeliver();
      const sa = scheduler({ deps: a.deps, deliver: async (ref, activity) => gate.then(() => recA.deliver(ref, activity)), owner: 'host-a:3978', maxRunsInFlight: 4 });
      const recB = recordingDeliver();
      try {
        await sa.start();
        await clock!.tickAsync(MINUTE + 10_000);
        const claimedBy = async (owner: string) => (await a.store.listIncompleteDigestRuns()).filter((r) => r.owner === owner).length;
        assert.equal(await claimedBy('host-a:3978'), 4, 'host-a claimed as many runs as it may have in flight');
        const sb = scheduler({ deps: b.deps, deliver: recB.deliver, owner: 'host-b:3978' });
        await sb.start();
        // The claims yield to I/O (setImmediate, which stays real) every few runs.
        for (let i = 0; i < 50 && recB.sent.length < 16; i++) {
          await clock!.tickAsync(100);
          await new Promise((r) => setImmediate(r));
        }
        assert.equal(recB.sent.length, 16, 'host-b, starting ten seconds later, sent the rest');
      } finally {
        release();
      }
      await clock!.tickAsync(1000);
      assert.equal(recA.sent.length, 4);
      assert.deepEqual(new Set([...recA.sent, ...recB.sent].map((x) => x.conversationId)), new Set(subs.map((x) => x.conversationId)), 'each conversation got its digest, once');
    });
  });

  describe('missed runs and restarts', () => {
    it('sends a run missed while the bot was down once, when it is back within one period; a second instance does not send it again', async () => {
      fakeTime('2026-01-06T10:00:00Z');
      const { deps, api, store } = makeDeps();
      stores.push(store);
      api.set(PROD, [makeAlert(PROD, 'DuplicateRoleCreated')]);
      await subscribeIn(store, makeSub({ conversationId: OPS, mode: 'always', createdAt: '2026-01-04T12:00:00.000Z', lastRunAt: '2026-01-05T09:00:00.000Z' }));
      const rec = recordingDeliver();
      const a = scheduler({ deps, deliver: rec.deliver, owner: 'host-a:3978' });
      await a.start();
      await a.idle();
      assert.deepEqual(rec.sent.map((s) => s.at), ['2026-01-06T10:00:00.000Z'], 'the 09:00 run is sent at start-up, an hour late');

      const b = scheduler({ deps, deliver: rec.deliver, owner: 'host-b:3978' });
      await b.start();
      await b.idle();
      assert.equal(rec.sent.length, 1, 'a second process starting later does not send it again');

      await clock!.tickAsync(DAY);
      assert.deepEqual(rec.sent.map((s) => s.at), ['2026-01-06T10:00:00.000Z', '2026-01-07T09:00:00.000Z'], 'the next regular run is sent once by the two processes');
    });

    it('does not send a run missed by more than one period, and still sends the next regular run', async () => {
      fakeTime('2026-01-07T10:00:00Z');
      const { deps, api, store } = makeDeps();
      stores.push(store);
      api.set(PROD, [makeAlert(PROD, 'DuplicateRoleCreated')]);
      await subscribeIn(store, makeSub({ conversationId: OPS, mode: 'always', createdAt: '2026-01-04T12:00:00.000Z', lastRunAt: '2026-01-05T09:00:00.000Z' }));
      const rec = recordingDeliver();
      const s = scheduler({ deps, deliver: rec.deliver });
      await s.start();
      await s.idle();
      assert.equal(rec.sent.length, 0, 'the 6 January run is more than a day late: stale');
      await clock!.tickAsync(DAY);
      assert.deepEqual(rec.sent.map((x) => x.at), ['2026-01-08T09:00:00.000Z']);
    });

    it('sends once when two scheduler processes share one store file', async () => {
      fakeTime('2026-02-02T08:30:00Z');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-digest-'));
      const file = path.join(dir, 'shared.sqlite');
      const one = makeDeps({ store: openSqliteStore({ file }) });
      const two = makeDeps({ store: openSqliteStore({ file }), api: one.api });
      stores.push(one.store, two.store);
      one.api.set(PROD, [makeAlert(PROD, 'DuplicateRoleCreated')]);
      await subscribeIn(one.store, makeSub({ conversationId: OPS, mode: 'always' }));
      const recOne = recordingDeliver();
      const recTwo = recordingDeliver();
      await scheduler({ deps: one.deps, deliver: recOne.deliver, owner: 'vm1:3978' }).start();
      await scheduler({ deps: two.deps, deliver: recTwo.deliver, owner: 'vm1:3979' }).start();
      await clock!.tickAsync(HOUR);
      assert.equal(recOne.sent.length + recTwo.sent.length, 1);
      assert.deepEqual(await one.store.listIncompleteDigestRuns(), []);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('finishes a run interrupted mid-run exactly once when the same process restarts', async () => {
      fakeTime('2026-02-02T08:59:00Z');
      const { deps, api, store } = makeDeps();
      stores.push(store);
      api.set(PROD, [makeAlert(PROD, 'DuplicateRoleCreated')]);
      const sub = await subscribeIn(store, makeSub({ conversationId: OPS, createdAt: '2026-02-01T12:00:00.000Z' }));
      let reached = 0;
      // The first process claims the 09:00 run, reads, and dies while sending.
      const crashed = scheduler({ deps, deliver: () => (reached++, new Promise(() => undefined)), owner: 'vm1:3978' });
      await crashed.start();
      await clock!.tickAsync(2 * MINUTE);
      running.splice(running.indexOf(crashed), 1);
      assert.equal(reached, 1);
      assert.deepEqual(await store.listIncompleteDigestRuns(), [{ subscriptionId: sub.id, runAt: '2026-02-02T09:00:00.000Z', owner: 'vm1:3978' }]);

      const rec = recordingDeliver();
      const restarted = scheduler({ deps, deliver: rec.deliver, owner: 'vm1:3978' });
      await restarted.start();
      await restarted.idle();
      assert.equal(rec.sent.length, 1, 'the interrupted run is finished at start-up');
      assert.deepEqual(await store.listIncompleteDigestRuns(), []);
      assert.ok((await store.listSubscriptions())[0]!.lastSnapshot, 'its snapshot is kept for the next diff');

      const again = scheduler({ deps, deliver: rec.deliver, owner: 'vm1:3978' });
      await again.start();
      await again.idle();
      assert.equal(rec.sent.length, 1, 'a further restart sends nothing more');
    });

    it('lets another process finish an interrupted run only once the lock of the one that died has lapsed', async () => {
      fakeTime('2026-02-02T08:59:00Z');
      const { deps, api, store } = makeDeps();
      stores.push(store);
      api.set(PROD, [makeAlert(PROD, 'DuplicateRoleCreated')]);
      await subscribeIn(store, makeSub({ conversationId: OPS, createdAt: '2026-02-01T12:00:00.000Z' }));
      const crashed = scheduler({ deps, deliver: () => new Promise(() => undefined), owner: 'vm1:3978', runLockMs: 30 * MINUTE });
      await crashed.start();
      await clock!.tickAsync(2 * MINUTE);
      running.splice(running.indexOf(crashed), 1);

      const rec = recordingDeliver();
      const other = scheduler({ deps, deliver: rec.deliver, owner: 'vm2:3978', runLockMs: 30 * MINUTE });
      await other.start();
      await other.idle();
      assert.equal(rec.sent.length, 0, 'the run may still be in progress elsewhere');
      await clock!.tickAsync(30 * MINUTE);
      assert.equal(rec.sent.length, 1, 'finished once the lock lapsed');
      await clock!.tickAsync(2 * HOUR);
      assert.equal(rec.sent.length, 1);
      assert.deepEqual(await store.listIncompleteDigestRuns(), []);
    });
  });

  describe('what a channel sees', () => {
    function rowOf(card: Record<string, unknown>, name: string): string {
      let found = '';
      const walk = (n: unknown): void => {
        if (found || !n || typeof n !== 'object') return;
        if (Array.isArray(n)) return n.forEach(walk);
        const o = n as Record<string, unknown>;
        if (o.type === 'ColumnSet' && cardText(o).includes(name) && cardText(o).includes('[Details]')) {
          found = cardText(o);
          return;
        }
        Object.values(o).forEach(walk);
      };
      walk(card);
      return found;
    }

    it('sends the first digest, nothing while nothing changes, then marks new alerts, new incidents and resolved alerts', async () => {
      fakeTime('2026-03-02T08:00:00Z');
      const { deps, api, store } = makeDeps();
      stores.push(store);
      api.set(PROD, [makeAlert(PROD, 'TooManyOwnersAssignedToResource', { incidents: 2, seed: 1 }), makeAlert(PROD, 'DuplicateRoleCreated', { seed: 2 })]);
      await subscribeIn(store, makeSub({ conversationId: OPS, scopes: [PROD] }));
      const rec = recordingDeliver();
      await scheduler({ deps, deliver: rec.deliver }).start();

      await clock!.tickAsync(HOUR + 1);
      assert.equal(rec.sent.length, 1, 'first digest');
      const first = rec.sent[0]!;
      assertValidCard(first.card, 'first digest');
      assert.match(first.text, /PIM alerts digest/);
      assert.match(first.text, /First digest of this subscription/);
      assert.match(first.text, /Too many owners assigned to a resource/);
      assert.doesNotMatch(first.text, /^New$/m, 'nothing is marked new in the baseline');

      await clock!.tickAsync(DAY);
      assert.equal(rec.sent.length, 1, 'no message when nothing changed');

      api.set(PROD, [...api.get(PROD), makeAlert(PROD, 'AzureRolesAssignedOutsidePimAlert', { seed: 3 })]);
      await clock!.tickAsync(DAY);
      assert.equal(rec.sent.length, 2);
      const added = rec.sent[1]!;
      assert.match(added.text, /Since the last digest: 1 new alert\./);
      assert.match(rowOf(added.card, 'Roles are being assigned outside of Privileged Identity Management'), /^New$/m);
      assert.doesNotMatch(rowOf(added.card, 'Duplicate role created'), /^New$/m);

      api.set(PROD, api.get(PROD).map((a) => (a.name === 'TooManyOwnersAssignedToResource' ? makeAlert(PROD, a.name, { incidents: 3, seed: 1 }) : a)));
      await clock!.tickAsync(DAY);
      assert.equal(rec.sent.length, 3);
      assert.match(rec.sent[2]!.text, /Since the last digest: 1 new incident\./);
      assert.match(rowOf(rec.sent[2]!.card, 'Too many owners assigned to a resource'), /3 incidents · \+1 new incident/);

      api.set(PROD, api.get(PROD).map((a) => (a.name === 'DuplicateRoleCreated' ? makeAlert(PROD, a.name, { seed: 2, active: false }) : a)));
      await clock!.tickAsync(DAY);
      assert.equal(rec.sent.length, 4);
      assert.match(rec.sent[3]!.text, /Resolved since the last digest: Duplicate role created\./);
      assert.doesNotMatch(rec.sent[3]!.text, /Duplicate role created\n/, 'a resolved alert is no longer listed as active');
      for (const s of rec.sent) assertValidCard(s.card, 'digest');
    });

    it("sends an all-clear every run in 'always' mode", async () => {
      fakeTime('2026-03-02T08:00:00Z');
      const { deps, api, store } = makeDeps();
      stores.push(store);
      api.set(PROD, []);
      await subscribeIn(store, makeSub({ conversationId: OPS, scopes: [PROD], mode: 'always' }));
      const rec = recordingDeliver();
      await scheduler({ deps, deliver: rec.deliver }).start();
      await clock!.tickAsync(2 * DAY);
      assert.equal(rec.sent.length, 2);
      for (const s of rec.sent) {
        assertValidCard(s.card, 'all-clear digest');
        assert.match(s.text, /No active PIM alerts on the 1 scope watched\./);
      }
    });

    it('reads each scope once per run for every subscription due then', async () => {
      fakeTime('2026-03-02T08:00:00Z');
      const { deps, api, store } = makeDeps();
      stores.push(store);
      for (const s of [PROD, STAGING, RG]) api.set(s, [makeAlert(s, 'DuplicateRoleCreated')]);
      await subscribeIn(store, makeSub({ conversationId: OPS, scopes: [PROD, STAGING] }));
      await subscribeIn(store, makeSub({ conversationId: SEC, scopes: [STAGING, RG] }));
      await subscribeIn(store, makeSub({ conversationId: GONE, scopes: [] }));
      const rec = recordingDeliver();
      await scheduler({ deps, deliver: rec.deliver }).start();
      await clock!.tickAsync(HOUR + 1);
      assert.equal(rec.sent.length, 3);
      assert.deepEqual([...api.listCalls].sort(), [PROD, RG, STAGING].sort(), 'one listAlerts per scope, not per subscription');
      const allScopes = rec.sent.find((s) => s.conversationId === GONE)!;
      assert.match(allScopes.text, /3 scopes/);
    });

    it('disables the subscriptions of a conversation the bot was removed from (403/404) and still delivers the others', async () => {
      fakeTime('2026-03-02T08:00:00Z');
      const { deps, api, store } = makeDeps();
      stores.push(store);
      api.set(PROD, [makeAlert(PROD, 'DuplicateRoleCreated')]);
      await subscribeIn(store, makeSub({ conversationId: GONE, mode: 'always' }));
      await subscribeIn(store, makeSub({ conversationId: GONE, mode: 'always', cron: '0 9 * * 1', label: 'weekly on Monday at 09:00' }));
      await subscribeIn(store, makeSub({ conversationId: OPS, mode: 'always' }));
      const rec = recordingDeliver();
      rec.gone.set(GONE, 403);
      await scheduler({ deps, deliver: rec.deliver }).start();
      await clock!.tickAsync(HOUR + 1);
      assert.deepEqual(rec.sent.map((s) => s.conversationId), [OPS]);
      const gone = await store.listSubscriptions({ conversationId: GONE });
      assert.equal(gone.length, 2);
      for (const s of gone) {
        assert.equal(s.enabled, false);
        assert.match(s.disabledReason ?? '', /no longer in this conversation/);
      }
      const triedBefore = rec.attempts.filter((c) => c === GONE).length;
      await clock!.tickAsync(7 * DAY);
      assert.equal(rec.attempts.filter((c) => c === GONE).length, triedBefore, 'nothing more is sent to it');
      assert.equal(rec.sent.length, 8, 'the other conversation keeps getting its digest');
    });
  });

  describe('tenants', () => {
    const ALLOWED_ELSEWHERE = '0b8a2c35-60f4-4b07-a3f4-6ad1f1f1c0de';

    function recordingLogger(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
      const lines: Array<Record<string, unknown>> = [];
      const destination = new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const line of chunk.toString().split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
          done();
        },
      });
      return { logger: createLogger({ level: 'info', destination }), lines };
    }

    it("a conversation whose tenant is no longer allowed gets no digest: paused, logged, and resumed at a tick once it is allowed again", async () => {
      fakeTime('2026-03-02T10:00:00Z');
      const { deps, api, store } = makeDeps();
      stores.push(store);
      api.set(PROD, [makeAlert(PROD, 'DuplicateRoleCreated')]);
      const sub = await subscribeIn(store, makeSub({ conversationId: OPS, mode: 'always', scopes: [PROD] }));
      // The conversation's tenant (TENANT in its stored reference) was taken off PIM_ALLOWED_TENANTS.
      deps.config.authz.allowedTenants = [ALLOWED_ELSEWHERE];
      const { logger, lines } = recordingLogger();
      const rec = recordingDeliver();
      const s = scheduler({ deps, deliver: rec.deliver, logger });
      await s.start();
      await s.idle();

      const [paused] = await store.listSubscriptions();
      assert.deepEqual([paused!.id, paused!.enabled, paused!.pausedFor], [sub.id, false, 'tenantNotAllowed']);
      assert.match(paused!.disabledReason!, new RegExp(`tenant ${TENANT} is not in PIM_ALLOWED_TENANTS; the digest resumes by itself`));
      assert.ok(lines.some((l) => l.level === 'warn' && /paused a digest/.test(String(l.msg)) && l.subscription === sub.id && l.tenantId === TENANT), 'the pause is logged with the subscription and the tenant');

      await clock!.tickAsync(2 * DAY);
      assert.equal(rec.sent.length, 0, "nothing sent while paused");

      deps.config.authz.allowedTenants = [ALLOWED_ELSEWHERE, TENANT];
      await clock!.tickAsync(HOUR); // the scheduler looks again at least hourly while something is paused
      const [resumed] = await store.listSubscriptions();
      assert.deepEqual([resumed!.enabled, resumed!.pausedFor, resumed!.disabledReason], [true, undefined, undefined]);
      assert.ok(lines.some((l) => /resumed a digest/.test(String(l.msg)) && l.subscription === sub.id), 'the resumption is logged');
      assert.equal(rec.sent.length, 0, "no catch-up for what was not sent while paused");

      await clock!.tickAsync(DAY);
      assert.deepEqual(rec.sent.map((x) => [x.conversationId, x.at]), [[OPS, '2026-03-05T09:00:00.000Z']]);
    });

    it('a paused subscription resumes at start-up when its tenant is allowed again; another disabled one stays so', async () => {
      fakeTime('2026-03-02T10:00:00Z');
      const { deps, store } = makeDeps();
      stores.push(store);
      const paused = await subscribeIn(store, makeSub({ conversationId: OPS }));
      const gone = await subscribeIn(store, makeSub({ conversationId: GONE }));
      await store.pauseSubscription(paused.id, 'tenantNotAllowed', 'Paused: not allowed.');
      await store.disableSubscriptionsOf(GONE, 'The bot is no longer in this conversation.');
      const s = scheduler({ deps, deliver: recordingDeliver().deliver });
      await s.start();
      await s.idle();
      const byId = new Map((await store.listSubscriptions()).map((x) => [x.id, x]));
      assert.equal(byId.get(paused.id)!.enabled, true);
      assert.equal(byId.get(gone.id)!.enabled, false);
      assert.ok(s.nextRunOf(paused.id), 'the resumed subscription is scheduled');
    });

    it('a run due before the next tick checks the tenant too: nothing is sent and the subscription is paused', async () => {
      fakeTime('2026-03-02T08:00:00Z');
      const { deps, api, store } = makeDeps();
      stores.push(store);
      api.set(PROD, [makeAlert(PROD, 'DuplicateRoleCreated')]);
      const sub = await subscribeIn(store, makeSub({ conversationId: OPS, mode: 'always', scopes: [PROD] }));
      const rec = recordingDeliver();
      const s = scheduler({ deps, deliver: rec.deliver });
      await s.start();
      await s.idle();
      deps.config.authz.allowedTenants = [ALLOWED_ELSEWHERE];
      const report = await s.runDue(Date.parse('2026-03-02T09:00:00Z'));
      assert.deepEqual(report.runs.map((r) => [r.subscriptionId, r.outcome]), [[sub.id, 'skipped']]);
      assert.match(report.runs[0]!.reason!, /not in PIM_ALLOWED_TENANTS/);
      assert.deepEqual(rec.sent, []);
      assert.equal((await store.listSubscriptions())[0]!.pausedFor, 'tenantNotAllowed');
    });
  });

  describe('through the real delivery stack', () => {
    let fake: FakeConnector | undefined;
    let delivery: Delivery | undefined;
    afterEach(async () => {
      await delivery?.stop();
      await fake?.close();
      fake = undefined;
      delivery = undefined;
    });

    it('posts the digest as a new message through CloudAdapter to the fake Bot Connector, and disables a conversation answered 404', async () => {
      fake = await startFakeConnector();
      fake.markGone(GONE, 404);
      const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
      adapter.onTurnError = async () => undefined;
      delivery = createDelivery({ send: createBotFrameworkSender(adapter, ''), retry: { baseMs: 5, maxMs: 20 } });
      const { deps, api, store } = makeDeps();
      stores.push(store);
      api.set(PROD, [makeAlert(PROD, 'TooManyOwnersAssignedToResource', { incidents: 2 })]);
      const created = '2026-01-01T00:00:00.000Z';
      const ok = await subscribeIn(store, makeSub({ conversationId: OPS, createdAt: created }), channelRef(OPS, fake.url));
      const gone = await subscribeIn(store, makeSub({ conversationId: GONE, createdAt: created }), channelRef(GONE, fake.url));
      const d = delivery;
      const s = scheduler({ deps, deliver: (ref, activity) => d.deliver(ref, activity) });
      s.schedule(ok);
      s.schedule(gone);
      const report = await s.runDue(Date.parse('2026-01-01T09:00:02Z'));

      assert.deepEqual(report.runs.map((r) => [r.conversationId, r.outcome]).sort(), [
        [OPS, 'sent'],
        [GONE, 'failed'],
      ]);
      const [posted] = fake.delivered(OPS);
      assert.ok(posted, 'the digest reached the channel');
      assert.equal(posted.conversationId, OPS, 'a new top-level message in the channel, not a thread reply');
      const attachment = (posted.activity.attachments as Array<{ contentType: string; content: Record<string, unknown> }>)[0]!;
      assert.equal(attachment.contentType, 'application/vnd.microsoft.card.adaptive');
      assertValidCard(attachment.content, 'delivered digest');
      assert.match(cardText(attachment.content), /Too many owners assigned to a resource/);
      assert.equal((await store.listSubscriptions({ conversationId: GONE }))[0]!.enabled, false);
      assert.equal((await store.listSubscriptions({ conversationId: OPS }))[0]!.enabled, true);
    });
  });
});
