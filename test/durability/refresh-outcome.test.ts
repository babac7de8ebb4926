// The refresh state machine on fake time: the real tracker, the real ARM client (its HTTP answered
// from the ARM examples and a script), a SQLite store, and a Teams whose answers each test
// scripts. Polling retries transient failures until ARM says the scan is over or the deadline
// passes; the outcome is stored before it is reported, and a later process reports the stored
// one; reporting retries until it succeeds, the conversation is gone or the give-up time passes;
// a live tracker takes over a dead one's refresh when its lease lapses; each post-outcome task
// happens once.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sinon from 'sinon';
import { PimAlertsClient } from '../../bot/azure/client';
import type { AlertOperationResult } from '../../bot/azure/models';
import { createOperationTracker, type OperationTracker, type TrackerOptions } from '../../bot/background/operations';
import type { CoreDeps } from '../../bot/core/deps';
import type { DeliveryResult } from '../../bot/delivery';
import type { Proactive } from '../../bot/edge/proactive';
import { createLogger } from '../../bot/log';
import { createActionSigner } from '../../bot/security/signing';
import { openSqliteStore, type SqliteBotStore } from '../../bot/store/sqlite';
import type { NewPendingOperation } from '../../bot/store/types';
import { ARM, FakeCredential, FakeHttpClient, SCOPE, armError, type FakeResponse } from '../azure/fakes';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const EXAMPLES = path.join(__dirname, '..', 'fixtures', 'arm', 'examples');
const example = (name: string): Json => JSON.parse(fs.readFileSync(path.join(EXAMPLES, name), 'utf8')) as Json;
/** The alert the refreshed card re-reads (GetAlertById), and the operation resource as ARM shows it (GetAlertOperationById). */
const ALERT = example('GetAlertById.json').responses['200'].body as Json;
const OPERATION = example('GetAlertOperationById.json').responses['200'].body as AlertOperationResult;
const ALERT_ID = 'TooManyOwnersAssignedToResource';
const START = Date.parse('2025-03-03T09:00:00Z');
const DEADLINE_MS = 30 * 60_000;
const LEASE_MS = 60_000;
const CLAIM_KEY = `refresh:${SCOPE}:${ALERT_ID.toLowerCase()}`;
const iso = (ms: number) => new Date(ms).toISOString();

/** The operation as ARM answers a poll of it: the example with this status. */
function operation(status: string): FakeResponse {
  return { status: 200, body: { ...OPERATION, id: 'op-1', status, statusDetail: JSON.stringify({ result: [{ name: ALERT_ID, statusDetail: `Alert scan is ${status}.` }] }) } };
}

function pendingOperation(id: string, extra: Partial<NewPendingOperation> = {}): NewPendingOperation {
  return {
    id,
    handle: {
      location: `${ARM}/${SCOPE}/providers/Microsoft.Authorization/roleManagementAlertOperations/op-1?api-version=2022-08-01-preview`,
      scope: SCOPE,
      alertId: ALERT_ID,
      operationId: 'op-1',
      startedAt: iso(START),
      initial: { ...OPERATION, id: 'op-1', status: 'NotStarted' },
    },
    requester: { objectId: '5d8e2f1a-3c4b-4a6d-9e7f-0a1b2c3d4e20', name: 'Alex Wilber' },
    conversation: {
      serviceUrl: 'http://127.0.0.1:9/',
      channelId: 'msteams',
      conversation: { id: '19:general@thread.skype;messageid=1700000000000', conversationType: 'channel', tenantId: '7f3c9a2e-1d4b-4c8e-a6f0-2b5d7e9c1a30' },
    } as NewPendingOperation['conversation'],
    replyToId: '1700000000000',
    cardActivityId: '1700000000000',
    createdAt: iso(START),
    claimKey: CLAIM_KEY,
    ...extra,
  };
}

/** ARM as the real client sees it: scripted answers to polls of the operation, the example alert for card re-reads. */
function armWith(polls: Array<FakeResponse | Error | ((req: { at: number }) => FakeResponse | Error)>): { api: PimAlertsClient; http: FakeHttpClient; pollsMade: () => number } {
  const http = new FakeHttpClient((req) => {
    if (req.url.includes('/roleManagementAlertOperations/')) {
      const next = polls.length > 1 ? polls.shift()! : polls[0];
      if (next === undefined) throw new Error('no poll answer scripted');
      return typeof next === 'function' ? next(req) : next;
    }
    if (req.url.includes(`/roleManagementAlerts/${ALERT_ID}?`)) return { status: 200, body: ALERT };
    return armError(404, 'NotFound', `no fake for ${req.method} ${req.url}`);
  });
  // No pipeline retries: each failure reaches the tracker, which must retry it itself.
  const api = new PimAlertsClient({ endpoint: ARM, credential: new FakeCredential(), httpClient: http, retry: { maxRetries: 0 }, pollIntervalMs: 5_000 });
  return { api, http, pollsMade: () => http.requests.filter((r) => r.url.includes('/roleManagementAlertOperations/')).length };
}

