// Delivery end to end: the real botbuilder CloudAdapter (no app id, so no token and no network
// beyond loopback) sends through createBotFrameworkSender + createDelivery to the recording fake
// connector, which enforces rate windows and answers 429 itself. Real time, so the windows are
// scaled down (1 s -> 33 ms, 30 s -> 1 s) to keep the suite fast; limiter.test.ts checks the
// published numbers on a fake clock.
import assert from 'node:assert/strict';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import type { OutgoingActivity } from '../../bot/core/conversation';
import { createBotFrameworkSender, createBotFrameworkUpdater } from '../../bot/delivery/botframework';
import { createDelivery, type Delivery, type DeliveryOptions } from '../../bot/delivery/delivery';
import { SendError, parseRetryAfter } from '../../bot/delivery/sendError';
import type { RateWindow } from '../../bot/delivery/windows';
import type { StoredConversationReference } from '../../bot/store/types';
import { peakWindowCounts, startFakeConnector, type FakeConnector } from '../fakes/connector';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SCALED_CONVERSATION: RateWindow[] = [
  { limit: 7, intervalMs: 33 },
  { limit: 8, intervalMs: 67 },
  { limit: 60, intervalMs: 1_000 },
];
const SCALED_GLOBAL: RateWindow = { limit: 50, intervalMs: 100 };

function refTo(fake: FakeConnector, conversationId: string): StoredConversationReference {
  return {
    channelId: 'msteams',
    serviceUrl: fake.url,
    conversation: { id: conversationId, conversationType: 'channel', isGroup: true, tenantId: TENANT },
    bot: { id: '28:c9e8c047-2a74-40a2-b28a-b162d5f5327c', name: 'PIM Alerts' },
    user: { id: '29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkKilBZ9XHoq9j7Zaqt7CZ-NJWi7me2kHTL3Bw', aadObjectId: '6b2a0b6b-9d4b-4f0e-8d55-3b1b2c5f6a7e' },
    locale: 'en-US',
  };
}

const message = (text: string): OutgoingActivity => ({ type: 'message', text });

