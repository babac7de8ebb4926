// The Teams budget shared by instances (bot/delivery/budget.ts), on sinon's fake clock with one
// in-memory SQLite store standing in for the shared store (its answers are synchronous, so the
// fake clock drives everything). Two budgets are two instances; a third test kills one by
// cutting its timers, as a process that dies stops renewing.
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { createDelivery } from '../../bot/delivery/delivery';
import { createSharedBudget, fairShare, type SharedBudget } from '../../bot/delivery/budget';
import { TEAMS_GLOBAL_WINDOW, TEAMS_PER_CONVERSATION_WINDOWS } from '../../bot/delivery/windows';
import { openSqliteStore, type SqliteBotStore } from '../../bot/store/sqlite';
import type { StoredConversationReference } from '../../bot/store/types';
import { peak } from './peak';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

function ref(conversationId: string): StoredConversationReference {
  return { channelId: 'msteams', serviceUrl: 'https://smba.trafficmanager.net/emea/', conversation: { id: conversationId, conversationType: 'channel', isGroup: true, tenantId: TENANT } };
}

describe('the Teams budget shared by instances (fake clock)', () => {
  let clock: sinon.SinonFakeTimers;
  let store: SqliteBotStore;
  const budgets: SharedBudget[] = [];

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: Date.parse('2026-01-15T08:00:00.000Z'), toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    store = openSqliteStore({ file: ':memory:', clock: { now: () => Date.now() } });
  });
  afterEach(async () => {
    for (const b of budgets.splice(0)) await b.stop();
    clock.restore();
    await store.close();
  });

  /** An instance's budget; `alive` false cuts its timers, as a dead process stops renewing. */
  function instance(owner: string) {
    let alive = true;
    const budget = createSharedBudget({
      store,
      owner,
      window: TEAMS_GLOBAL_WINDOW,
      clock: { now: () => Date.now() },
      setTimeout: (fn, ms) => setTimeout(() => alive && fn(), ms),
      clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    });
    budgets.push(budget);
    return {
      budget,
      kill() {
        alive = false;
        budgets.splice(budgets.indexOf(budget), 1);
      },
    };
  }

  /** Sends `n` requests of `ms` each through the budget as fast as it allows; returns their start times. */
  async function flood(budget: SharedBudget, n: number, ms = 20): Promise<number[]> {
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: n }, async () => {
        const release = await budget.tenant(TENANT).acquire();
        starts.push(Date.now());
        await new Promise((r) => setTimeout(r, ms));
        release();
      }),
    );
    return starts;
  }

  async function run<T>(work: Promise<T>, limitMs = 120_000): Promise<T> {
    let done = false;
    let value: T | undefined;
    let failure: unknown;
    work.then(
      (v) => ((done = true), (value = v)),
      (e) => ((done = true), (failure = e)),
    );
    for (let t = 0; !done && t < limitMs; t += 10) await clock.tickAsync(10);
    if (!done) throw new Error(`Not done within ${limitMs} ms of fake time.`);
    if (failure) throw failure;
    return value as T;
  }

  /** The owner of every slice, as the store says. */
  async function holders(): Promise<string[]> {
    const now = Date.now();
    return (await store.listLeases(`budget:${TENANT}`)).filter((l) => l.name.startsWith('slice-')).map((l) => (l.owner && Date.parse(l.until) > now ? l.owner : ''));
  }

  it('splits the slices fairly, the remainder to the first owners by name', () => {
    assert.equal(fairShare(10, [], 'a'), 10);
    assert.deepEqual(['a', 'b'].map((me) => fairShare(10, ['a', 'b'], me)), [5, 5]);
    assert.deepEqual(['a', 'b', 'c'].map((me) => fairShare(10, ['b', 'c', 'a'], me)), [4, 3, 3]);
    assert.throws(() => createSharedBudget({ store, owner: 'x', window: { limit: 50, intervalMs: 1000 }, slices: 7, clock: { now: () => Date.now() } }), /cannot be cut into 7 equal slices/);
  });

  it('a lone instance takes all ten slices and sends at the whole 50 a second', async () => {
    const a = instance('host-a:3978');
    const starts = await run(flood(a.budget, 300));
    assert.ok(peak(starts, TEAMS_GLOBAL_WINDOW) <= 50, `peak ${peak(starts, TEAMS_GLOBAL_WINDOW)} in a second`);
    const took = Math.max(...starts) - Math.min(...starts);
    assert.ok(took < 6_500, `300 requests took ${took} ms (the floor is 5 s)`);
    assert.deepEqual(await holders(), Array(10).fill('host-a:3978'));
  });

  it('two busy instances hold five slices each, and together never go over 50 a second', async () => {
    const a = instance('host-a:3978');
    const b = instance('host-b:3978');
    // host-b starts half a second after host-a, which has all ten slices by then.
    const floods = Promise.all([flood(a.budget, 400), new Promise((r) => setTimeout(r, 500)).then(() => flood(b.budget, 400))]);
    let sawSplit = false;
    const watch = (async () => {
      for (let i = 0; i < 60; i++) {
        await new Promise((r) => setTimeout(r, 250));
        const h = await holders();
        if (h.filter((o) => o === 'host-a:3978').length === 5 && h.filter((o) => o === 'host-b:3978').length === 5) {
          sawSplit = true;
          assert.deepEqual([a.budget.tenant(TENANT).share(), b.budget.tenant(TENANT).share()], [0.5, 0.5]);
        }
      }
    })();
    const [sa, sb] = await run(Promise.all([floods, watch]).then(([f]) => f));
    const all = [...sa, ...sb];
    assert.ok(peak(all, TEAMS_GLOBAL_WINDOW) <= 50, `together ${peak(all, TEAMS_GLOBAL_WINDOW)} in a second`);
    assert.ok(sawSplit, 'the slices settled at five each');
    const took = Math.max(...all) - Math.min(...all);
    assert.ok(took < 19_000, `800 requests took ${took} ms (the floor is 16 s)`);
  });

  it("takes a dead instance's slices only after their lease has run out and one more interval", async () => {
    const a = instance('host-a:3978');
    const b = instance('host-b:3978');
    await run(flood(a.budget, 100));
    // host-a is busy again when it dies, holding all ten slices.
    void a.budget.tenant(TENANT).acquire();
    await clock.tickAsync(1_500);
    const leases = (await store.listLeases(`budget:${TENANT}`)).filter((l) => l.name.startsWith('slice-'));
    const lastUntil = Math.max(...leases.map((l) => Date.parse(l.until)));
    a.kill();
    const starts = await run(flood(b.budget, 50));
    assert.ok(Math.min(...starts) >= lastUntil + TEAMS_GLOBAL_WINDOW.intervalMs, `host-b started ${lastUntil + TEAMS_GLOBAL_WINDOW.intervalMs - Math.min(...starts)} ms early`);
    assert.deepEqual(await holders(), Array(10).fill('host-b:3978'));
  });

  it('an instance that goes idle gives its slices back, to be used once their places have freed', async () => {
    const a = instance('host-a:3978');
    const b = instance('host-b:3978');
    const aStarts = await run(flood(a.budget, 60));
    await clock.tickAsync(3_000);
    assert.deepEqual(await holders(), Array(10).fill(''), 'idle: nothing held');
    const bStarts = await run(flood(b.budget, 50));
    assert.ok(peak([...aStarts, ...bStarts], TEAMS_GLOBAL_WINDOW) <= 50);
  });

  it('each instance keeps to its share of every per-conversation window: two instances, one conversation, within the limits together', async () => {
    const a = instance('host-a:3978');
    const b = instance('host-b:3978');
    const sent: number[] = [];
    const delivery = (budget: SharedBudget) =>
      createDelivery({ now: () => Date.now(), shared: budget, send: async () => (sent.push(Date.now()), { id: `m${sent.length}` }) });
    const [da, db] = [delivery(a.budget), delivery(b.budget)];
    // Keep both instances busy for the whole burst, as two instances sending digests would be.
    const background = Promise.all([flood(a.budget, 600), flood(b.budget, 600)]);
    await clock.tickAsync(2_000);
    const conversation = ref('19:ops@thread.tacv2');
    const results = await run(Promise.all([...Array.from({ length: 40 }, () => da.deliver(conversation, { type: 'message' })), ...Array.from({ length: 40 }, () => db.deliver(conversation, { type: 'message' }))]));
    assert.ok(results.every((r) => r.ok));
    for (const w of TEAMS_PER_CONVERSATION_WINDOWS) assert.ok(peak(sent, w) <= w.limit, `${peak(sent, w)} sends to one conversation within ${w.intervalMs} ms (limit ${w.limit})`);
    await run(background);
    await da.stop();
    await db.stop();
  });
});