/** Teams, scripted: what each reply and card update answers (the last answer repeats), and what arrived. */
interface FakeTeams extends Proactive {
  replies: string[];
  replyAttempts: number;
  cardUpdates: number;
  cardAttempts: number;
}

const OK: DeliveryResult = { ok: true, attempts: 1, activityId: 'reply-1' };
const DOWN: DeliveryResult = { ok: false, gone: false, status: 503, attempts: 5, error: 'The message was not delivered after 5 attempts; the last answer was 503.' };
const GONE: DeliveryResult = { ok: false, gone: true, status: 403, code: 'BotNotInConversationRoster', attempts: 1, error: 'Teams answered 403 BotNotInConversationRoster.' };

function fakeTeams(replyAnswers: DeliveryResult[], cardAnswers: DeliveryResult[] = [OK], onReply?: (text: string, signal?: AbortSignal) => Promise<void>): FakeTeams {
  const next = (list: DeliveryResult[]) => (list.length > 1 ? list.shift()! : list[0]!);
  const teams: FakeTeams = {
    replies: [],
    replyAttempts: 0,
    cardUpdates: 0,
    cardAttempts: 0,
    async replyInThread(_ref, _root, reply, options) {
      teams.replyAttempts++;
      await onReply?.('text' in reply ? String(reply.text) : 'card', options?.signal);
      const answer = next(replyAnswers);
      if (answer.ok) teams.replies.push('text' in reply ? String(reply.text) : 'card');
      return answer;
    },
    async updateCard() {
      teams.cardAttempts++;
      const answer = next(cardAnswers);
      if (answer.ok) teams.cardUpdates++;
      return answer;
    },
  };
  return teams;
}

