// The BotStore contract: what every backend must do, run against each of them (contract.test.ts).
// Several instances of a backend on one shared location stand in for several bot processes: two
// SQLite stores on one file, two Table Storage clients on one Azurite. Times that decide expiry
// are passed in (claims, leases) or come from a clock the test moves (nonces), so expiry and
// takeover are tested without waiting.
//
// The races run the two instances' calls together, many times over: a backend that decides a
// claim, a lease or a "mark once" from what it read a moment earlier, instead of from a
// conditional write, lets both win at least once in those rounds.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { OperationHandle, OperationResult } from '../../bot/azure/api';
import { parseStatusDetail } from '../../bot/azure/client';
import type { Clock } from '../../bot/security/clock';
import { STORE_LIMITS } from '../../bot/store/limits';
import type { BotStore, NewPendingOperation, PendingOperation, StoredConversationReference, Subscription } from '../../bot/store/types';

/** The contract's tests are dated early March 2025; a store's own clock stands there too unless a test moves it. */
export const CONTRACT_NOW = '2025-03-05T12:00:00.000Z';

export interface StoreBackend {
  readonly name: string;
  /** Once before the backend's tests (start a server). */
  setUp?(): Promise<void>;
  tearDown?(): Promise<void>;
  /** A new, empty shared location for the next test. */
  fresh(): Promise<void>;
  /** One more instance on the current shared location, on the given clock. */
  open(opts: { clock: Clock }): Promise<BotStore>;
  /** Rounds per race: more where a round is cheap. */
  readonly raceRounds: number;
}

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const readJson = <T>(...p: string[]): T => JSON.parse(fs.readFileSync(path.join(FIXTURES, ...p), 'utf8')) as T;

/** The conversation reference the bot keeps when it is added to a team (from the real activity). */
export function teamConversation(): StoredConversationReference {
  const a = readJson<Record<string, any>>('teams', 'conversationUpdate-bot-added-to-team.docs.json'); // eslint-disable-line @typescript-eslint/no-explicit-any
  return { activityId: a.id, user: a.from, bot: a.recipient, conversation: a.conversation, channelId: a.channelId, serviceUrl: a.serviceUrl };
}

/** A refresh in flight, as the ARM client hands it back for the official RefreshAlert example. */
export function refreshHandle(): OperationHandle {
  const ex = readJson<any>('arm', 'examples', 'RefreshAlert.json'); // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = ex.responses['202'];
  return {
    location: r.headers.Location.replace('{operationId}', 'op-1'),
    scope: ex.parameters.scope,
    alertId: ex.parameters.alertId,
    operationId: 'op-1',
    startedAt: '2025-03-01T12:00:00.000Z',
    initial: r.body,
  };
}

export function pendingOp(id: string, ref = teamConversation()): NewPendingOperation {
  return { id, handle: refreshHandle(), requester: { objectId: 'eddfa9d4-346e-4cce-a18f-fa6261ad776b', name: 'Megan Bowen' }, conversation: ref, cardActivityId: '1:1abc', replyToId: '1669827773000', createdAt: '2025-03-01T12:00:01.000Z' };
}

/** The example operation of GetAlertOperationById, finished: the outcome a refresh stores. */
export function succeededOutcome(polls = 3): OperationResult {
  const last = { ...readJson<any>('arm', 'examples', 'GetAlertOperationById.json').responses['200'].body, id: 'op-1', status: 'Succeeded' }; // eslint-disable-line @typescript-eslint/no-explicit-any
  return { outcome: 'succeeded', status: 'Succeeded', details: parseStatusDetail(last.statusDetail), last, durationMs: 42_000, polls };
}

/** A pending operation as it is stored when added: step started, nothing done. */
export function asAdded(op: NewPendingOperation): PendingOperation {
  return { ...op, step: 'started', tasksDone: {} };
}

/** Seconds after 2025-03-01T12:00:00Z, as an ISO time. */
const T = (seconds: number) => new Date(Date.parse('2025-03-01T12:00:00.000Z') + seconds * 1000).toISOString();

export function subscription(id: string, conversationId: string, extra: Partial<Subscription> = {}): Subscription {
  return {
    id,
    conversationId,
    cron: '0 9 * * 1-5',
    label: 'weekdays at 09:00',
    timeZone: 'Europe/Amsterdam',
    scopes: ['subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f'],
    severity: 'High',
    mode: 'changes',
    createdBy: { objectId: 'eddfa9d4-346e-4cce-a18f-fa6261ad776b', name: 'Megan Bowen' },
    createdAt: '2025-03-01T12:00:00.000Z',
    enabled: true,
    ...extra,
  };
}

