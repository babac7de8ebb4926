// The poll lease in detail, on fake time: the tracker keeps its lease however long ARM makes it
// wait between polls, gives up quietly when another process has taken the refresh over, takes over
// from a dead process as soon as that one's lease runs out, and hands its leases over on stop.
import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import type { OperationResult, PimAlertsApi, PollOptions } from '../../bot/azure/api';
import { createOperationTracker, type OperationTracker } from '../../bot/background/operations';
import type { CoreDeps } from '../../bot/core/deps';
import type { Proactive } from '../../bot/edge/proactive';
import { silentLogger } from '../../bot/log';
import { openSqliteStore, type SqliteBotStore } from '../../bot/store/sqlite';
import type { NewPendingOperation } from '../../bot/store/types';
import { SCOPES } from '../../sim/seed';

const LEASE_MS = 5000;
const START = Date.parse('2025-03-03T09:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function pendingOperation(id: string): NewPendingOperation {
  return {
    id,
    handle: {
      location: `https://management.azure.com/${SCOPES.production}/providers/Microsoft.Authorization/roleManagementAlertOperations/${id}?api-version=2022-08-01-preview`,
      scope: SCOPES.production,
      alertId: 'AzureRolesAssignedOutsidePimAlert',
      startedAt: iso(START),
    },
    requester: { objectId: '5d8e2f1a-3c4b-4a6d-9e7f-0a1b2c3d4e20', name: 'Alex Wilber' },
    conversation: {
      serviceUrl: 'http://127.0.0.1:9/',
      channelId: 'msteams',
      conversation: { id: '19:general@thread.skype;messageid=1700000000000', conversationType: 'channel', tenantId: '7f3c9a2e-1d4b-4c8e-a6f0-2b5d7e9c1a30' },
    } as NewPendingOperation['conversation'],
    replyToId: '1700000000000',
    createdAt: iso(START),
  };
}

/** A poll that lasts until it is told to stop, like one waiting on a long Retry-After. */
function endlessPoll(): { api: PimAlertsApi; signals: AbortSignal[] } {
  const signals: AbortSignal[] = [];
  const api = {
    pollOperation: (_h: unknown, options: PollOptions = {}) =>
      new Promise<OperationResult>((_, reject) => {
        signals.push(options.abortSignal!);
        options.abortSignal!.addEventListener('abort', () => reject(new Error('The poll was aborted.')), { once: true });
      }),
  } as unknown as PimAlertsApi;
  return { api, signals };
}

describe('durability: the refresh poll lease', function () {
  let clock: sinon.SinonFakeTimers;
  let store: SqliteBotStore;
  let replies: string[];
  let trackers: OperationTracker[];

  const proactive: Proactive = {
    replyInThread: async (_ref, _root, reply) => {
      replies.push('text' in reply ? String(reply.text) : 'card');
      return { ok: true, attempts: 1, activityId: `reply-${replies.length}` };
    },
    updateCard: async () => ({ ok: true, attempts: 1 }),
  };

  function tracker(owner: string, api: PimAlertsApi, leaseMs = LEASE_MS): OperationTracker {
    const deps = {
      config: { mode: 'azure', timeZone: 'UTC', authz: { mode: 'allowlist', operators: [], allowedTenants: 'any', cacheTtlMs: 0 }, pollDeadlineMs: 30 * 60_000 },
      scopes: [{ scope: SCOPES.production, displayName: 'Contoso Production' }],
      api,
      store,
      clock: { now: () => Date.now() },
      logger: silentLogger(),
    } as unknown as CoreDeps;
    const t = createOperationTracker({ deps, proactive, logger: silentLogger(), owner, leaseMs });
    trackers.push(t);
    return t;
  }

  /** Whether another process could take the lease right now. */
  const otherCanLease = (id: string) => store.leasePendingOperation(id, 'other-process', iso(Date.now() + LEASE_MS), iso(Date.now()));

  beforeEach(async () => {
    clock = sinon.useFakeTimers({ now: START, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    store = openSqliteStore({ file: ':memory:', clock: { now: () => Date.now() } });
    replies = [];
    trackers = [];
    await store.addPendingOperation(pendingOperation('op-1'));
  });

  afterEach(async () => {
    for (const t of trackers) await t.stop();
    clock.restore();
    await store.close();
  });

  it('keeps its lease while a single poll waits several lease lengths', async () => {
    const a = tracker('process-a', endlessPoll().api);
    a.track('op-1');
    for (let waited = 0; waited < 4 * LEASE_MS; waited += LEASE_MS / 2) {
      await clock.tickAsync(LEASE_MS / 2);
      assert.equal(await otherCanLease('op-1'), false, `after ${waited + LEASE_MS / 2} ms the lease is still held`);
    }
  });

  it('stops polling, and reports nothing, once another process has taken the refresh over', async () => {
    const poll = endlessPoll();
    const a = tracker('process-a', poll.api);
    a.track('op-1');
    await clock.tickAsync(100);
    // The other process saw the lease as lapsed (say this one stalled) and took it.
    assert.equal(await store.leasePendingOperation('op-1', 'process-b', iso(Date.now() + 10 * LEASE_MS), iso(Date.now() + 2 * LEASE_MS)), true);
    await clock.tickAsync(LEASE_MS);
    assert.equal(poll.signals[0]!.aborted, true, 'the poll was stopped');
    await a.idle();
    assert.deepEqual(replies, []);
    const [op] = await store.listUnreportedOperations();
    assert.equal(op!.leaseOwner, 'process-b');
  });

  it("takes over from a dead process just after that one's lease runs out", async () => {
    // The dead process renewed its lease 3 s before it died; the lease runs 2 s more.
    assert.equal(await store.leasePendingOperation('op-1', 'dead-process', iso(Date.now() + 2000), iso(Date.now())), true);
    const polls: number[] = [];
    const api = {
      pollOperation: async () => {
        polls.push(Date.now() - START);
        return { outcome: 'succeeded', status: 'Succeeded', details: [], durationMs: 42_000, polls: 1 } satisfies OperationResult;
      },
    } as unknown as PimAlertsApi;
    // A minute-long lease of its own: it must not wait that long for someone else's.
    const b = tracker('process-b', api, 60_000);
    await b.resumeAll();
    await clock.tickAsync(1900);
    assert.deepEqual(polls, [], 'not before the lease ends');
    await clock.tickAsync(1000);
    await b.idle();
    assert.equal(polls.length, 1);
    assert.ok(polls[0]! >= 2000 && polls[0]! <= 2500, `polled at ${polls[0]} ms`);
    assert.deepEqual(replies, ['Refresh of Azure roles assigned outside pim alert on Contoso Production succeeded after 42 s (started by Alex Wilber).']);
    assert.deepEqual(await store.listUnreportedOperations(), []);
  });

  it('hands its leases over when stopped, so the next process resumes at once', async () => {
    const a = tracker('process-a', endlessPoll().api, 60_000);
    a.track('op-1');
    await clock.tickAsync(100);
    assert.equal(await otherCanLease('op-1'), false);
    await a.stop();
    assert.equal(await otherCanLease('op-1'), true);
    assert.deepEqual(replies, [], 'a stop reports nothing');
  });
});