describe('delivery through the real CloudAdapter to the fake Bot Connector', () => {
  let fake: FakeConnector;
  let delivery: Delivery | undefined;
  let adapter: CloudAdapter;
  let turnErrors: unknown[];

  beforeEach(() => {
    adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
    turnErrors = [];
    // A bot always sets one; delivery must not depend on it swallowing errors.
    adapter.onTurnError = async (_context, error) => {
      turnErrors.push(error);
    };
  });
  afterEach(async () => {
    await delivery?.stop();
    delivery = undefined;
    await fake?.close();
  });

  function start(options: Partial<DeliveryOptions> = {}): Delivery {
    delivery = createDelivery({
      send: createBotFrameworkSender(adapter, ''),
      update: createBotFrameworkUpdater(adapter, ''),
      limits: { perConversation: SCALED_CONVERSATION, global: SCALED_GLOBAL },
      retry: { baseMs: 20, maxMs: 200 },
      ...options,
    });
    return delivery;
  }

  it('sends anonymously to a loopback serviceUrl: no token, no Authorization header', async () => {
    fake = await startFakeConnector();
    const result = await start().deliver(refTo(fake, '19:ops@thread.tacv2'), message('PIM digest'));
    assert.equal(result.ok, true);
    const [stored] = fake.delivered('19:ops@thread.tacv2');
    assert.ok(stored);
    assert.equal(result.ok && result.activityId, stored.id);
    assert.equal(stored.activity.text, 'PIM digest');
    assert.equal(fake.requests[0]!.authorized, false);
    assert.deepEqual(turnErrors, []);
  });

  it('keeps a burst of 100 messages to one conversation under every window: no 429, all delivered in order', async () => {
    fake = await startFakeConnector({ perConversation: SCALED_CONVERSATION, global: [SCALED_GLOBAL] });
    const d = start();
    const ref = refTo(fake, '19:ops@thread.tacv2');
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => d.deliver(ref, message(`#${i}`))));
    assert.equal(fake.counts.throttled, 0, 'the fake never had to say 429');
    assert.ok(results.every((r) => r.ok && r.attempts === 1));
    assert.deepEqual(
      fake.delivered('19:ops@thread.tacv2').map((a) => a.activity.text),
      Array.from({ length: 100 }, (_, i) => `#${i}`),
    );
    for (const { window, peak } of peakWindowCounts(fake.requests, SCALED_CONVERSATION)) {
      assert.ok(peak <= window.limit, `${peak} within ${window.intervalMs} ms`);
    }
    // The long window bound: the 61st request waited for the 1st to leave it.
    const t = fake.requests.map((r) => r.t);
    assert.ok(t[60]! - t[0]! >= 1_000, `61st arrived ${Math.round(t[60]! - t[0]!)} ms after the 1st`);
  });

  it('is what keeps the burst under the limits: the same burst without it is throttled', async () => {
    fake = await startFakeConnector({ perConversation: SCALED_CONVERSATION, global: [SCALED_GLOBAL] });
    const send = createBotFrameworkSender(adapter, '');
    const ref = refTo(fake, '19:ops@thread.tacv2');
    const outcomes = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => send(ref, message(`#${i}`))));
    assert.ok(fake.counts.throttled > 0);
    const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.ok(rejected);
    const err = rejected.reason as SendError;
    assert.ok(err instanceof SendError);
    assert.equal(err.status, 429);
    assert.ok(err.retryAfterMs !== undefined && err.retryAfterMs >= 1_000, 'Retry-After reached the caller');
    // One request per send: botframework-connector's own retry policy was taken out.
    assert.equal(fake.requests.length, 100);
  });

  it('honours Retry-After on a 429 and retries', async () => {
    fake = await startFakeConnector();
    fake.script('19:ops@thread.tacv2', [{ status: 429, retryAfter: 1, code: 'Throttled' }]);
    const result = await start().deliver(refTo(fake, '19:ops@thread.tacv2'), message('x'));
    assert.equal(result.ok, true);
    assert.equal(result.attempts, 2);
    const [first, second] = fake.requests;
    assert.ok(second!.t - first!.t >= 1_000, `retried after ${Math.round(second!.t - first!.t)} ms`);
    assert.equal(fake.delivered('19:ops@thread.tacv2').length, 1);
  });

  it('retries 5xx and 412 until one succeeds', async () => {
    fake = await startFakeConnector();
    fake.script('19:ops@thread.tacv2', [503, 502, 412, 504]);
    const result = await start().deliver(refTo(fake, '19:ops@thread.tacv2'), message('x'));
    assert.deepEqual({ ok: result.ok, attempts: result.attempts }, { ok: true, attempts: 5 });
    assert.deepEqual(
      fake.requests.map((r) => r.status),
      [503, 502, 412, 504, 201],
    );
    assert.equal(fake.delivered('19:ops@thread.tacv2').length, 1, 'delivered exactly once');
  });

  it('gives up after the configured attempts and reports the last answer', async () => {
    fake = await startFakeConnector();
    fake.script('19:ops@thread.tacv2', [503, 503, 503, 503, 503, 503]);
    const result = await start({ retry: { maxAttempts: 3, baseMs: 10, maxMs: 50 } }).deliver(refTo(fake, '19:ops@thread.tacv2'), message('x'));
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.gone, false);
    assert.equal(result.status, 503);
    assert.equal(result.attempts, 3);
    assert.equal(fake.requests.length, 3, 'no hidden retries behind the limiter');
    assert.match(result.error, /not delivered after 3 attempts/);
  });

  it('reports 403 and 404 as gone at once, while other conversations, even a throttled one, go on', async () => {
    fake = await startFakeConnector();
    fake.markGone('19:removed@thread.tacv2', 403);
    fake.markGone('a:deleted-chat', 404);
    fake.script('19:busy@thread.tacv2', [{ status: 429, retryAfter: 1 }]);
    const d = start();
    const started = performance.now();
    const timed = (p: Promise<unknown>) => p.then((r) => ({ r, ms: performance.now() - started }));
    const removed = timed(d.deliver(refTo(fake, '19:removed@thread.tacv2;messageid=1700000000123'), message('x')));
    const deleted = timed(d.deliver(refTo(fake, 'a:deleted-chat'), message('x')));
    const busy = timed(d.deliver(refTo(fake, '19:busy@thread.tacv2'), message('x')));
    const others = Array.from({ length: 20 }, (_, i) => timed(d.deliver(refTo(fake, `19:team-${i}@thread.tacv2`), message('x'))));

    const [r403, r404] = await Promise.all([removed, deleted]);
    assert.deepEqual(
      { ...(r403.r as object), error: undefined },
      { ok: false, gone: true, status: 403, code: 'BotNotInConversationRoster', attempts: 1, error: undefined },
    );
    assert.deepEqual({ ...(r404.r as object), error: undefined }, { ok: false, gone: true, status: 404, code: 'ConversationNotFound', attempts: 1, error: undefined });
    const rest = await Promise.all(others);
    assert.ok(rest.every((o) => (o.r as { ok: boolean }).ok));
    assert.ok(Math.max(...rest.map((o) => o.ms)) < 900, 'nobody waited for the throttled conversation');
    const b = await busy;
    assert.equal((b.r as { ok: boolean }).ok, true);
    assert.ok(b.ms >= 1_000);
    assert.equal(fake.requests.filter((r) => r.conversationId === '19:removed@thread.tacv2;messageid=1700000000123').length, 1);
  });

  it('retries when the connector cannot be reached, then reports a network failure', async () => {
    fake = await startFakeConnector();
    const url = fake.url;
    await fake.close();
    const ref = { ...refTo(fake, '19:ops@thread.tacv2'), serviceUrl: url };
    let sends = 0;
    const real = createBotFrameworkSender(adapter, '');
    const result = await start({
      send: (r, a) => {
        sends++;
        return real(r, a);
      },
      retry: { maxAttempts: 2, baseMs: 10, maxMs: 20 },
    }).deliver(ref, message('x'));
    assert.equal(sends, 2);
    assert.ok(!result.ok);
    assert.equal(result.gone, false);
    assert.equal(result.status, undefined);
    assert.equal(result.code, 'ECONNREFUSED');
  });

  it('updates a card with the same retries (a PUT each time), and reports an update of a deleted message as gone', async () => {
    fake = await startFakeConnector();
    const d = start();
    const ref = refTo(fake, '19:ops@thread.tacv2');
    const sent = await d.deliver(ref, message('Refreshing…'));
    assert.ok(sent.ok && sent.activityId);
    fake.script('19:ops@thread.tacv2', [503, { status: 429, retryAfter: 0 }]);
    const updated = await d.update(ref, sent.activityId, message('Refresh succeeded'));
    assert.deepEqual({ ok: updated.ok, attempts: updated.attempts }, { ok: true, attempts: 3 });
    assert.deepEqual(
      fake.requests.filter((r) => r.method === 'PUT').map((r) => [r.activityId, r.status]),
      [
        [sent.activityId, 503],
        [sent.activityId, 429],
        [sent.activityId, 200],
      ],
    );
    assert.deepEqual(fake.activity('19:ops@thread.tacv2', sent.activityId)!.versions.map((v) => v.text), ['Refreshing…', 'Refresh succeeded']);
    const missing = await d.update(ref, '1700000099999', message('x'));
    assert.ok(!missing.ok);
    assert.deepEqual([missing.gone, missing.status, missing.attempts], [true, 404, 1]);
    assert.match(missing.error, /message to update, or the bot, is no longer in this conversation/);
    assert.deepEqual(turnErrors, []);
  });

  it('stops retrying once the caller’s signal fires, and starts nothing after it', async () => {
    fake = await startFakeConnector();
    fake.script('19:ops@thread.tacv2', [503, 503, 503, 503]);
    const d = start({ retry: { maxAttempts: 10, baseMs: 200, maxMs: 200 } });
    const calledOff = new AbortController();
    const pending = d.deliver(refTo(fake, '19:ops@thread.tacv2'), message('x'), { signal: calledOff.signal });
    while (fake.requests.length < 1) await new Promise((r) => setImmediate(r));
    calledOff.abort();
    const result = await pending;
    assert.ok(!result.ok);
    assert.equal(result.gone, false);
    assert.match(result.error, /called off/);
    assert.equal(fake.requests.length, 1, 'no attempt after the signal');
    const before = await d.deliver(refTo(fake, '19:ops@thread.tacv2'), message('y'), { signal: calledOff.signal });
    assert.deepEqual([before.ok, before.attempts], [false, 0]);
    assert.equal(fake.requests.length, 1);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('2', now), 2_000);
    assert.equal(parseRetryAfter('0.5', now), 500);
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:07 GMT', now), 7_000);
    assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});