/** A clock the test moves by hand. */
export function manualClock(start: string): Clock & { set(iso: string): void; advance(ms: number): void } {
  let now = Date.parse(start);
  return {
    now: () => now,
    set: (iso) => {
      now = Date.parse(iso);
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

const DISMISS_KEY = 'dismiss:subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f:toomanyownersassignedtoresource';

export function botStoreContract(backend: StoreBackend): void {
  describe(`BotStore contract: ${backend.name}`, function () {
    this.timeout(30_000);
    const opened: BotStore[] = [];
    const open = async (opts?: { clock?: Clock }) => {
      const s = await backend.open({ clock: opts?.clock ?? manualClock(CONTRACT_NOW) });
      opened.push(s);
      return s;
    };
    /** Two instances on one location, as two bot processes. */
    const two = async (opts?: { clock?: Clock }) => [await open(opts), await open(opts)] as const;

    before(async () => backend.setUp?.());
    after(async () => backend.tearDown?.());
    beforeEach(async () => backend.fresh());
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    describe('secrets', () => {
      it('ensureSecret keeps the first value, across instances and reopening', async () => {
        const [a, b] = await two();
        assert.equal(await a.getSecret('actionSigningKey'), undefined);
        assert.equal(await a.ensureSecret('actionSigningKey', () => 'first-value'), 'first-value');
        let called = 0;
        assert.equal(await b.ensureSecret('actionSigningKey', () => (called++, 'second-value')), 'first-value');
        assert.equal(called, 0);
        await a.close();
        assert.equal(await (await open()).getSecret('actionSigningKey'), 'first-value');
      });

      it('race: instances starting together agree on one generated value', async () => {
        const [a, b] = await two();
        for (let i = 0; i < backend.raceRounds; i++) {
          const [va, vb] = await Promise.all([a.ensureSecret(`key-${i}`, () => `from-a-${i}`), b.ensureSecret(`key-${i}`, () => `from-b-${i}`)]);
          assert.equal(va, vb, `round ${i}`);
          assert.equal(await b.getSecret(`key-${i}`), va);
        }
      });

      it('refuses an empty generated value', async () => {
        await assert.rejects((await open()).ensureSecret('k', () => ''), /must return a non-empty string/);
      });
    });

    describe('audit', () => {
      it('appends entries with ids and returns the latest first, without empty fields', async () => {
        const s = await open();
        const id1 = await s.appendAudit({ at: '2025-03-01T12:00:00.000Z', action: 'dismiss', result: 'refused', actorName: 'Megan Bowen', detail: 'You need Owner or User Access Administrator on subscriptions/x; you have Reader there.' });
        const id2 = await s.appendAudit({
          at: '2025-03-01T12:01:00.000Z',
          actorObjectId: 'eddfa9d4-346e-4cce-a18f-fa6261ad776b',
          actorName: 'Megan Bowen',
          tenantId: 'b28fdbfd-2b78-4f93-b0f8-8881793f0f8f',
          action: 'remediate',
          scope: 'subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f',
          alertId: 'TooManyOwnersAssignedToResource',
          incidentId: '0e4bbd9d-e6d4-4b96-b7d3-2e2b1d8a1b5f',
          result: 'succeeded',
          armRequestId: 'c6a5a6a0-0000-4000-8000-000000000000',
          conversationId: '19:0b7f32667e064dd9b25d7969801541f4@thread.tacv2',
        });
        assert.equal(typeof id1, 'string');
        assert.notEqual(id1, id2);
        const latest = await s.latestAudit(10);
        assert.deepEqual(latest.map((e) => e.id), [id2, id1]);
        assert.equal(latest[0]!.incidentId, '0e4bbd9d-e6d4-4b96-b7d3-2e2b1d8a1b5f');
        assert.equal(latest[0]!.conversationId, '19:0b7f32667e064dd9b25d7969801541f4@thread.tacv2');
        assert.ok(!('scope' in latest[1]!), 'absent fields stay absent');
        assert.equal((await s.latestAudit(1)).length, 1);
        assert.deepEqual(await s.latestAudit(0), []);
      });

      it('an attempt is completed in place with its outcome, from any instance; an unknown id completes nothing', async () => {
        const [s, other] = await two();
        const base = { actorName: 'Megan Bowen', action: 'dismiss', scope: 'subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f', alertId: 'TooManyOwnersAssignedToResource' };
        const done = await s.appendAudit({ ...base, at: '2025-03-01T12:00:00.000Z', result: 'attempted', detail: 'Dismissing the alert (isActive: false).' });
        const open_ = await s.appendAudit({ ...base, at: '2025-03-01T12:00:01.000Z', result: 'attempted', detail: 'Dismissing the alert (isActive: false).' });
        const started = await s.appendAudit({ ...base, at: '2025-03-01T12:00:02.000Z', result: 'attempted', detail: 'Starting a rescan.' });
        assert.equal(await other.completeAudit(done, { result: 'succeeded', at: '2025-03-01T12:00:00.400Z', detail: 'Alert dismissed (isActive: false).', armRequestId: 'c6a5a6a0-0000-4000-8000-000000000000' }), true);
        assert.equal(await other.completeAudit(started, { result: 'started', at: '2025-03-01T12:00:02.300Z' }), true);
        for (const unknown of ['999', 'not-an-id', '', '1 OR 1=1', `${done}x`]) {
          assert.equal(await s.completeAudit(unknown, { result: 'failed', at: '2025-03-01T12:00:02.000Z' }), false, unknown);
        }
        const [rescan, stillOpen, completed] = await s.latestAudit(10);
        assert.deepEqual([rescan!.result, rescan!.detail, rescan!.completedAt], ['started', 'Starting a rescan.', '2025-03-01T12:00:02.300Z'], 'no detail given keeps the one written');
        assert.equal(stillOpen!.id, open_);
        assert.equal(stillOpen!.result, 'attempted', 'an attempt nobody completed stays attempted: its outcome is unknown');
        assert.ok(!('completedAt' in stillOpen!), 'no completion time');
        assert.deepEqual(completed, {
          ...base,
          id: done,
          at: '2025-03-01T12:00:00.000Z',
          result: 'succeeded',
          detail: 'Alert dismissed (isActive: false).',
          armRequestId: 'c6a5a6a0-0000-4000-8000-000000000000',
          completedAt: '2025-03-01T12:00:00.400Z',
        });
        assert.equal(await s.appendAudit({ ...base, at: '2025-03-01T12:00:03.000Z', result: 'attempted', completedAt: '2025-03-01T12:00:04.000Z' }).then(async (id) => (await s.latestAudit(1))[0]!.id === id && !('completedAt' in (await s.latestAudit(1))[0]!)), true, 'a new entry is never born completed');
      });

      it('keeps the refusal reason in its own field', async () => {
        const s = await open();
        await s.appendAudit({ at: '2025-03-01T12:00:00.000Z', action: 'dismiss', result: 'refused', reason: 'replay', detail: 'Replayed a card action that had already completed.' });
        const [e] = await s.latestAudit(1);
        assert.equal(e!.reason, 'replay');
      });

      it('caps every untrusted string before it is stored', async () => {
        const s = await open();
        const huge = (c: string) => c.repeat(480 * 1024);
        const id = await s.appendAudit({
          at: '2025-03-01T12:00:00.000Z',
          actorObjectId: huge('a'),
          actorName: huge('n'),
          tenantId: huge('t'),
          action: huge('v'),
          scope: huge('s'),
          alertId: huge('x'),
          incidentId: huge('i'),
          result: 'refused',
          reason: 'verbMismatch',
          detail: huge('d'),
          armRequestId: huge('r'),
          conversationId: huge('c'),
        });
        const [e] = await s.latestAudit(1);
        assert.equal(e!.id, id);
        const lengths = Object.fromEntries(Object.entries(e!).map(([k, v]) => [k, String(v).length]));
        assert.deepEqual(lengths, {
          id: id.length,
          at: 24,
          actorObjectId: STORE_LIMITS.id,
          actorName: STORE_LIMITS.name,
          tenantId: STORE_LIMITS.id,
          action: STORE_LIMITS.action,
          scope: STORE_LIMITS.resource,
          alertId: STORE_LIMITS.resource,
          incidentId: STORE_LIMITS.resource,
          result: 'refused'.length,
          reason: 'verbMismatch'.length,
          detail: STORE_LIMITS.detail,
          armRequestId: STORE_LIMITS.id,
          conversationId: STORE_LIMITS.conversation,
        });
        assert.ok(e!.action.endsWith('…'), 'a cut value says so');

        // The same cut on the other things people name: who claimed, who subscribed, the conversation.
        await s.claimAction(DISMISS_KEY, { objectId: huge('o'), name: huge('n') }, '2025-03-01T12:00:00.000Z', 60_000);
        const lost = await s.claimAction(DISMISS_KEY, { name: 'Alex Wilber' }, '2025-03-01T12:00:01.000Z', 60_000);
        assert.ok(!lost.claimed && lost.by.name!.length === STORE_LIMITS.name && lost.by.objectId!.length === STORE_LIMITS.id, 'the claimant is stored capped');
        const longConversation = `19:${huge('c')}@thread.tacv2`;
        const ref = { ...teamConversation(), user: { id: '29:x', name: huge('u') } };
        ref.conversation = { ...ref.conversation, id: longConversation };
        await s.upsertConversation(ref, '2025-03-01T12:00:00.000Z');
        const stored = await s.getConversation(longConversation);
        assert.equal((stored!.user as { name: string }).name.length, STORE_LIMITS.jsonString);
        assert.equal(stored!.conversation.id.length, STORE_LIMITS.conversation);
        await s.addSubscription(subscription('sub-long', longConversation, { createdBy: { name: huge('n') } }));
        const [sub] = await s.listSubscriptions({ conversationId: longConversation });
        assert.equal(sub!.createdBy.name!.length, STORE_LIMITS.name);
        assert.equal(await s.removeConversation(longConversation), 1, 'a capped id still finds its conversation and subscriptions');

        // A refresh's requester and ARM's words about its outcome too.
        await s.addPendingOperation({ ...pendingOp('op-long'), requester: { objectId: huge('o'), name: huge('n') } });
        assert.equal(await s.leasePendingOperation('op-long', 'proc-a', '2025-03-01T12:10:00.000Z', '2025-03-01T12:00:00.000Z'), true);
        const failed: OperationResult = { outcome: 'failed', status: 'Failed', details: [{ statusDetail: huge('e') }], durationMs: 1000, polls: 1 };
        const kept = await s.recordOperationOutcome('op-long', 'proc-a', failed, '2025-03-01T12:00:01.000Z');
        assert.equal(kept!.details[0]!.statusDetail!.length, STORE_LIMITS.jsonString);
        const op = await s.getPendingOperation('op-long');
        assert.equal(op!.requester.name!.length, STORE_LIMITS.name);
        assert.equal(op!.outcome!.details[0]!.statusDetail!.length, STORE_LIMITS.jsonString);
      });

      it('the latest n across days and instances, newest first', async () => {
        const [a, b] = await two();
        const days = ['2025-02-27', '2025-02-28', '2025-03-01', '2025-03-02'];
        for (const [i, day] of days.entries()) {
          await (i % 2 ? b : a).appendAudit({ at: `${day}T00:00:00.000Z`, action: 'dismiss', result: 'succeeded', detail: `${day} early` });
          await (i % 2 ? a : b).appendAudit({ at: `${day}T23:59:59.000Z`, action: 'dismiss', result: 'succeeded', detail: `${day} late` });
        }
        assert.deepEqual(
          (await a.latestAudit(5)).map((e) => e.detail),
          ['2025-03-02 late', '2025-03-02 early', '2025-03-01 late', '2025-03-01 early', '2025-02-28 late'],
        );
        assert.equal((await b.latestAudit(100)).length, 8);
      });
    });

    describe('action claims', () => {
      it('the first click wins; the second sees who and when, then the result once completed', async () => {
        const s = await open();
        assert.deepEqual(await s.claimAction(DISMISS_KEY, { objectId: 'a', name: 'Megan Bowen' }, '2025-03-01T12:00:00.000Z', 60_000), { claimed: true });
        assert.deepEqual(await s.claimAction(DISMISS_KEY, { objectId: 'b', name: 'Alex Wilber' }, '2025-03-01T12:00:01.000Z', 60_000), {
          claimed: false,
          by: { objectId: 'a', name: 'Megan Bowen' },
          at: '2025-03-01T12:00:00.000Z',
        });
        await s.completeAction(DISMISS_KEY, 'dismissed');
        const again = await s.claimAction(DISMISS_KEY, { name: 'Alex Wilber' }, '2025-03-01T12:00:02.000Z', 60_000);
        assert.equal(!again.claimed && again.result, 'dismissed');
        await s.completeAction('never-claimed', 'dismissed'); // harmless
        assert.equal((await s.claimAction('never-claimed', { name: 'x' }, '2025-03-01T12:00:02.000Z', 60_000)).claimed, true);
      });

      it('race: of two instances claiming one key at once, exactly one wins and the loser names the winner', async () => {
        const [a, b] = await two();
        for (let i = 0; i < backend.raceRounds; i++) {
          const k = `${DISMISS_KEY}#${i}`;
          const [ra, rb] = await Promise.all([
            a.claimAction(k, { objectId: 'a', name: 'Megan Bowen' }, '2025-03-01T12:00:00.000Z', 60_000),
            b.claimAction(k, { objectId: 'b', name: 'Alex Wilber' }, '2025-03-01T12:00:00.000Z', 60_000),
          ]);
          assert.equal([ra, rb].filter((r) => r.claimed).length, 1, `round ${i}: exactly one winner`);
          const loser = ra.claimed ? rb : ra;
          assert.equal(!loser.claimed && loser.by.name, ra.claimed ? 'Megan Bowen' : 'Alex Wilber');
        }
      });

      it('a released claim can be taken again; an expired one is taken over', async () => {
        const s = await open();
        await s.claimAction(DISMISS_KEY, { name: 'Megan Bowen' }, '2025-03-01T12:00:00.000Z', 60_000);
        await s.releaseAction(DISMISS_KEY);
        await s.releaseAction(DISMISS_KEY); // releasing twice is harmless
        assert.equal((await s.claimAction(DISMISS_KEY, { name: 'Alex Wilber' }, '2025-03-01T12:00:01.000Z', 60_000)).claimed, true);
        // Alex's process dies mid-action: after the claim's lifetime someone else may try.
        assert.equal((await s.claimAction(DISMISS_KEY, { name: 'Megan Bowen' }, '2025-03-01T12:01:00.999Z', 60_000)).claimed, false);
        assert.equal((await s.claimAction(DISMISS_KEY, { name: 'Megan Bowen' }, '2025-03-01T12:01:01.000Z', 60_000)).claimed, true);
        const after = await s.claimAction(DISMISS_KEY, { name: 'Alex Wilber' }, '2025-03-01T12:01:02.000Z', 60_000);
        assert.equal(!after.claimed && after.by.name, 'Megan Bowen');
      });

      it('race: of two instances taking over one expired claim at once, exactly one gets it', async () => {
        const [a, b] = await two();
        for (let i = 0; i < backend.raceRounds; i++) {
          const k = `${DISMISS_KEY}#expired-${i}`;
          assert.equal((await a.claimAction(k, { name: 'dead process' }, '2025-03-01T12:00:00.000Z', 1000)).claimed, true);
          const [ra, rb] = await Promise.all([
            a.claimAction(k, { name: 'Megan Bowen' }, '2025-03-01T12:05:00.000Z', 60_000),
            b.claimAction(k, { name: 'Alex Wilber' }, '2025-03-01T12:05:00.000Z', 60_000),
          ]);
          assert.equal([ra, rb].filter((r) => r.claimed).length, 1, `round ${i}: exactly one takes the expired claim over`);
          const loser = ra.claimed ? rb : ra;
          assert.equal(!loser.claimed && loser.by.name, ra.claimed ? 'Megan Bowen' : 'Alex Wilber');
        }
      });

      it('refuses a claim time that is not an ISO date-time, and a lifetime that is not positive', async () => {
        const s = await open();
        await assert.rejects(s.claimAction(DISMISS_KEY, {}, 'yesterday', 1000), /not an ISO date-time/);
        await assert.rejects(s.claimAction(DISMISS_KEY, {}, '2025-03-01T12:00:00.000Z', 0), /positive number/);
      });

      it('keys with characters a key store may not like stay distinct', async () => {
        const s = await open();
        const keys = ['a/b', 'a%2Fb', 'a#b', 'a?b', 'a\\b', 'a\u0001b', `long:${'x'.repeat(2000)}`, `long:${'x'.repeat(1999)}y`];
        for (const k of keys) assert.equal((await s.claimAction(k, { name: k.slice(0, 10) }, '2025-03-01T12:00:00.000Z', 60_000)).claimed, true, k.slice(0, 20));
        for (const k of keys) {
          const again = await s.claimAction(k, { name: 'other' }, '2025-03-01T12:00:01.000Z', 60_000);
          assert.equal(!again.claimed && again.by.name, k.slice(0, 10));
        }
      });
    });

    describe('nonces', () => {
      it('used once marked, shared across instances, and no longer after expiry', async () => {
        const clock = manualClock('2025-03-01T12:00:00Z');
        const [a, b] = await two({ clock });
        assert.equal(await a.isNonceUsed('n1'), false);
        await a.markNonceUsed('n1', '2025-03-01T13:00:00.000Z');
        await a.markNonceUsed('n1', '2025-03-01T13:00:00.000Z');
        assert.equal(await b.isNonceUsed('n1'), true);
        clock.advance(60 * 60 * 1000);
        await b.markNonceUsed('n2', '2025-03-08T12:00:00.000Z');
        assert.equal(await a.isNonceUsed('n1'), false, 'expired');
        assert.equal(await a.isNonceUsed('n2'), true);
      });
    });

    describe('pending operations', () => {
      it('stores the handle and conversation and lists unended ones, oldest first', async () => {
        const [s, other] = await two();
        const op = { ...pendingOp('7d0c0a2e-0001-4000-8000-000000000001'), claimKey: 'refresh:subscriptions/x:alert', activeBefore: [{ alertId: 'AzureRolesAssignedOutsidePimAlert', incidentCount: 2 }] };
        const older = { ...pendingOp('7d0c0a2e-0002-4000-8000-000000000002'), createdAt: '2025-03-01T11:00:00.000Z' };
        await s.addPendingOperation(op);
        await other.addPendingOperation(op); // a retried add is harmless
        await s.addPendingOperation(older);
        assert.deepEqual(await other.listUnreportedOperations(), [asAdded(older), asAdded(op)]);
        assert.deepEqual(await other.getPendingOperation(op.id), asAdded(op));
        assert.equal(await s.getPendingOperation('no-such-op'), undefined);
      });

      it('lease: free → taken; held by another → refused; ours → extended; expired → taken over; handed over at once', async () => {
        const s = await open();
        const id = 'op-lease';
        await s.addPendingOperation(pendingOp(id));
        assert.equal(await s.leasePendingOperation(id, 'proc-a', '2025-03-01T12:01:00.000Z', '2025-03-01T12:00:00.000Z'), true);
        assert.equal(await s.leasePendingOperation(id, 'proc-b', '2025-03-01T12:01:30.000Z', '2025-03-01T12:00:30.000Z'), false);
        assert.equal(await s.leasePendingOperation(id, 'proc-a', '2025-03-01T12:02:00.000Z', '2025-03-01T12:00:59.000Z'), true);
        assert.equal(await s.leasePendingOperation(id, 'proc-b', '2025-03-01T12:03:00.000Z', '2025-03-01T12:01:59.999Z'), false);
        // proc-a died; once its lease runs out the restarted process takes over.
        assert.equal(await s.leasePendingOperation(id, 'proc-b', '2025-03-01T12:03:00.000Z', '2025-03-01T12:02:00.000Z'), true);
        const [listed] = await s.listUnreportedOperations();
        assert.equal(listed!.leaseOwner, 'proc-b');
        assert.equal(listed!.leaseUntil, '2025-03-01T12:03:00.000Z');
        // A lease ended early (a planned stop hands it over) is free at once.
        assert.equal(await s.leasePendingOperation(id, 'proc-b', '2025-03-01T12:02:10.000Z', '2025-03-01T12:02:10.000Z'), true);
        assert.equal(await s.leasePendingOperation(id, 'proc-c', '2025-03-01T12:03:10.000Z', '2025-03-01T12:02:10.000Z'), true);
        assert.equal(await s.leasePendingOperation('no-such-op', 'proc-b', '2025-03-01T12:03:00.000Z', '2025-03-01T12:02:00.000Z'), false);
      });

      it('race: of two instances taking one free lease at once, exactly one gets it', async () => {
        const [a, b] = await two();
        for (let i = 0; i < backend.raceRounds; i++) {
          const id = `op-free-${i}`;
          await a.addPendingOperation(pendingOp(id));
          const got = await Promise.all([
            a.leasePendingOperation(id, 'proc-a', '2025-03-01T12:01:00.000Z', '2025-03-01T12:00:00.000Z'),
            b.leasePendingOperation(id, 'proc-b', '2025-03-01T12:01:00.000Z', '2025-03-01T12:00:00.000Z'),
          ]);
          assert.equal(got.filter(Boolean).length, 1, `round ${i}: exactly one lease holder`);
        }
      });

      it('race: of two instances taking over a lapsed lease at once, exactly one gets it', async () => {
        const [a, b] = await two();
        for (let i = 0; i < backend.raceRounds; i++) {
          const id = `op-lapsed-${i}`;
          await a.addPendingOperation(pendingOp(id));
          assert.equal(await a.leasePendingOperation(id, 'dead-process', '2025-03-01T12:01:00.000Z', '2025-03-01T12:00:00.000Z'), true);
          const got = await Promise.all([
            a.leasePendingOperation(id, 'proc-a', '2025-03-01T12:03:00.000Z', '2025-03-01T12:02:00.000Z'),
            b.leasePendingOperation(id, 'proc-b', '2025-03-01T12:03:00.000Z', '2025-03-01T12:02:00.000Z'),
          ]);
          assert.equal(got.filter(Boolean).length, 1, `round ${i}: exactly one takes the lapsed lease over`);
          assert.equal((await a.getPendingOperation(id))!.leaseOwner, got[0] ? 'proc-a' : 'proc-b', 'the store names the winner');
        }
      });

      it('markOperationStep: only the lease holder moves it, and only forward (polling after started, reporting after the outcome)', async () => {
        const s = await open();
        await s.addPendingOperation(pendingOp('op-s'));
        assert.equal(await s.markOperationStep('op-s', 'proc-a', 'polling', T(1)), false, 'no lease yet');
        assert.equal(await s.leasePendingOperation('op-s', 'proc-a', T(60), T(0)), true);
        assert.equal(await s.markOperationStep('op-s', 'proc-b', 'polling', T(1)), false, 'not the holder');
        assert.equal(await s.markOperationStep('op-s', 'proc-a', 'reporting', T(1)), false, 'no outcome to report yet');
        assert.equal(await s.markOperationStep('op-s', 'proc-a', 'polling', T(1)), true);
        assert.equal(await s.markOperationStep('op-s', 'proc-a', 'polling', T(2)), true, 'again: harmless');
        assert.equal((await s.getPendingOperation('op-s'))!.step, 'polling');
        await s.recordOperationOutcome('op-s', 'proc-a', succeededOutcome(), T(3));
        assert.equal(await s.markOperationStep('op-s', 'proc-a', 'polling', T(4)), false, 'never back to polling once the outcome is known');
        assert.equal(await s.markOperationStep('op-s', 'proc-a', 'reporting', T(4)), true);
        assert.equal((await s.getPendingOperation('op-s'))!.step, 'reporting');
        await assert.rejects(s.markOperationStep('op-s', 'proc-a', 'reported' as never, T(5)), /not a step an operation is moved to/);
        assert.equal(await s.markOperationStep('no-such-op', 'proc-a', 'polling', T(5)), false);
      });

      it('recordOperationOutcome stores the first outcome once, for the lease holder only; a later holder gets the stored one back', async () => {
        const s = await open();
        await s.addPendingOperation(pendingOp('op-o'));
        assert.equal(await s.recordOperationOutcome('op-o', 'proc-a', succeededOutcome(), T(1)), undefined, 'no lease: nothing stored');
        assert.equal((await s.getPendingOperation('op-o'))!.outcome, undefined);
        assert.equal(await s.leasePendingOperation('op-o', 'proc-a', T(60), T(0)), true);
        assert.equal(await s.recordOperationOutcome('op-o', 'proc-b', succeededOutcome(), T(1)), undefined, 'not the holder');
        assert.deepEqual(await s.recordOperationOutcome('op-o', 'proc-a', succeededOutcome(3), T(2)), succeededOutcome(3));
        const stored = (await s.getPendingOperation('op-o'))!;
        assert.equal(stored.step, 'outcomeKnown');
        assert.equal(stored.outcomeAt, T(2));
        assert.deepEqual(stored.outcome, succeededOutcome(3));
        // proc-a died; proc-b takes over after the lease and polls again: the stored outcome stands.
        assert.equal(await s.leasePendingOperation('op-o', 'proc-b', T(200), T(100)), true);
        const timedOut: OperationResult = { outcome: 'timedOut', status: 'NotStarted', details: [], durationMs: 1_800_000, polls: 0 };
        assert.deepEqual(await s.recordOperationOutcome('op-o', 'proc-b', timedOut, T(101)), succeededOutcome(3));
        assert.equal(await s.recordOperationOutcome('op-o', 'proc-a', timedOut, T(102)), undefined, 'the old holder changes nothing');
        assert.deepEqual((await s.getPendingOperation('op-o'))!.outcome, succeededOutcome(3));
        assert.equal((await s.getPendingOperation('op-o'))!.outcomeAt, T(2));
      });

      it('markOutcomeTaskDone records each task once (its first time), for the holder, after the outcome, before the end', async () => {
        const s = await open();
        await s.addPendingOperation(pendingOp('op-t'));
        await s.leasePendingOperation('op-t', 'proc-a', T(60), T(0));
        assert.equal(await s.markOutcomeTaskDone('op-t', 'proc-a', 'reply', T(1)), false, 'nothing is done before the outcome');
        await s.recordOperationOutcome('op-t', 'proc-a', succeededOutcome(), T(2));
        assert.equal(await s.markOutcomeTaskDone('op-t', 'proc-b', 'reply', T(3)), false, 'not the holder');
        assert.equal(await s.markOutcomeTaskDone('op-t', 'proc-a', 'audit', T(3)), true);
        assert.equal(await s.markOutcomeTaskDone('op-t', 'proc-a', 'releaseClaim', T(4)), true);
        assert.equal(await s.markOutcomeTaskDone('op-t', 'proc-a', 'reply', T(5)), true);
        assert.equal(await s.markOutcomeTaskDone('op-t', 'proc-a', 'reply', T(9)), true, 'again: harmless');
        assert.deepEqual((await s.getPendingOperation('op-t'))!.tasksDone, { audit: T(3), releaseClaim: T(4), reply: T(5) }, 'the first time is kept');
        await assert.rejects(s.markOutcomeTaskDone('op-t', 'proc-a', 'dance' as never, T(6)), /not a task done after a refresh outcome/);
        assert.equal(await s.finishOperation('op-t', 'proc-a', 'reported', T(7)), true);
        assert.equal(await s.markOutcomeTaskDone('op-t', 'proc-a', 'updateCard', T(8)), false, 'nothing changes after the end');
      });

      it('finishOperation ends it once (reported, gone or gaveUp), for the holder with an outcome; an ended operation is not listed, leased or changed', async () => {
        const s = await open();
        for (const id of ['op-f1', 'op-f2', 'op-f3']) {
          await s.addPendingOperation(pendingOp(id));
          await s.leasePendingOperation(id, 'proc-a', T(60), T(0));
        }
        assert.equal(await s.finishOperation('op-f1', 'proc-a', 'reported', T(1)), false, 'no outcome yet: nothing to have reported');
        for (const id of ['op-f1', 'op-f2', 'op-f3']) await s.recordOperationOutcome(id, 'proc-a', succeededOutcome(), T(2));
        assert.equal(await s.finishOperation('op-f1', 'proc-b', 'reported', T(3)), false, 'not the holder');
        assert.equal(await s.finishOperation('op-f1', 'proc-a', 'reported', T(3)), true);
        assert.equal(await s.finishOperation('op-f1', 'proc-a', 'gaveUp', T(4)), false, 'only once');
        assert.equal(await s.finishOperation('op-f2', 'proc-a', 'gone', T(5)), true);
        assert.equal(await s.finishOperation('op-f3', 'proc-a', 'gaveUp', T(6)), true);
        await assert.rejects(s.finishOperation('op-f3', 'proc-a', 'lost' as never, T(6)), /not an end of an operation/);
        const ended = await Promise.all(['op-f1', 'op-f2', 'op-f3'].map((id) => s.getPendingOperation(id)));
        assert.deepEqual(ended.map((o) => [o!.step, o!.finishedAt]), [['reported', T(3)], ['gone', T(5)], ['gaveUp', T(6)]]);
        assert.deepEqual(await s.listUnreportedOperations(), []);
        assert.equal(await s.leasePendingOperation('op-f1', 'proc-a', T(600), T(500)), false);
        assert.equal(await s.recordOperationOutcome('op-f1', 'proc-a', succeededOutcome(), T(7)), undefined);
        assert.equal(await s.markOperationStep('op-f1', 'proc-a', 'reporting', T(7)), false);
      });

      it('race: one process slot on two instances (a restart on the same host and port): one outcome, one task time, one finish', async () => {
        // The same owner on both: a process and its restart, both briefly alive.
        const [a, b] = await two();
        for (let i = 0; i < backend.raceRounds; i++) {
          const id = `op-race-${i}`;
          await a.addPendingOperation(pendingOp(id));
          assert.equal(await a.leasePendingOperation(id, 'host:3978', T(60), T(0)), true);
          assert.equal(await b.leasePendingOperation(id, 'host:3978', T(61), T(1)), true, 'the same slot takes its own lease back at once');
          const [ra, rb] = await Promise.all([a.recordOperationOutcome(id, 'host:3978', succeededOutcome(1), T(2)), b.recordOperationOutcome(id, 'host:3978', succeededOutcome(2), T(2))]);
          assert.deepEqual(ra, rb, `round ${i}: both see the one outcome stored`);
          assert.deepEqual((await a.getPendingOperation(id))!.outcome, ra);
          const [ta, tb] = await Promise.all([a.markOutcomeTaskDone(id, 'host:3978', 'reply', T(3)), b.markOutcomeTaskDone(id, 'host:3978', 'reply', T(4))]);
          assert.deepEqual([ta, tb], [true, true]);
          assert.ok([T(3), T(4)].includes((await a.getPendingOperation(id))!.tasksDone.reply!));
          const finished = await Promise.all([a.finishOperation(id, 'host:3978', 'reported', T(5)), b.finishOperation(id, 'host:3978', 'reported', T(5))]);
          assert.deepEqual([...finished].sort(), [false, true], `round ${i}: finished exactly once`);
        }
      });

      it('race: two process slots: only the lease holder records, marks or finishes', async () => {
        const [a, b] = await two();
        for (let i = 0; i < backend.raceRounds; i++) {
          const id = `op-two-${i}`;
          await a.addPendingOperation(pendingOp(id));
          const leased = await Promise.all([a.leasePendingOperation(id, 'host-a:3978', T(60), T(0)), b.leasePendingOperation(id, 'host-b:3978', T(60), T(0))]);
          assert.deepEqual([...leased].sort(), [false, true], `round ${i}`);
          const [holder, other] = leased[0] ? [a, b] : [b, a];
          const [h, o] = leased[0] ? ['host-a:3978', 'host-b:3978'] : ['host-b:3978', 'host-a:3978'];
          const outcomes = await Promise.all([holder.recordOperationOutcome(id, h, succeededOutcome(), T(1)), other.recordOperationOutcome(id, o, succeededOutcome(), T(1))]);
          assert.deepEqual(outcomes, [succeededOutcome(), undefined]);
          assert.deepEqual(await Promise.all([holder.markOutcomeTaskDone(id, h, 'reply', T(2)), other.markOutcomeTaskDone(id, o, 'reply', T(2))]), [true, false]);
          assert.deepEqual(await Promise.all([other.finishOperation(id, o, 'reported', T(3)), holder.finishOperation(id, h, 'reported', T(3))]), [false, true]);
        }
        assert.deepEqual(await a.listUnreportedOperations(), []);
      });
    });

    describe('conversations and subscriptions', () => {
      it('upserts and reads back a conversation reference', async () => {
        const [a, b] = await two();
        const ref = teamConversation();
        await a.upsertConversation(ref, '2025-03-01T12:00:00.000Z');
        await b.upsertConversation({ ...ref, serviceUrl: 'https://smba.trafficmanager.net/emea/' }, '2025-03-02T12:00:00.000Z');
        assert.deepEqual(await a.getConversation(ref.conversation.id), { ...ref, serviceUrl: 'https://smba.trafficmanager.net/emea/' });
        assert.equal(await a.getConversation('19:unknown@thread.tacv2'), undefined);
        await assert.rejects(a.upsertConversation({ ...ref, conversation: { id: '' } }, '2025-03-02T12:00:00.000Z'), /without conversation\.id/);
      });

      it('adds, filters, disables and deletes subscriptions, keeping scopes, createdBy and snapshot', async () => {
        const [s, other] = await two();
        const conv = teamConversation().conversation.id;
        const one = subscription('sub-1', conv, { lastSnapshot: { alerts: [{ id: 'TooManyOwnersAssignedToResource', incidents: 3 }] } });
        const two_ = subscription('sub-2', conv, { createdAt: '2025-03-01T12:00:01.000Z', scopes: [], severity: undefined, mode: 'always' });
        const three = subscription('sub-3', '29:personal-chat', { createdAt: '2025-03-01T12:00:02.000Z' });
        for (const sub of [three, one, two_]) await s.addSubscription(sub);
        const { severity: _drop, ...twoStored } = two_;
        assert.deepEqual(await other.listSubscriptions(), [one, twoStored, three], 'oldest first, on every instance');
        assert.deepEqual((await s.listSubscriptions({ conversationId: conv })).map((x) => x.id), ['sub-1', 'sub-2']);
        const { lastSnapshot: _snapshot, ...oneWithout } = one;
        assert.deepEqual(await other.listSubscriptions({ withoutSnapshots: true }), [oneWithout, twoStored, three], 'the same, without snapshots');
        assert.deepEqual(await other.listSubscriptions({ conversationId: conv, enabledOnly: true, withoutSnapshots: true }), [oneWithout, twoStored]);
        await assert.rejects(s.addSubscription(one));

        assert.equal(await other.disableSubscriptionsOf(conv, 'The bot was removed from this team.'), 2);
        assert.equal(await s.disableSubscriptionsOf(conv, 'again'), 0);
        assert.deepEqual((await s.listSubscriptions({ enabledOnly: true })).map((x) => x.id), ['sub-3']);
        const [disabled] = await s.listSubscriptions({ conversationId: conv });
        assert.equal(disabled!.enabled, false);
        assert.equal(disabled!.disabledReason, 'The bot was removed from this team.');
        assert.deepEqual(disabled!.lastSnapshot, one.lastSnapshot, 'pausing keeps the snapshot');

        assert.equal(await other.deleteSubscription('sub-3'), true);
        assert.equal(await s.deleteSubscription('sub-3'), false);
      });

      it('pauses a subscription for its tenant and resumes only what it paused so', async () => {
        const [s, other] = await two();
        const conv = teamConversation().conversation.id;
        await s.addSubscription(subscription('sub-1', conv, { lastSnapshot: { v: 1 } }));
        await s.addSubscription(subscription('sub-2', conv, { createdAt: '2025-03-01T12:00:01.000Z' }));
        const reason = "Paused: this conversation's tenant is not in PIM_ALLOWED_TENANTS.";
        await s.addSubscription(subscription('sub-3', '29:personal-chat', { createdAt: '2025-03-01T12:00:02.000Z' }));
        assert.equal(await s.pauseSubscription('sub-1', 'tenantNotAllowed', reason), true);
        assert.equal(await other.pauseSubscription('sub-1', 'tenantNotAllowed', reason), false, 'already paused');
        assert.equal(await other.pauseSubscription('sub-3', 'tenantNotAllowed', reason), true);
        assert.equal(await s.pauseSubscription('no-such-sub', 'tenantNotAllowed', reason), false);
        const [one] = await other.listSubscriptions({ conversationId: conv });
        assert.deepEqual([one!.enabled, one!.pausedFor, one!.disabledReason, one!.lastSnapshot], [false, 'tenantNotAllowed', reason, { v: 1 }]);

        // The bot removed from the team: both its subscriptions are disabled for good, the pause included.
        assert.equal(await other.disableSubscriptionsOf(conv, 'The bot was removed from this team.'), 2);
        for (const sub of await s.listSubscriptions({ conversationId: conv })) {
          assert.deepEqual([sub.enabled, sub.pausedFor, sub.disabledReason], [false, undefined, 'The bot was removed from this team.']);
          assert.equal(await s.resumeSubscription(sub.id, 'tenantNotAllowed'), false, 'disabled for another reason: stays so');
        }

        assert.equal(await s.resumeSubscription('sub-3', 'tenantNotAllowed'), true);
        assert.equal(await other.resumeSubscription('sub-3', 'tenantNotAllowed'), false);
        const [resumed] = await other.listSubscriptions({ conversationId: '29:personal-chat' });
        assert.deepEqual([resumed!.enabled, 'pausedFor' in resumed!, 'disabledReason' in resumed!], [true, false, false]);
      });

      it('race: two instances pausing one conversation count each subscription once', async () => {
        const [a, b] = await two();
        for (let i = 0; i < 6; i++) await a.addSubscription(subscription(`sub-${i}`, 'c1', { createdAt: `2025-03-01T12:00:0${i}.000Z` }));
        const counts = await Promise.all([a.disableSubscriptionsOf('c1', 'gone (a)'), b.disableSubscriptionsOf('c1', 'gone (b)')]);
        assert.equal(counts[0] + counts[1], 6);
        assert.deepEqual(await a.listSubscriptions({ enabledOnly: true }), []);
      });

      it('removeConversation removes the reference, its subscriptions and their runs, and nothing else', async () => {
        const s = await open();
        const ref = teamConversation();
        await s.upsertConversation(ref, '2025-03-01T12:00:00.000Z');
        await s.upsertConversation({ ...ref, conversation: { id: '29:personal-chat' } }, '2025-03-01T12:00:00.000Z');
        await s.addSubscription(subscription('sub-1', ref.conversation.id));
        await s.addSubscription(subscription('sub-2', ref.conversation.id));
        await s.addSubscription(subscription('sub-3', '29:personal-chat'));
        assert.equal(await s.claimDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'proc-a'), true);
        assert.equal(await s.claimDigestRun('sub-3', '2025-03-03T08:00:00.000Z', 'proc-a'), true);
        assert.equal(await s.removeConversation(ref.conversation.id), 2);
        assert.equal(await s.getConversation(ref.conversation.id), undefined);
        assert.ok(await s.getConversation('29:personal-chat'));
        assert.deepEqual((await s.listSubscriptions()).map((x) => x.id), ['sub-3']);
        assert.deepEqual(await s.listIncompleteDigestRuns(), [{ subscriptionId: 'sub-3', runAt: '2025-03-03T08:00:00.000Z', owner: 'proc-a' }]);
        assert.equal(await s.removeConversation(ref.conversation.id), 0);
      });
    });

    describe('digest runs', () => {
      it('claimDigestRun is true once per (subscription, instant), however the instant is spelled, across instances', async () => {
        const [a, b] = await two();
        await a.addSubscription(subscription('sub-1', 'c1'));
        assert.equal(await a.claimDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'proc-a'), true);
        assert.equal(await b.claimDigestRun('sub-1', '2025-03-03T08:00:00Z', 'proc-b'), false);
        assert.equal(await b.claimDigestRun('sub-1', '2025-03-03T09:00:00+01:00', 'proc-b'), false);
        assert.equal(await b.claimDigestRun('sub-1', '2025-03-04T08:00:00.000Z', 'proc-b'), true);
        assert.equal(await b.claimDigestRun('no-such-sub', '2025-03-04T08:00:00.000Z', 'proc-b'), false);
        const [sub] = await a.listSubscriptions();
        assert.equal(sub!.lastRunAt, '2025-03-04T08:00:00.000Z');
        // An earlier instant claimed late does not move lastRunAt back.
        assert.equal(await b.claimDigestRun('sub-1', '2025-03-02T08:00:00.000Z', 'proc-b'), true);
        assert.equal((await a.listSubscriptions())[0]!.lastRunAt, '2025-03-04T08:00:00.000Z');
      });

      it('a finished run cannot be claimed again, by any instance', async () => {
        const [a, b] = await two();
        await a.addSubscription(subscription('sub-1', 'c1'));
        assert.equal(await a.claimDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'proc-a'), true);
        await a.completeDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'sent', { v: 1 });
        assert.equal(await b.claimDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'proc-b'), false);
        assert.equal(await a.claimDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'proc-a'), false);
        assert.deepEqual(await b.listIncompleteDigestRuns(), []);
      });

      it('race: of two instances claiming one run at once, exactly one gets it', async () => {
        const [a, b] = await two();
        await a.addSubscription(subscription('sub-1', 'c1'));
        for (let i = 0; i < backend.raceRounds; i++) {
          const runAt = new Date(Date.parse('2025-03-03T08:00:00.000Z') + i * 3600_000).toISOString();
          const got = await Promise.all([a.claimDigestRun('sub-1', runAt, 'proc-a'), b.claimDigestRun('sub-1', runAt, 'proc-b')]);
          assert.equal(got.filter(Boolean).length, 1, `round ${i}: exactly one claims ${runAt}`);
        }
        assert.equal((await a.listIncompleteDigestRuns()).length, backend.raceRounds);
      });

      it('a run left incomplete is listed for recovery until completed, and completion stores the snapshot', async () => {
        const [s, other] = await two();
        await s.addSubscription(subscription('sub-1', 'c1'));
        await s.claimDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'proc-a');
        await s.claimDigestRun('sub-1', '2025-03-04T08:00:00.000Z', 'proc-a');
        await s.completeDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'sent', { alerts: ['TooManyOwnersAssignedToResource'] });
        assert.deepEqual(await other.listIncompleteDigestRuns(), [{ subscriptionId: 'sub-1', runAt: '2025-03-04T08:00:00.000Z', owner: 'proc-a' }]);
        await other.completeDigestRun('sub-1', '2025-03-04T08:00:00Z', 'skipped');
        assert.deepEqual(await s.listIncompleteDigestRuns(), []);
        const [sub] = await s.listSubscriptions();
        assert.deepEqual(sub!.lastSnapshot, { alerts: ['TooManyOwnersAssignedToResource'] }, 'no snapshot given keeps the last one');
        assert.equal(sub!.lastRunAt, '2025-03-04T08:00:00.000Z');
      });

      it('a snapshot written after a pause keeps the pause', async () => {
        const [a, b] = await two();
        await a.addSubscription(subscription('sub-1', 'c1'));
        await a.claimDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'proc-a');
        assert.equal(await b.disableSubscriptionsOf('c1', 'The bot was removed from this chat.'), 1);
        await a.completeDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'sent', { v: 2 });
        const [sub] = await b.listSubscriptions();
        assert.equal(sub!.enabled, false);
        assert.deepEqual(sub!.lastSnapshot, { v: 2 });
      });

      it('a snapshot of a few hundred kilobytes is kept whole', async () => {
        const s = await open();
        await s.addSubscription(subscription('sub-1', 'c1'));
        const big = { scopes: Array.from({ length: 400 }, (_, i) => ({ scope: `subscriptions/${i}`, alerts: Array.from({ length: 10 }, (_, j) => `alert-${j} Contoso Produktion München ${'x'.repeat(60)}`) })) };
        assert.ok(JSON.stringify(big).length > 200_000);
        await s.claimDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'proc-a');
        await s.completeDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'sent', big);
        assert.deepEqual((await s.listSubscriptions())[0]!.lastSnapshot, big);
        // A smaller one replaces it entirely.
        await s.claimDigestRun('sub-1', '2025-03-04T08:00:00.000Z', 'proc-a');
        await s.completeDigestRun('sub-1', '2025-03-04T08:00:00.000Z', 'sent', { small: true });
        assert.deepEqual((await s.listSubscriptions())[0]!.lastSnapshot, { small: true });
      });
    });

    describe('shared leases', () => {
      /** Seconds after the stores' clock (leases unrenewed for a day are pruned). */
      const L = (seconds: number) => new Date(Date.parse(CONTRACT_NOW) + seconds * 1000).toISOString();
      const lease = (name: string, owner: string, until: string, usableFrom = L(0)) => ({ name, owner, until, usableFrom });

      it('a new lease is written once; then only over the version that was listed', async () => {
        const [a, b] = await two();
        assert.deepEqual(await a.listLeases('budget:t1'), []);
        const v1 = await a.putLease('budget:t1', lease('slice-01', 'host-a:3978', L(5)));
        assert.equal(typeof v1, 'string');
        assert.equal(await b.putLease('budget:t1', lease('slice-01', 'host-b:3978', L(5))), undefined, 'it exists: insert-once');
        const [listed] = await b.listLeases('budget:t1');
        assert.deepEqual({ ...listed, version: undefined }, { ...lease('slice-01', 'host-a:3978', L(5)), version: undefined });
        assert.equal(listed!.version, v1, 'the version returned is the one listed');
        const v2 = await a.putLease('budget:t1', lease('slice-01', 'host-a:3978', L(10)), listed!.version);
        assert.ok(v2 !== undefined && v2 !== v1, 'renewed over what was listed, with a new version');
        assert.equal(await b.putLease('budget:t1', lease('slice-01', 'host-b:3978', L(10)), listed!.version), undefined, 'a stale version writes nothing');
        assert.equal(await b.putLease('budget:t1', lease('slice-01', 'host-b:3978', L(10)), 'not-a-version'), undefined);
        const [now] = await a.listLeases('budget:t1');
        assert.deepEqual([now!.owner, now!.until, now!.version], ['host-a:3978', L(10), v2]);
        // Groups are apart, and a group lists in name order.
        await b.putLease('budget:t2', lease('slice-02', '', L(0)));
        await b.putLease('budget:t2', lease('demand:host-b:3978', 'host-b:3978', L(3)));
        assert.deepEqual((await a.listLeases('budget:t2')).map((l) => l.name), ['demand:host-b:3978', 'slice-02']);
        assert.equal((await a.listLeases('budget:t1')).length, 1);
      });

      it('race: of two instances taking one lease over the same version at once, exactly one gets it', async () => {
        const [a, b] = await two();
        for (let i = 0; i < backend.raceRounds; i++) {
          const name = `slice-${i}`;
          const fresh = await Promise.all([a.putLease('budget:race', lease(name, 'host-a', L(5))), b.putLease('budget:race', lease(name, 'host-b', L(5)))]);
          assert.equal(fresh.filter((v) => v !== undefined).length, 1, `round ${i}: one creates it`);
          const listed = (await a.listLeases('budget:race')).find((l) => l.name === name)!;
          const taken = await Promise.all([
            a.putLease('budget:race', lease(name, 'host-a', L(10)), listed.version),
            b.putLease('budget:race', lease(name, 'host-b', L(10)), listed.version),
          ]);
          assert.equal(taken.filter((v) => v !== undefined).length, 1, `round ${i}: one takes it over`);
          assert.equal((await b.listLeases('budget:race')).find((l) => l.name === name)!.owner, taken[0] ? 'host-a' : 'host-b');
        }
      });
    });

    it('ping answers while the store does', async () => {
      await (await open()).ping();
    });

    it('everything survives close and reopen', async () => {
      const s = await open();
      const ref = teamConversation();
      await s.ensureSecret('actionSigningKey', () => 'k');
      await s.appendAudit({ at: '2025-03-01T12:00:00.000Z', action: 'dismiss', result: 'succeeded' });
      await s.claimAction('k1', { name: 'Megan Bowen' }, '2025-03-01T12:00:00.000Z', 24 * 3600 * 1000);
      await s.markNonceUsed('n1', '2099-01-01T00:00:00.000Z');
      await s.addPendingOperation(pendingOp('op-1'));
      await s.upsertConversation(ref, '2025-03-01T12:00:00.000Z');
      await s.addSubscription(subscription('sub-1', ref.conversation.id));
      await s.claimDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'proc-a');
      await s.close();
      await s.close(); // closing twice is harmless

      const r = await open();
      assert.equal(await r.getSecret('actionSigningKey'), 'k');
      assert.equal((await r.latestAudit(5)).length, 1);
      const claim = await r.claimAction('k1', { name: 'Alex Wilber' }, '2025-03-01T12:30:00.000Z', 1000);
      assert.equal(!claim.claimed && claim.by.name, 'Megan Bowen');
      assert.equal(await r.isNonceUsed('n1'), true);
      assert.deepEqual(await r.listUnreportedOperations(), [asAdded(pendingOp('op-1'))]);
      assert.deepEqual(await r.getConversation(ref.conversation.id), ref);
      assert.equal((await r.listSubscriptions()).length, 1);
      assert.equal((await r.listIncompleteDigestRuns()).length, 1);
    });
  });
}
