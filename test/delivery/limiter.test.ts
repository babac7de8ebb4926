// The limiter on Teams' PUBLISHED numbers, on sinon's fake clock: bottleneck and the window log
// read Date/setTimeout at call time, so a 40-second burst runs in milliseconds. The send is a
// recording function here; delivery.test.ts drives the real CloudAdapter over loopback HTTP.
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { createDelivery, type DeliveryResult } from '../../bot/delivery/delivery';
import { TEAMS_DELIVERY_LIMITS } from '../../bot/delivery/limiter';
import { SendError } from '../../bot/delivery/sendError';
import { TEAMS_GLOBAL_WINDOWS, TEAMS_PER_CONVERSATION_WINDOWS } from '../../bot/delivery/windows';
import type { StoredConversationReference } from '../../bot/store/types';
import { peak } from './peak';

function ref(conversationId: string, tenantId = '72f988bf-86f1-41af-91ab-2d7cd011db47'): StoredConversationReference {
  return {
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/emea/',
    conversation: { id: conversationId, conversationType: 'channel', isGroup: true, tenantId },
    bot: { id: '28:c9e8c047-2a74-40a2-b28a-b162d5f5327c', name: 'PIM Alerts' },
  };
}

describe('delivery limiter on the published Teams limits (fake clock)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_700_000_000_000, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  });
  afterEach(() => clock.restore());

  async function runUntil<T>(work: Promise<T>, stepMs = 50, limitMs = 10 * 60_000): Promise<T> {
    let done = false;
    let value: T | undefined;
    let failure: unknown;
    work.then(
      (v) => ((done = true), (value = v)),
      (e) => ((done = true), (failure = e)),
    );
    for (let t = 0; !done && t < limitMs; t += stepMs) await clock.tickAsync(stepMs);
    if (!done) throw new Error(`The work did not finish within ${limitMs} ms of fake time.`);
    if (failure) throw failure;
    return value as T;
  }

  it('spreads a burst of 100 messages to one conversation over every window, in order, without waiting longer than the windows need', async () => {
    const sent: Array<{ at: number; n: number }> = [];
    const delivery = createDelivery({
      now: () => Date.now(),
      send: async (_ref, activity) => {
        sent.push({ at: Date.now(), n: Number(activity.text) });
        return { id: `m${sent.length}` };
      },
    });
    const start = Date.now();
    const results = await runUntil(Promise.all(Array.from({ length: 100 }, (_, i) => delivery.deliver(ref('19:ops@thread.tacv2'), { type: 'message', text: String(i) }))));
    await delivery.stop();

    assert.ok(results.every((r) => r.ok && r.attempts === 1));
    assert.deepEqual(sent.map((s) => s.n), Array.from({ length: 100 }, (_, i) => i), 'messages left in the order they were handed over');
    const times = sent.map((s) => s.at);
    for (const w of TEAMS_PER_CONVERSATION_WINDOWS) assert.ok(peak(times, w) <= w.limit, `${peak(times, w)} sends within ${w.intervalMs} ms (limit ${w.limit})`);
    // The 60-per-30-s window binds: the 61st waits for the 1st to leave it.
    assert.ok(times[60]! - times[0]! >= 30_000, `61st went ${times[60]! - times[0]!} ms after the 1st`);
    // ...and no longer than the windows need: 60 at 8 per 2 s, a wait to 30 s, 40 more at 4/s.
    const elapsed = times[99]! - start;
    assert.ok(elapsed < 42_000, `burst took ${elapsed} ms of fake time`);
  });

  it('sends one message to each of 1,000 conversations at the global 50/s, not faster and not much slower', async () => {
    const times: number[] = [];
    const delivery = createDelivery({
      now: () => Date.now(),
      send: async () => {
        times.push(Date.now());
        return { id: String(times.length) };
      },
    });
    const start = Date.now();
    const results = await runUntil(
      Promise.all(Array.from({ length: 1000 }, (_, i) => delivery.deliver(ref(`19:team-${i}@thread.tacv2`), { type: 'message', text: 'digest' }))),
      1_000,
    );
    await delivery.stop();
    assert.equal(results.filter((r) => r.ok).length, 1000);
    for (const w of TEAMS_GLOBAL_WINDOWS) assert.ok(peak(times, w) <= w.limit, `${peak(times, w)} sends within ${w.intervalMs} ms`);
    const elapsed = Math.max(...times) - start;
    // The first send goes at once, so 1,000 sends span 999 gaps of (1000 + margin) / 50 ms (these
    // sends answer at once, so no round trip is added).
    const gap = (TEAMS_DELIVERY_LIMITS.global.intervalMs + TEAMS_DELIVERY_LIMITS.marginMs) / TEAMS_DELIVERY_LIMITS.global.limit;
    assert.ok(elapsed >= 999 * gap - 1 && elapsed <= 999 * gap + 500, `1,000 sends took ${elapsed} ms (expected about ${Math.round(999 * gap)})`);
  });

  it('holds a conversation for the Retry-After of a 429, then retries it through the limiter', async () => {
    const attempts: number[] = [];
    const delivery = createDelivery({
      now: () => Date.now(),
      send: async () => {
        attempts.push(Date.now());
        if (attempts.length === 1) throw new SendError('Throttled.', { status: 429, retryAfterMs: 7_000 });
        return { id: 'ok' };
      },
    });
    const start = Date.now();
    const result = await runUntil(delivery.deliver(ref('19:a@thread.tacv2'), { type: 'message', text: 'x' }));
    await delivery.stop();
    assert.deepEqual(result, { ok: true, attempts: 2, activityId: 'ok' });
    assert.ok(attempts[1]! - start >= 7_000, `retried after ${attempts[1]! - start} ms`);
  });

  it('backs off with full jitter within the bounds, and gives up after maxAttempts', async () => {
    const attempts: number[] = [];
    const delivery = createDelivery({
      now: () => Date.now(),
      random: () => 0.999,
      retry: { maxAttempts: 4, baseMs: 1_000, maxMs: 3_000 },
      send: async () => {
        attempts.push(Date.now());
        throw new SendError('Bad gateway.', { status: 502 });
      },
    });
    const result = await runUntil(delivery.deliver(ref('19:b@thread.tacv2'), { type: 'message', text: 'x' }));
    await delivery.stop();
    assert.equal(result.ok, false);
    assert.equal(attempts.length, 4);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    // Ceilings 1 s, 2 s, then capped at 3 s; random() near 1 takes almost all of each.
    assert.ok(gaps[0]! >= 990 && gaps[0]! < 1_100, `gap ${gaps[0]}`);
    assert.ok(gaps[1]! >= 1_990 && gaps[1]! < 2_100, `gap ${gaps[1]}`);
    assert.ok(gaps[2]! >= 2_990 && gaps[2]! < 3_100, `gap ${gaps[2]}`);
    assert.match((result as Extract<DeliveryResult, { ok: false }>).error, /after 4 attempts.*502/);
  });

  it('cuts a very long Retry-After to the configured bound', async () => {
    const attempts: number[] = [];
    const delivery = createDelivery({
      now: () => Date.now(),
      retry: { maxRetryAfterMs: 5_000 },
      send: async () => {
        attempts.push(Date.now());
        if (attempts.length === 1) throw new SendError('Throttled.', { status: 429, retryAfterMs: 3_600_000 });
        return {};
      },
    });
    const result = await runUntil(delivery.deliver(ref('19:c@thread.tacv2'), { type: 'message', text: 'x' }));
    await delivery.stop();
    assert.equal(result.ok, true);
    assert.ok(attempts[1]! - attempts[0]! >= 5_000 && attempts[1]! - attempts[0]! < 6_000);
  });

  it('does not retry an answer that will not change (413), says why and logs it', async () => {
    let calls = 0;
    const logger = { warn: sinon.spy(), debug: sinon.spy() };
    const delivery = createDelivery({
      now: () => Date.now(),
      logger,
      send: async () => {
        calls++;
        throw new SendError('The activity is too large.', { status: 413, code: 'MessageSizeTooBig' });
      },
    });
    const result = await runUntil(delivery.deliver(ref('19:d@thread.tacv2'), { type: 'message', text: 'x' }));
    await delivery.stop();
    assert.equal(calls, 1);
    assert.deepEqual({ ...result, error: undefined }, { ok: false, gone: false, status: 413, code: 'MessageSizeTooBig', attempts: 1, error: undefined });
    assert.match((result as Extract<DeliveryResult, { ok: false }>).error, /too large/);
    assert.equal(logger.warn.callCount, 1);
    assert.deepEqual(logger.warn.firstCall.args[0], { conversationId: '19:d@thread.tacv2', status: 413, code: 'MessageSizeTooBig', attempt: 1 });
  });

  it('ends waiting deliveries when stopped, without sending them', async () => {
    let sends = 0;
    const delivery = createDelivery({
      now: () => Date.now(),
      send: async () => {
        sends++;
        return {};
      },
    });
    const pending = Array.from({ length: 30 }, (_, i) => delivery.deliver(ref('19:e@thread.tacv2'), { type: 'message', text: String(i) }));
    await clock.tickAsync(3_000);
    const sentBeforeStop = sends;
    await runUntil(delivery.stop());
    const results = await Promise.all(pending);
    await clock.tickAsync(60_000);
    assert.equal(sends, sentBeforeStop, 'nothing went out after stop');
    assert.ok(sentBeforeStop > 0 && sentBeforeStop < 30);
    const stopped = results.filter((r) => !r.ok);
    assert.equal(stopped.length, 30 - sentBeforeStop);
    assert.ok(stopped.every((r) => !r.ok && !r.gone && /stopped/.test(r.error)));
    assert.equal((await delivery.deliver(ref('19:f@thread.tacv2'), { type: 'message' })).ok, false);
  });
});