describe('durability: the refresh state machine', function () {
  let clock: sinon.SinonFakeTimers;
  let dir: string;
  let stores: SqliteBotStore[];
  let trackers: OperationTracker[];
  let logs: Json[];

  const openStore = () => {
    const s = openSqliteStore({ file: path.join(dir, 'bot.sqlite'), clock: { now: () => Date.now() } });
    stores.push(s);
    return s;
  };

  function tracker(owner: string, store: SqliteBotStore, api: PimAlertsClient, teams: Proactive, extra: Partial<TrackerOptions> = {}): OperationTracker {
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => logs.push({ ...JSON.parse(line), owner }) } as never });
    const deps = {
      config: { mode: 'azure', timeZone: 'UTC', authz: { mode: 'allowlist', operators: [], allowedTenants: 'any', cacheTtlMs: 0 }, pollDeadlineMs: DEADLINE_MS },
      scopes: [{ scope: SCOPE, displayName: 'Contoso Production' }],
      api,
      store,
      signer: createActionSigner({ secret: 'a-test-signing-secret-of-at-least-32-chars', ttlMs: 3600_000, clock: { now: () => Date.now() } }),
      clock: { now: () => Date.now() },
      logger,
    } as unknown as CoreDeps;
    const t = createOperationTracker({ deps, proactive: teams, logger, owner, leaseMs: LEASE_MS, ...extra });
    trackers.push(t);
    return t;
  }

  const logged = (msg: string, owner?: string) => logs.filter((l) => l.msg === msg && (owner === undefined || l.owner === owner));
  const refreshAudit = async (store: SqliteBotStore) => (await store.latestAudit(50)).filter((e) => e.action === 'refresh').map((e) => `${e.result}: ${e.detail}`);

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: START, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-refresh-'));
    stores = [];
    trackers = [];
    logs = [];
  });

  afterEach(async () => {
    for (const t of trackers) await t.stop();
    clock.restore();
    for (const s of stores) await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores the outcome before reporting it; a process restarted past the deadline reports the stored Succeeded, without polling again', async () => {
    const store = openStore();
    await store.addPendingOperation(pendingOperation('op-1'));
    const first = armWith([operation('Running'), operation('Succeeded')]);
    const seenAtFirstReport: Json[] = [];
    // Teams takes the card update but none of the replies for this process's whole life.
    const downTeams = fakeTeams([DOWN], [OK], async () => {
      if (!seenAtFirstReport.length) seenAtFirstReport.push((await store.getPendingOperation('op-1'))!);
    });
    const a = tracker('host-a:3978', store, first.api, downTeams);
    a.track('op-1');
    await clock.tickAsync(20_000);
    assert.ok(downTeams.replyAttempts > 0, 'it tried to report');
    assert.equal(seenAtFirstReport[0]!.outcome.outcome, 'succeeded', 'the outcome was stored before the first report attempt');
    assert.equal(seenAtFirstReport[0]!.step, 'reporting');
    await a.stop();

    // Long past the deadline, another process takes over. Were it to poll, ARM would now say NotStarted.
    await clock.tickAsync(DEADLINE_MS + 10 * 60_000);
    const later = armWith([operation('NotStarted')]);
    const teams = fakeTeams([OK]);
    const b = tracker('host-b:3978', store, later.api, teams);
    await b.resumeAll();
    await clock.tickAsync(1000);
    await b.idle();
    assert.equal(later.pollsMade(), 0, 'no fresh guess: ARM was not asked again');
    assert.deepEqual(teams.replies, ['Refresh of Too many owners assigned to a resource on Contoso Production succeeded after 5 s (started by Alex Wilber). It is active, with 1 incident.']);
    assert.equal(downTeams.cardUpdates, 1);
    assert.equal(teams.cardAttempts, 0, 'the card update the first process did is not done again');
    assert.deepEqual(await refreshAudit(store), ['succeeded: Refresh succeeded after 5 s: active, 1 incident.'], 'the outcome audited once, by the first process');
    assert.equal((await store.getPendingOperation('op-1'))!.step, 'reported');
  });

  it('restarted past the deadline with no stored outcome, it looks once and reports what ARM says', async () => {
    const store = openStore();
    await store.addPendingOperation(pendingOperation('op-1'));
    await clock.tickAsync(DEADLINE_MS + 60_000);
    const arm = armWith([operation('Succeeded')]);
    const teams = fakeTeams([OK]);
    tracker('host-a:3978', store, arm.api, teams).track('op-1');
    await clock.tickAsync(1000);
    assert.equal(arm.pollsMade(), 1);
    assert.match(teams.replies[0]!, /^Refresh of Too many owners assigned to a resource on Contoso Production succeeded after 31 min/);
  });

  it('retries polls that fail with 429, 500, 503, no answer or a timeout until ARM gives the end: a completed scan is reported as succeeded', async () => {
    const store = openStore();
    await store.addPendingOperation(pendingOperation('op-1'));
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const timeout = Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' });
    const arm = armWith([
      operation('Running'),
      armError(429, 'TooManyRequests', 'Throttled.', { 'retry-after': '1' }),
      armError(500, 'InternalServerError', 'Oops.'),
      reset,
      timeout,
      armError(503, 'ServiceUnavailable', 'Busy.'),
      operation('Succeeded'),
    ]);
    const teams = fakeTeams([OK]);
    tracker('host-a:3978', store, arm.api, teams, { pollRetry: { baseMs: 1000, maxMs: 8000 } }).track('op-1');
    await clock.tickAsync(5 * 60_000);
    assert.equal(arm.pollsMade(), 7);
    assert.equal(logged('polling a refresh failed for now; trying again').length, 5);
    assert.equal(teams.replies.length, 1);
    assert.match(teams.replies[0]!, /succeeded after/);
    assert.deepEqual((await refreshAudit(store)).map((e) => e.split(':')[0]), ['succeeded']);
  });

  it('transient failures until the deadline end as "did not finish", naming the last status ARM gave', async () => {
    const store = openStore();
    await store.addPendingOperation(pendingOperation('op-1'));
    const arm = armWith([operation('Running'), armError(503, 'ServiceUnavailable', 'Busy.')]);
    const teams = fakeTeams([OK]);
    tracker('host-a:3978', store, arm.api, teams).track('op-1');
    await clock.tickAsync(DEADLINE_MS + 60_000);
    assert.equal(teams.replies.length, 1);
    assert.match(teams.replies[0]!, /did not finish within 30 min \(started by Alex Wilber\), so I stopped waiting; its last status was Running\./);
    assert.ok(arm.pollsMade() > 20, `kept polling until the deadline (${arm.pollsMade()} polls)`);
  });

  it('a failure that is not transient (403) ends polling at once as failed, saying why', async () => {
    const store = openStore();
    await store.addPendingOperation(pendingOperation('op-1'));
    const arm = armWith([armError(403, 'AuthorizationFailed', 'No access.')]);
    const teams = fakeTeams([OK]);
    tracker('host-a:3978', store, arm.api, teams).track('op-1');
    await clock.tickAsync(1000);
    assert.equal(arm.pollsMade(), 1);
    assert.match(teams.replies[0]!, /failed after .*I could not check the scan: The bot's identity lacks Microsoft\.Authorization\/roleAssignments\/read/);
  });

  it('Teams failing longer than the give-up time: reporting stops at the give-up time, is logged, and the claim is free from the outcome on', async () => {
    const store = openStore();
    await store.claimAction(CLAIM_KEY, { name: 'Alex Wilber' }, iso(START), 15 * 60_000);
    await store.addPendingOperation(pendingOperation('op-1'));
    const arm = armWith([operation('Succeeded')]);
    const teams = fakeTeams([DOWN], [DOWN]);
    const giveUpMs = 2 * 3600_000;
    tracker('host-a:3978', store, arm.api, teams, { reportGiveUpMs: giveUpMs }).track('op-1');
    await clock.tickAsync(1000);
    // The scan is over: a new refresh of the same alert may start while this one is still being reported.
    const again = await store.claimAction(CLAIM_KEY, { name: 'Megan Bowen' }, iso(Date.now()), 15 * 60_000);
    assert.equal(again.claimed, true, 'the refresh claim was released when the outcome was known');
    await store.releaseAction(CLAIM_KEY);

    await clock.tickAsync(giveUpMs - 60_000);
    // Hours into reporting, the lease is still held: no other process reports too.
    assert.equal(await store.leasePendingOperation('op-1', 'host-b:3978', iso(Date.now() + LEASE_MS), iso(Date.now())), false);
    assert.equal(logged('gave up reporting a refresh outcome: Teams did not take it before the give-up time').length, 0, 'still trying before the give-up time');
    assert.equal((await store.getPendingOperation('op-1'))!.step, 'reporting');
    await clock.tickAsync(10 * 60_000);
    const gaveUp = logged('gave up reporting a refresh outcome: Teams did not take it before the give-up time');
    assert.equal(gaveUp.length, 1);
    assert.equal(gaveUp[0]!.level, 'error');
    assert.equal(gaveUp[0]!.replyPosted, false);
    const op = (await store.getPendingOperation('op-1'))!;
    assert.equal(op.step, 'gaveUp');
    assert.ok(Date.parse(op.finishedAt!) - Date.parse(op.outcomeAt!) >= giveUpMs);
    assert.deepEqual(await store.listUnreportedOperations(), []);
    const attempts = teams.replyAttempts;
    assert.ok(attempts > 10, `kept trying for the whole time (${attempts} rounds)`);
    await clock.tickAsync(3600_000);
    assert.equal(teams.replyAttempts, attempts, 'nothing after giving up');
    assert.equal(teams.replies.length, 0);
    assert.equal((await store.claimAction(CLAIM_KEY, { name: 'Megan Bowen' }, iso(Date.now()), 60_000)).claimed, true, 'the Refresh button works');
    assert.deepEqual((await refreshAudit(store)).map((e) => e.split(':')[0]), ['succeeded'], 'the outcome is audited although it could not be posted');
  });

  it('the bot removed from the conversation (403): reporting ends at once as gone', async () => {
    const store = openStore();
    await store.addPendingOperation(pendingOperation('op-1'));
    const teams = fakeTeams([GONE], [GONE]);
    tracker('host-a:3978', store, armWith([operation('Succeeded')]).api, teams).track('op-1');
    await clock.tickAsync(60_000);
    assert.equal(teams.replyAttempts, 1);
    assert.equal((await store.getPendingOperation('op-1'))!.step, 'gone');
    assert.equal(logged('the bot is no longer in the conversation, so the refresh outcome was not posted').length, 1);
  });

  it('retries the card update on its own; a reply already posted is not posted again by the process that takes over', async () => {
    const store = openStore();
    await store.addPendingOperation(pendingOperation('op-1'));
    const teams = fakeTeams([OK], [DOWN]);
    const a = tracker('host-a:3978', store, armWith([operation('Succeeded')]).api, teams);
    a.track('op-1');
    await clock.tickAsync(60_000);
    assert.equal(teams.replies.length, 1);
    assert.ok(teams.cardAttempts >= 2, 'the card update was retried');
    assert.deepEqual(Object.keys((await store.getPendingOperation('op-1'))!.tasksDone).sort(), ['audit', 'releaseClaim', 'reply']);
    await a.stop();

    const teamsLater = fakeTeams([OK], [OK]);
    const b = tracker('host-b:3978', store, armWith([operation('NotStarted')]).api, teamsLater);
    await b.resumeAll();
    await clock.tickAsync(1000);
    await b.idle();
    assert.equal(teamsLater.replyAttempts, 0, 'the reply was not posted again');
    assert.equal(teamsLater.cardUpdates, 1);
    assert.equal((await store.getPendingOperation('op-1'))!.step, 'reported');
    assert.equal((await refreshAudit(store)).length, 1);
  });

  it('a live tracker sweeping takes over a refresh whose holder stopped renewing its lease, without a restart, and it is reported once', async () => {
    // Two processes on one SQLite file. B is up before the refresh exists, so only its sweep can find it.
    const storeA = openStore();
    const storeB = openStore();
    const sweepMs = 30_000;
    const teamsB = fakeTeams([OK]);
    await tracker('host-b:3978', storeB, armWith([operation('Succeeded')]).api, teamsB, { sweepMs }).start();

    // A takes the refresh and polls (ARM says Running), then hangs: its tracker's timers never
    // fire again (only the test's final stop() ends them).
    let frozen = false;
    const teamsA = fakeTeams([OK]);
    const a = tracker('host-a:3978', storeA, armWith([operation('Running')]).api, teamsA, {
      sleep: (ms, signal) =>
        new Promise<void>((resolve, reject) => {
          const t = frozen ? undefined : setTimeout(resolve, ms);
          signal?.addEventListener('abort', () => {
            clearTimeout(t);
            reject(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }));
          }, { once: true });
        }),
    });
    await storeA.addPendingOperation(pendingOperation('op-1'));
    a.track('op-1');
    await clock.tickAsync(100);
    assert.equal((await storeB.getPendingOperation('op-1'))!.leaseOwner, 'host-a:3978');
    frozen = true;
    const frozenAt = Date.now();

    await clock.tickAsync(LEASE_MS - 1000);
    assert.equal(teamsB.replies.length, 0, 'not while the lease still runs');
    await clock.tickAsync(sweepMs + 2000);
    assert.equal(teamsB.replies.length, 1, 'taken over by the next sweep after the lease lapsed');
    assert.ok(Date.now() - frozenAt <= LEASE_MS + sweepMs + 1000);
    assert.equal(logged('took over a refresh whose lease had lapsed', 'host-b:3978').length, 1);
    const op = (await storeB.getPendingOperation('op-1'))!;
    assert.equal(op.step, 'reported');
    assert.equal(op.leaseOwner, 'host-b:3978');
    assert.equal(teamsA.replies.length, 0);
    assert.equal((await refreshAudit(storeB)).length, 1);
  });

  it('the one duplicate left: a reply Teams took while the process died before hearing back is posted again by the next', async () => {
    const store = openStore();
    await store.addPendingOperation(pendingOperation('op-1'));
    // Teams posts A's reply, but A dies before the answer comes back: its reply never returns and its timers stop.
    const posted: string[] = [];
    let frozen = false;
    const teamsA = fakeTeams([OK], [OK], (text, signal) => {
      posted.push(text);
      frozen = true;
      return new Promise<void>((_, reject) => signal?.addEventListener('abort', () => reject(new Error('stopped')), { once: true }));
    });
    const a = tracker('host-a:3978', store, armWith([operation('Succeeded')]).api, teamsA, {
      sleep: (ms, signal) =>
        new Promise<void>((resolve, reject) => {
          const t = frozen ? undefined : setTimeout(resolve, ms);
          signal?.addEventListener('abort', () => {
            clearTimeout(t);
            reject(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }));
          }, { once: true });
        }),
    });
    a.track('op-1');
    await clock.tickAsync(1000);
    assert.equal(posted.length, 1);

    const teamsB = fakeTeams([OK], [OK]);
    await tracker('host-b:3978', store, armWith([operation('Succeeded')]).api, teamsB, { sweepMs: 30_000 }).start();
    await clock.tickAsync(LEASE_MS + 30_000 + 1000);
    assert.equal(teamsB.replies.length, 1, 'the next process posts the reply again');
    assert.equal(teamsB.cardAttempts, 0, 'but not the card update A had done');
    assert.equal((await store.getPendingOperation('op-1'))!.step, 'reported');
  });
});
