// The fake Bot Connector as other tests use it: through the real CloudAdapter (send, reply in a
// thread, update a card, delete), read back with GET, and with its limits and failures.
import assert from 'node:assert/strict';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type ConversationReference } from 'botbuilder';
import { peakWindowCounts, startFakeConnector, type FakeConnector } from '../fakes/connector';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CHANNEL = '19:c2a8e4a7b1d94c1f8a3e6b5d7c9f0a12@thread.tacv2';

function ref(fake: FakeConnector, conversationId = CHANNEL): Partial<ConversationReference> {
  return {
    channelId: 'msteams',
    serviceUrl: fake.url,
    conversation: { id: conversationId, conversationType: 'channel', isGroup: true, tenantId: TENANT, name: 'Security Ops' },
    bot: { id: '28:c9e8c047-2a74-40a2-b28a-b162d5f5327c', name: 'PIM Alerts' },
  };
}

describe('fake Bot Connector', () => {
  let fake: FakeConnector;
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  afterEach(() => fake?.close());

  it('records a card update and serves the latest version over GET', async () => {
    fake = await startFakeConnector();
    let id = '';
    await adapter.continueConversationAsync('', ref(fake), async (ctx) => {
      id = (await ctx.sendActivity({ type: 'message', text: 'Dismissing…' }))!.id;
      await ctx.updateActivity({ id, type: 'message', text: 'Dismissed by Ada' });
    });
    const stored = fake.activity(CHANNEL, id);
    assert.ok(stored);
    assert.deepEqual(
      stored.versions.map((v) => v.text),
      ['Dismissing…', 'Dismissed by Ada'],
    );
    const res = await fetch(`${fake.url}v3/conversations/${encodeURIComponent(CHANNEL)}/activities/${id}`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { text: string }).text, 'Dismissed by Ada');
    assert.deepEqual(
      fake.requests.map((r) => [r.method, r.status]),
      [
        ['POST', 201],
        ['PUT', 200],
        ['GET', 200],
      ],
    );
  });

  it('records the thread a reply went to, and answers 404 to an update of an unknown activity', async () => {
    fake = await startFakeConnector();
    const thread = `${CHANNEL};messageid=1700000000123`;
    let updateError: unknown;
    await adapter.continueConversationAsync('', ref(fake, thread), async (ctx) => {
      await ctx.sendActivity({ type: 'message', text: 'Refresh finished.' });
      try {
        await ctx.updateActivity({ id: 'no-such-id', type: 'message', text: 'x' });
      } catch (err) {
        updateError = err;
      }
    });
    const [reply] = fake.delivered(thread);
    assert.ok(reply);
    assert.equal(reply.conversationId, thread);
    const post = fake.requests.find((r) => r.method === 'POST')!;
    // botbuilder posts a proactive message as a reply to its made-up continuation id.
    assert.equal(reply.replyToId, post.activityId);
    assert.equal(post.activity?.replyToId, post.activityId);
    assert.equal((updateError as { statusCode?: number }).statusCode, 404);
  });

  it('deletes an activity', async () => {
    fake = await startFakeConnector();
    await adapter.continueConversationAsync('', ref(fake), async (ctx) => {
      const sent = await ctx.sendActivity({ type: 'message', text: 'temporary' });
      await ctx.deleteActivity(sent!.id);
    });
    const del = fake.requests.find((r) => r.method === 'DELETE');
    assert.equal(del?.status, 200);
    assert.equal(fake.activity(CHANNEL, del!.activityId!), undefined);
  });

  it('answers 429 with Retry-After once a window is full, and a tolerance lets more through', async () => {
    const post = (f: FakeConnector) =>
      fetch(`${f.url}v3/conversations/${encodeURIComponent(CHANNEL)}/activities`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'message', text: 'x', conversation: { id: CHANNEL, tenantId: TENANT } }),
      });
    fake = await startFakeConnector();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await post(fake)).status);
    assert.deepEqual(statuses, [201, 201, 201, 201, 201, 201, 201, 429]);
    const throttled = fake.requests[7]!;
    assert.equal(throttled.retryAfter, '1');
    assert.equal(fake.counts.throttled, 1);
    assert.deepEqual(
      peakWindowCounts(fake.requests, [{ limit: 7, intervalMs: 1000 }]).map((p) => p.peak),
      [7],
      'a 429 does not count as an accepted request',
    );
    await fake.close();

    fake = await startFakeConnector({ tolerance: 1 });
    const lenient: number[] = [];
    for (let i = 0; i < 9; i++) lenient.push((await post(fake)).status);
    assert.deepEqual(lenient.slice(7), [201, 429]);
  });

  it('fails the same requests on every run for a given seed, and marks a conversation gone with 404', async () => {
    const outcomes = async (): Promise<number[]> => {
      fake = await startFakeConnector({ perConversation: false, global: false, failures: { share: 0.3, seed: 7 } });
      const out: number[] = [];
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${fake.url}v3/conversations/c${i}/activities`, { method: 'POST', body: '{"type":"message"}' });
        out.push(res.status);
      }
      await fake.close();
      return out;
    };
    const first = await outcomes();
    assert.deepEqual(await outcomes(), first);
    assert.ok(first.some((s) => s >= 500) && first.some((s) => s === 201));

    fake = await startFakeConnector();
    fake.markGone('a:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQ', 404);
    const res = await fetch(`${fake.url}v3/conversations/a%3A1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQ/activities`, {
      method: 'POST',
      body: '{"type":"message"}',
    });
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { error: { code: 'ConversationNotFound', message: 'Conversation not found.' } });
  });
});
