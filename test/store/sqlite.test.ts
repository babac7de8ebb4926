import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import sinon from 'sinon';
import type { OperationHandle, OperationResult } from '../../bot/azure/api';
import { parseStatusDetail } from '../../bot/azure/client';
import { MIGRATIONS, openSqliteStore, SCHEMA_VERSION, type SqliteBotStore } from '../../bot/store/sqlite';
import { STORE_LIMITS } from '../../bot/store/limits';
import type { NewPendingOperation, PendingOperation, StoredConversationReference, Subscription } from '../../bot/store/types';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const readJson = <T>(...p: string[]): T => JSON.parse(fs.readFileSync(path.join(FIXTURES, ...p), 'utf8')) as T;

/** The conversation reference the bot keeps when it is added to a team (from the real activity). */
function teamConversation(): StoredConversationReference {
  const a = readJson<Record<string, any>>('teams', 'conversationUpdate-bot-added-to-team.docs.json'); // eslint-disable-line @typescript-eslint/no-explicit-any
  return { activityId: a.id, user: a.from, bot: a.recipient, conversation: a.conversation, channelId: a.channelId, serviceUrl: a.serviceUrl };
}

/** A refresh in flight, as the ARM client hands it back for the official RefreshAlert example. */
function refreshHandle(): OperationHandle {
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

function pendingOp(id: string, ref = teamConversation()): NewPendingOperation {
  return { id, handle: refreshHandle(), requester: { objectId: 'eddfa9d4-346e-4cce-a18f-fa6261ad776b', name: 'Megan Bowen' }, conversation: ref, cardActivityId: '1:1abc', replyToId: '1669827773000', createdAt: '2025-03-01T12:00:01.000Z' };
}

/** The example operation of GetAlertOperationById, finished: the outcome a refresh stores. */
function succeededOutcome(polls = 3): OperationResult {
  const last = { ...readJson<any>('arm', 'examples', 'GetAlertOperationById.json').responses['200'].body, id: 'op-1', status: 'Succeeded' }; // eslint-disable-line @typescript-eslint/no-explicit-any
  return { outcome: 'succeeded', status: 'Succeeded', details: parseStatusDetail(last.statusDetail), last, durationMs: 42_000, polls };
}

/** A pending operation as it is stored when added: step started, nothing done. */
function asAdded(op: NewPendingOperation): PendingOperation {
  return { ...op, step: 'started', tasksDone: {} };
}

function subscription(id: string, conversationId: string, extra: Partial<Subscription> = {}): Subscription {
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

describe('SQLite store', () => {
  let dir: string;
  let file: string;
  const open: SqliteBotStore[] = [];
  const openStore = (opts: Parameters<typeof openSqliteStore>[0] = {}) => {
    const s = openSqliteStore({ file, ...opts });
    open.push(s);
    return s;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-store-'));
    file = path.join(dir, 'data', 'bot.sqlite');
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('opening', () => {
    it('creates the data folder (0700) and the file (0600) in WAL mode at the latest schema', () => {
      const s = openStore({ dataDir: path.join(dir, 'data'), file: 'bot.sqlite' });
      assert.equal(s.file, file);
      assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      const raw = new Database(file, { readonly: true });
      try {
        assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
        assert.deepEqual(raw.prepare('SELECT version FROM schema_version ORDER BY version').pluck().all(), MIGRATIONS.map((m) => m.version));
      } finally {
        raw.close();
      }
      assert.equal(s.schemaVersion, SCHEMA_VERSION);
    });

    it('tightens the mode of an existing database file that others could read', async () => {
      await openStore().close();
      fs.chmodSync(file, 0o644);
      openStore();
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    });

    it('reopening applies no migration twice', async () => {
      await openStore().close();
      await openStore().close();
      const raw = new Database(file, { readonly: true });
      try {
        assert.equal(raw.prepare('SELECT COUNT(*) FROM schema_version').pluck().get(), MIGRATIONS.length);
      } finally {
        raw.close();
      }
    });

    it('refuses a database written by a newer version of the bot', async () => {
      await openStore().close();
      const raw = new Database(file);
      raw.prepare("INSERT INTO schema_version (version, name, applied_at) VALUES (?, 'future', '2030-01-01')").run(SCHEMA_VERSION + 1);
      raw.close();
      assert.throws(() => openSqliteStore({ file }), /newer version of this bot/);
    });
  });

  describe('secrets', () => {
    it('ensureSecret keeps the first value, across instances and restarts', async () => {
      const a = openStore();
      const b = openStore();
      assert.equal(await a.getSecret('actionSigningKey'), undefined);
      assert.equal(await a.ensureSecret('actionSigningKey', () => 'first-value'), 'first-value');
      const create = sinon.spy(() => 'second-value');
      assert.equal(await b.ensureSecret('actionSigningKey', create), 'first-value');
      assert.equal(create.callCount, 0);
      await a.close();
      await b.close();
      assert.equal(await openStore().getSecret('actionSigningKey'), 'first-value');
    });
  });

  describe('audit', () => {
    it('appends entries with ids and returns the latest first, without empty fields', async () => {
      const s = openStore();
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
      assert.ok(!('scope' in latest[1]!), 'absent fields stay absent');
      assert.equal((await s.latestAudit(1)).length, 1);
    });

    it('an attempt is completed in place with its outcome; an unknown id completes nothing', async () => {
      const s = openStore();
      const base = { actorName: 'Megan Bowen', action: 'dismiss', scope: 'subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f', alertId: 'TooManyOwnersAssignedToResource' };
      const done = await s.appendAudit({ ...base, at: '2025-03-01T12:00:00.000Z', result: 'attempted', detail: 'Dismissing the alert (isActive: false).' });
      const open = await s.appendAudit({ ...base, at: '2025-03-01T12:00:01.000Z', result: 'attempted', detail: 'Dismissing the alert (isActive: false).' });
      assert.equal(await s.completeAudit(done, { result: 'succeeded', at: '2025-03-01T12:00:00.400Z', detail: 'Alert dismissed (isActive: false).', armRequestId: 'c6a5a6a0-0000-4000-8000-000000000000' }), true);
      for (const unknown of ['999', 'not-an-id', '', '1 OR 1=1']) assert.equal(await s.completeAudit(unknown, { result: 'failed', at: '2025-03-01T12:00:02.000Z' }), false, unknown);
      const [stillOpen, completed] = await s.latestAudit(10);
      assert.equal(stillOpen!.id, open);
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
    });

    it('keeps the refusal reason in its own field', async () => {
      const s = openStore();
      await s.appendAudit({ at: '2025-03-01T12:00:00.000Z', action: 'dismiss', result: 'refused', reason: 'replay', detail: 'Replayed a card action that had already completed.' });
      const [e] = await s.latestAudit(1);
      assert.equal(e!.reason, 'replay');
      const raw = new Database(file, { readonly: true });
      try {
        assert.equal(raw.prepare('SELECT reason FROM audit').pluck().get(), 'replay');
      } finally {
        raw.close();
      }
    });

    it('caps every untrusted string before it is stored', async () => {
      const s = openStore();
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
      assert.ok(fs.statSync(file).size + fs.statSync(`${file}-wal`).size < 1024 * 1024, 'the store grew by kilobytes, not by the 5 MB sent');

      // The same cut on the other things people name: who claimed, who subscribed, the conversation.
      const claim = 'dismiss:subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f:toomanyownersassignedtoresource';
      await s.claimAction(claim, { objectId: huge('o'), name: huge('n') }, '2025-03-01T12:00:00.000Z', 60_000);
      const lost = await s.claimAction(claim, { name: 'Alex Wilber' }, '2025-03-01T12:00:01.000Z', 60_000);
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

    it('keeps a bounded number of refused entries (the newest) and every other entry', async () => {
      const s = openStore({ maxRefusedAudit: 5 });
      const ids: string[] = [];
      await s.appendAudit({ at: '2025-03-01T11:59:00.000Z', action: 'dismiss', result: 'attempted' });
      for (let i = 0; i < 12; i++) ids.push(await s.appendAudit({ at: `2025-03-01T12:00:${String(i).padStart(2, '0')}.000Z`, action: 'message', result: 'refused', reason: 'tenantNotAllowed' }));
      await s.appendAudit({ at: '2025-03-01T12:01:00.000Z', action: 'dismiss', result: 'succeeded' });
      const all = await s.latestAudit(100);
      assert.deepEqual(all.filter((e) => e.result === 'refused').map((e) => e.id), ids.slice(-5).reverse());
      assert.deepEqual(all.filter((e) => e.result !== 'refused').map((e) => e.result), ['succeeded', 'attempted']);
    });
  });

  describe('action claims', () => {
    const key = 'dismiss|subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f|TooManyOwnersAssignedToResource';

    it('the first click wins; the second sees who and when, then the result once completed', async () => {
      const s = openStore();
      assert.deepEqual(await s.claimAction(key, { objectId: 'a', name: 'Megan Bowen' }, '2025-03-01T12:00:00.000Z', 60_000), { claimed: true });
      assert.deepEqual(await s.claimAction(key, { objectId: 'b', name: 'Alex Wilber' }, '2025-03-01T12:00:01.000Z', 60_000), {
        claimed: false,
        by: { objectId: 'a', name: 'Megan Bowen' },
        at: '2025-03-01T12:00:00.000Z',
      });
      await s.completeAction(key, 'dismissed');
      const again = await s.claimAction(key, { name: 'Alex Wilber' }, '2025-03-01T12:00:02.000Z', 60_000);
      assert.equal(!again.claimed && again.result, 'dismissed');
    });

    it('two store instances on one file: exactly one wins each key and the loser names the winner', async () => {
      const a = openStore();
      const b = openStore();
      for (let i = 0; i < 20; i++) {
        const k = `${key}#${i}`;
        const [ra, rb] = await Promise.all([
          a.claimAction(k, { objectId: 'a', name: 'Megan Bowen' }, '2025-03-01T12:00:00.000Z', 60_000),
          b.claimAction(k, { objectId: 'b', name: 'Alex Wilber' }, '2025-03-01T12:00:00.000Z', 60_000),
        ]);
        assert.equal([ra, rb].filter((r) => r.claimed).length, 1);
        const loser = ra.claimed ? rb : ra;
        assert.equal(!loser.claimed && loser.by.name, ra.claimed ? 'Megan Bowen' : 'Alex Wilber');
      }
    });

    it('a released claim can be taken again; an expired one is taken over', async () => {
      const s = openStore();
      await s.claimAction(key, { name: 'Megan Bowen' }, '2025-03-01T12:00:00.000Z', 60_000);
      await s.releaseAction(key);
      assert.equal((await s.claimAction(key, { name: 'Alex Wilber' }, '2025-03-01T12:00:01.000Z', 60_000)).claimed, true);
      // Alex's process dies mid-action: after the claim's lifetime someone else may try.
      assert.equal((await s.claimAction(key, { name: 'Megan Bowen' }, '2025-03-01T12:01:00.999Z', 60_000)).claimed, false);
      assert.equal((await s.claimAction(key, { name: 'Megan Bowen' }, '2025-03-01T12:01:01.000Z', 60_000)).claimed, true);
    });

    it('nonces: used once marked, shared across instances, pruned after expiry by a later write', async () => {
      const timers = sinon.useFakeTimers({ now: Date.parse('2025-03-01T12:00:00Z'), toFake: ['Date'] });
      try {
        const clock = { now: () => Date.now() };
        const a = openStore({ clock });
        const b = openStore({ clock });
        assert.equal(await a.isNonceUsed('n1'), false);
        await a.markNonceUsed('n1', '2025-03-01T13:00:00.000Z');
        await a.markNonceUsed('n1', '2025-03-01T13:00:00.000Z');
        assert.equal(await b.isNonceUsed('n1'), true);
        timers.tick(60 * 60 * 1000);
        await b.markNonceUsed('n2', '2025-03-08T12:00:00.000Z');
        assert.equal(await a.isNonceUsed('n1'), false, 'expired nonce pruned on write');
        assert.equal(await a.isNonceUsed('n2'), true);
      } finally {
        timers.restore();
      }
    });

    it('expired claims are pruned by later writes', async () => {
      const timers = sinon.useFakeTimers({ now: Date.parse('2025-03-01T12:00:00Z'), toFake: ['Date'] });
      try {
        const s = openStore({ clock: { now: () => Date.now() } });
        await s.claimAction('old', { name: 'x' }, '2025-03-01T12:00:00.000Z', 1000);
        timers.tick(2000);
        await s.claimAction('new', { name: 'y' }, '2025-03-01T12:00:02.000Z', 1000);
        const raw = new Database(file, { readonly: true });
        try {
          assert.deepEqual(raw.prepare('SELECT key FROM action_claims').pluck().all(), ['new']);
        } finally {
          raw.close();
        }
      } finally {
        timers.restore();
      }
    });

    it('refuses a claim time that is not an ISO date-time', async () => {
      await assert.rejects(openStore().claimAction(key, {}, 'yesterday', 1000), /not an ISO date-time/);
    });
  });

  describe('pending operations', () => {
    it('stores the handle and conversation and lists unreported ones', async () => {
      const s = openStore();
      const op = pendingOp('7d0c0a2e-0001-4000-8000-000000000001');
      await s.addPendingOperation(op);
      await s.addPendingOperation(op); // a retried add is harmless
      assert.deepEqual(await s.listUnreportedOperations(), [asAdded(op)]);
      assert.deepEqual(await s.getPendingOperation(op.id), asAdded(op));
      assert.equal(await s.getPendingOperation('no-such-op'), undefined);
    });

    it('lease: free → taken; held by another → refused; ours → extended; expired → taken over', async () => {
      const s = openStore();
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
      assert.equal(await s.leasePendingOperation('no-such-op', 'proc-b', '2025-03-01T12:03:00.000Z', '2025-03-01T12:02:00.000Z'), false);
    });

    const T = (seconds: number) => new Date(Date.parse('2025-03-01T12:00:00.000Z') + seconds * 1000).toISOString();

    it('markOperationStep: only the lease holder moves it, and only forward (polling after started, reporting after the outcome)', async () => {
      const s = openStore();
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
    });

    it('recordOperationOutcome stores the first outcome once, for the lease holder only; a later holder gets the stored one back', async () => {
      const s = openStore();
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
      const s = openStore();
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
      const s = openStore();
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

    it('two store instances on one file, the same process slot racing itself: one outcome, the first task time, one finish', async () => {
      // The same owner on both: a process and its restart on the same host and port, both briefly alive.
      const a = openStore();
      const b = openStore();
      await a.addPendingOperation(pendingOp('op-race'));
      assert.equal(await a.leasePendingOperation('op-race', 'host:3978', T(60), T(0)), true);
      assert.equal(await b.leasePendingOperation('op-race', 'host:3978', T(61), T(1)), true, 'the same slot takes its own lease back at once');
      const [ra, rb] = await Promise.all([a.recordOperationOutcome('op-race', 'host:3978', succeededOutcome(1), T(2)), b.recordOperationOutcome('op-race', 'host:3978', succeededOutcome(2), T(2))]);
      assert.deepEqual(ra, rb, 'both see the one outcome stored');
      const [ta, tb] = await Promise.all([a.markOutcomeTaskDone('op-race', 'host:3978', 'reply', T(3)), b.markOutcomeTaskDone('op-race', 'host:3978', 'reply', T(4))]);
      assert.deepEqual([ta, tb], [true, true]);
      assert.ok([T(3), T(4)].includes((await a.getPendingOperation('op-race'))!.tasksDone.reply!));
      const finished = await Promise.all([a.finishOperation('op-race', 'host:3978', 'reported', T(5)), b.finishOperation('op-race', 'host:3978', 'reported', T(5))]);
      assert.deepEqual(finished.sort(), [false, true]);
    });

    it('two store instances on one file, two process slots: only the lease holder records, marks or finishes', async () => {
      const a = openStore();
      const b = openStore();
      await a.addPendingOperation(pendingOp('op-two'));
      const leased = await Promise.all([a.leasePendingOperation('op-two', 'host-a:3978', T(60), T(0)), b.leasePendingOperation('op-two', 'host-b:3978', T(60), T(0))]);
      assert.deepEqual([...leased].sort(), [false, true]);
      const [holder, other] = leased[0] ? ['host-a:3978', 'host-b:3978'] : ['host-b:3978', 'host-a:3978'];
      const outcomes = await Promise.all([a.recordOperationOutcome('op-two', holder!, succeededOutcome(), T(1)), b.recordOperationOutcome('op-two', other!, succeededOutcome(), T(1))]);
      assert.deepEqual(outcomes, [succeededOutcome(), undefined]);
      assert.deepEqual(await Promise.all([a.markOutcomeTaskDone('op-two', holder!, 'reply', T(2)), b.markOutcomeTaskDone('op-two', other!, 'reply', T(2))]), [true, false]);
      assert.deepEqual(await Promise.all([b.finishOperation('op-two', other!, 'reported', T(3)), a.finishOperation('op-two', holder!, 'reported', T(3))]), [false, true]);
    });

    it('migration 2 keeps operations of a version-1 database: reported ones ended, the others at started', async () => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const raw = new Database(file);
      raw.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
      raw.exec(MIGRATIONS[0]!.sql);
      raw.prepare("INSERT INTO schema_version VALUES (1, 'initial', '2025-03-01T00:00:00Z')").run();
      const insert = raw.prepare('INSERT INTO pending_operations (id, data, created_at, lease_owner, reported_at, reported_ms) VALUES (?, ?, ?, ?, ?, ?)');
      const { id: _reported, createdAt, ...data } = pendingOp('op-old-reported');
      insert.run('op-old-reported', JSON.stringify(data), createdAt, 'proc-old', T(9), Date.parse(T(9)));
      insert.run('op-old-pending', JSON.stringify(data), createdAt, 'proc-old', null, null);
      raw.close();
      const s = openStore();
      assert.equal(s.schemaVersion, SCHEMA_VERSION);
      assert.deepEqual((await s.listUnreportedOperations()).map((o) => [o.id, o.step, o.leaseOwner]), [['op-old-pending', 'started', 'proc-old']]);
      const reported = (await s.getPendingOperation('op-old-reported'))!;
      assert.deepEqual([reported.step, reported.finishedAt, reported.tasksDone], ['reported', T(9), {}]);
    });
  });

  describe('conversations and subscriptions', () => {
    it('upserts and reads back a conversation reference', async () => {
      const s = openStore();
      const ref = teamConversation();
      await s.upsertConversation(ref, '2025-03-01T12:00:00.000Z');
      await s.upsertConversation({ ...ref, serviceUrl: 'https://smba.trafficmanager.net/emea/' }, '2025-03-02T12:00:00.000Z');
      assert.deepEqual(await s.getConversation(ref.conversation.id), { ...ref, serviceUrl: 'https://smba.trafficmanager.net/emea/' });
      assert.equal(await s.getConversation('19:unknown@thread.tacv2'), undefined);
    });

    it('adds, filters, disables and deletes subscriptions, keeping scopes, createdBy and snapshot as JSON', async () => {
      const s = openStore();
      const conv = teamConversation().conversation.id;
      const one = subscription('sub-1', conv, { lastSnapshot: { alerts: [{ id: 'TooManyOwnersAssignedToResource', incidents: 3 }] } });
      const two = subscription('sub-2', conv, { createdAt: '2025-03-01T12:00:01.000Z', scopes: [], severity: undefined, mode: 'always' });
      const other = subscription('sub-3', '29:personal-chat', { createdAt: '2025-03-01T12:00:02.000Z' });
      for (const sub of [one, two, other]) await s.addSubscription(sub);
      const { severity: _drop, ...twoStored } = two;
      assert.deepEqual(await s.listSubscriptions(), [one, twoStored, other]);
      assert.deepEqual((await s.listSubscriptions({ conversationId: conv })).map((x) => x.id), ['sub-1', 'sub-2']);

      assert.equal(await s.disableSubscriptionsOf(conv, 'The bot was removed from this team.'), 2);
      assert.equal(await s.disableSubscriptionsOf(conv, 'again'), 0);
      assert.deepEqual((await s.listSubscriptions({ enabledOnly: true })).map((x) => x.id), ['sub-3']);
      const [disabled] = await s.listSubscriptions({ conversationId: conv });
      assert.equal(disabled!.enabled, false);
      assert.equal(disabled!.disabledReason, 'The bot was removed from this team.');

      assert.equal(await s.deleteSubscription('sub-3'), true);
      assert.equal(await s.deleteSubscription('sub-3'), false);
    });

    it('pauses a subscription for its tenant and resumes only what it paused so', async () => {
      const s = openStore();
      const conv = teamConversation().conversation.id;
      await s.addSubscription(subscription('sub-1', conv));
      await s.addSubscription(subscription('sub-2', conv, { createdAt: '2025-03-01T12:00:01.000Z' }));
      const reason = "Paused: this conversation's tenant is not in PIM_ALLOWED_TENANTS.";
      const other = subscription('sub-3', '29:personal-chat', { createdAt: '2025-03-01T12:00:02.000Z' });
      await s.addSubscription(other);
      assert.equal(await s.pauseSubscription('sub-1', 'tenantNotAllowed', reason), true);
      assert.equal(await s.pauseSubscription('sub-1', 'tenantNotAllowed', reason), false, 'already paused');
      assert.equal(await s.pauseSubscription('sub-3', 'tenantNotAllowed', reason), true);
      const [one] = await s.listSubscriptions({ conversationId: conv });
      assert.deepEqual([one!.enabled, one!.pausedFor, one!.disabledReason], [false, 'tenantNotAllowed', reason]);

      // The bot removed from the team: both its subscriptions are disabled for good, the pause included.
      assert.equal(await s.disableSubscriptionsOf(conv, 'The bot was removed from this team.'), 2);
      for (const sub of await s.listSubscriptions({ conversationId: conv })) {
        assert.deepEqual([sub.enabled, sub.pausedFor, sub.disabledReason], [false, undefined, 'The bot was removed from this team.']);
        assert.equal(await s.resumeSubscription(sub.id, 'tenantNotAllowed'), false, 'disabled for another reason: stays so');
      }

      assert.equal(await s.resumeSubscription('sub-3', 'tenantNotAllowed'), true);
      assert.equal(await s.resumeSubscription('sub-3', 'tenantNotAllowed'), false);
      const [resumed] = await s.listSubscriptions({ conversationId: '29:personal-chat' });
      assert.deepEqual([resumed!.enabled, 'pausedFor' in resumed!, 'disabledReason' in resumed!], [true, false, false]);
    });

    it('removeConversation removes the reference, its subscriptions and their runs, and nothing else', async () => {
      const s = openStore();
      const ref = teamConversation();
      await s.upsertConversation(ref, '2025-03-01T12:00:00.000Z');
      await s.addSubscription(subscription('sub-1', ref.conversation.id));
      await s.addSubscription(subscription('sub-2', ref.conversation.id));
      await s.addSubscription(subscription('sub-3', '29:personal-chat'));
      assert.equal(await s.claimDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'proc-a'), true);
      assert.equal(await s.removeConversation(ref.conversation.id), 2);
      assert.equal(await s.getConversation(ref.conversation.id), undefined);
      assert.deepEqual((await s.listSubscriptions()).map((x) => x.id), ['sub-3']);
      assert.deepEqual(await s.listIncompleteDigestRuns(), []);
      assert.equal(await s.removeConversation(ref.conversation.id), 0);
    });
  });

  describe('digest runs', () => {
    it('claimDigestRun is true once per (subscription, instant), however the instant is spelled, across instances', async () => {
      const a = openStore();
      const b = openStore();
      await a.addSubscription(subscription('sub-1', 'c1'));
      assert.equal(await a.claimDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'proc-a'), true);
      assert.equal(await b.claimDigestRun('sub-1', '2025-03-03T08:00:00Z', 'proc-b'), false);
      assert.equal(await b.claimDigestRun('sub-1', '2025-03-03T09:00:00+01:00', 'proc-b'), false);
      assert.equal(await b.claimDigestRun('sub-1', '2025-03-04T08:00:00.000Z', 'proc-b'), true);
      assert.equal(await b.claimDigestRun('no-such-sub', '2025-03-04T08:00:00.000Z', 'proc-b'), false);
      const [sub] = await a.listSubscriptions();
      assert.equal(sub!.lastRunAt, '2025-03-04T08:00:00.000Z');
    });

    it('a run left incomplete is listed for recovery until completed, and completion stores the snapshot', async () => {
      const s = openStore();
      await s.addSubscription(subscription('sub-1', 'c1'));
      await s.claimDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'proc-a');
      await s.claimDigestRun('sub-1', '2025-03-04T08:00:00.000Z', 'proc-a');
      await s.completeDigestRun('sub-1', '2025-03-03T08:00:00.000Z', 'sent', { alerts: ['TooManyOwnersAssignedToResource'] });
      assert.deepEqual(await s.listIncompleteDigestRuns(), [{ subscriptionId: 'sub-1', runAt: '2025-03-04T08:00:00.000Z', owner: 'proc-a' }]);
      await s.completeDigestRun('sub-1', '2025-03-04T08:00:00Z', 'skipped');
      assert.deepEqual(await s.listIncompleteDigestRuns(), []);
      const [sub] = await s.listSubscriptions();
      assert.deepEqual(sub!.lastSnapshot, { alerts: ['TooManyOwnersAssignedToResource'] }, 'no snapshot given keeps the last one');
    });
  });

  it('everything survives close and reopen', async () => {
    const s = openStore();
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

    const r = openStore();
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

  it('works in memory for tests', async () => {
    const s = openSqliteStore({ file: ':memory:' });
    open.push(s);
    assert.equal(s.file, ':memory:');
    assert.equal(await s.ensureSecret('x', () => 'y'), 'y');
  });

  describe('two real processes on one file', function () {
    this.timeout(30_000);
    const children: ChildProcess[] = [];
    afterEach(() => {
      for (const c of children.splice(0)) if (c.exitCode === null) c.kill();
    });

    function spawnWorker(): Promise<ChildProcess> {
      const child = fork(path.join(__dirname, 'claim-worker.ts'), [file], { execArgv: ['--require', 'tsx/cjs'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      return new Promise((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
        child.once('message', (m) => (m === 'ready' ? resolve(child) : reject(new Error(`unexpected ${String(m)}`))));
      });
    }

    it('each claim, lease, outcome and finish goes to exactly one process, and the loser names the winner', async () => {
      const s = openStore();
      const keys = Array.from({ length: 100 }, (_, i) => `dismiss|subscriptions/x|alert-${i}`);
      const operations = Array.from({ length: 100 }, (_, i) => `op-${i}`);
      for (const id of operations) await s.addPendingOperation(pendingOp(id));
      const [p1, p2] = await Promise.all([spawnWorker(), spawnWorker()]);
      type Result = { claims: Record<string, string>; leased: string[]; outcomes: string[]; reported: string[] };
      const result = (c: ChildProcess) =>
        new Promise<Result>((resolve, reject) => {
          c.removeAllListeners('exit');
          c.once('exit', (code) => code !== 0 && reject(new Error(`worker failed with ${code}`)));
          c.once('message', (m) => resolve(m as Result));
        });
      const done = Promise.all([result(p1!), result(p2!)]);
      const go = { keys, operations, at: '2025-03-01T12:00:00.000Z' };
      p1!.send({ ...go, name: 'proc-1', reverse: false });
      p2!.send({ ...go, name: 'proc-2', reverse: true });
      const [r1, r2] = await done;

      for (const k of keys) {
        // Both processes name the same winner for every key.
        assert.equal(r1.claims[k], r2.claims[k], k);
        assert.ok(['proc-1', 'proc-2'].includes(r1.claims[k]!));
      }
      for (const list of ['leased', 'reported'] as const) {
        const all = [...r1[list], ...r2[list]].sort();
        assert.deepEqual(all, [...operations].sort(), `${list}: every operation exactly once`);
      }
      // Only the lease holder's steps took effect: it stored the outcome (named after it) and finished.
      assert.deepEqual([...r1.outcomes].sort(), r1.leased.map((op) => `${op}=proc-1`).sort());
      assert.deepEqual([...r2.outcomes].sort(), r2.leased.map((op) => `${op}=proc-2`).sort());
      assert.deepEqual([...r1.reported].sort(), [...r1.leased].sort());
      assert.deepEqual(await s.listUnreportedOperations(), []);
    });
  });
});
