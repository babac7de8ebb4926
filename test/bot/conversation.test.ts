// The conversation, end to end in process: Teams-shaped messages from a channel, a 1:1 chat and a
// group chat go through the real HTTP edge, CloudAdapter, parser, router and handlers, the ARM
// client reads the in-process simulator, and the cards arrive at the fake Bot Connector.
import { strict as assert } from 'node:assert';
import { assertValidCard } from '../cards/validateCard';
import { ALEX, buttons, cardAction, cardText, channelMessage, groupChatMessage, personalMessage, startHarness, type Harness } from '../helpers/harness';

describe('conversation: commands answer with cards', function () {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  async function ask(activity: Record<string, any>): Promise<Array<Record<string, any>>> {
    const before = h.cardsIn(activity.conversation.id).length;
    const res = await h.post(activity);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const cards = h.cardsIn(activity.conversation.id).slice(before);
    for (const c of cards) assertValidCard(c as never);
    return cards;
  }

  it('answers `alerts` in a channel with the summary of every configured scope', async () => {
    const [card] = await ask(channelMessage(h, 'alerts'));
    assert.ok(card);
    const text = cardText(card);
    for (const s of h.sim.scopes) assert.ok(text.includes(s.displayName), `summary names ${s.displayName}`);
    assert.match(text, /Too many owners assigned to a resource/);
    assert.ok(buttons(card).some((b) => b.verb === 'details'), 'each alert has a Details button');
  });

  it('answers in a 1:1 chat and in a group chat', async () => {
    const [personal] = await ask(personalMessage(h, 'help'));
    assert.match(cardText(personal!), /subscribe/);
    const [group] = await ask(groupChatMessage(h, 'scopes'));
    assert.match(cardText(group!), /Contoso Production/);
  });

  it('explains one alert by an unambiguous fragment of its name', async () => {
    const [card] = await ask(channelMessage(h, 'alert duplicate'));
    const text = cardText(card!);
    assert.match(text, /Duplicate role created/i);
    assert.match(text, /0645231d-16ba-4ebf-851a-0875df4052bd|Duplicate roles|duplicate/i);
  });

  it('says a fragment is ambiguous and names both owner alerts', async () => {
    const [card] = await ask(channelMessage(h, 'alert owners'));
    const text = cardText(card!);
    assert.match(text, /Too many owners/);
    assert.match(text, /Too many permanent owners/);
  });

  it('suggests the closest command and shows help for an unknown one', async () => {
    const cards = await ask(channelMessage(h, 'alrets'));
    assert.equal(cards.length, 2);
    assert.match(cardText(cards[0]!), /alerts/);
    assert.match(cardText(cards[1]!), /help/);
  });

  it('filters the summary by scope position and severity', async () => {
    const [card] = await ask(channelMessage(h, 'alerts 1 severity medium'));
    const text = cardText(card!);
    assert.match(text, /Contoso Production/);
    assert.doesNotMatch(text, /Contoso Development/);
  });

  it('opens the detail card from the summary Details button', async () => {
    const [summary] = await ask(channelMessage(h, 'alerts 1'));
    const details = buttons(summary!).find((b) => b.verb === 'details')!;
    const res = await h.post(cardAction(h, details, { from: ALEX }));
    assert.equal(res.status, 200);
    assert.equal(res.body.statusCode, 200);
    assert.equal(res.body.type, 'application/vnd.microsoft.card.adaptive');
    assertValidCard(res.body.value);
    assert.match(cardText(res.body.value), /Security impact|How to prevent|Mitigation/i);
  });

  it('shows the configuration read-only with `config`', async () => {
    const [card] = await ask(channelMessage(h, 'config "too many owners assigned to a resource" 1'));
    assert.match(cardText(card!), /threshold/i);
  });

  it('reports an unreadable scope as a warning row, not a failed reply', async () => {
    h.sim.setFaults({ rate500: 1 });
    try {
      const [card] = await ask(channelMessage(h, 'alerts'));
      assert.match(cardText(card!), /Could not read/i);
    } finally {
      h.sim.setFaults({});
    }
  });

  it('refuses text over the length limit with a clear reply', async () => {
    const [card] = await ask(channelMessage(h, `alert ${'x'.repeat(600)}`));
    assert.match(cardText(card!), /too long/i);
  });

  it('refuses a person from another tenant', async () => {
    const [card] = await ask(channelMessage(h, 'alerts', ALEX, '11111111-2222-3333-4444-555555555555'));
    assert.ok(card);
  });
});

describe('conversation: the HTTP edge', function () {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('answers GET /healthz', async () => {
    const res = await fetch(`${h.url}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, 'ok');
  });

  for (const [name, body, type] of [
    ['not JSON', '{"type": "message", ', 'application/json'],
    ['a JSON array', '[1,2,3]', 'application/json'],
    ['an object without a type', '{"text":"hi"}', 'application/json'],
    ['a type that is not an activity type', '{"type":"<script>"}', 'application/json'],
    ['a string', '"message"', 'application/json'],
  ] as const) {
    it(`answers 4xx to ${name} and keeps serving`, async () => {
      const res = await fetch(`${h.url}/api/messages`, { method: 'POST', headers: { 'content-type': type }, body });
      assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}`);
      const ok = await fetch(`${h.url}/healthz`);
      assert.equal(ok.status, 200);
    });
  }

  it('answers 4xx to a message activity with garbage fields', async () => {
    const res = await h.post({ type: 'message', text: 42, conversation: 'x', from: null, serviceUrl: 12 });
    assert.ok(res.status >= 400 && res.status < 600);
    assert.equal((await fetch(`${h.url}/healthz`)).status, 200);
  });
});

describe('conversation: inbound authentication', function () {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      env: {
        MicrosoftAppId: '6e0f5a4b-3c2d-4e1f-9a8b-7c6d5e4f3a10',
        MicrosoftAppPassword: 'not-a-real-secret-but-long-enough',
        MicrosoftAppType: 'MultiTenant',
        HOST: '127.0.0.1',
        PIM_ALLOWED_TENANTS: '7f3c9a2e-1d4b-4c8e-a6f0-2b5d7e9c1a30',
      },
    });
  });
  after(async () => {
    await h.close();
  });

  it('refuses /api/messages without a token when an app id is configured', async () => {
    const res = await h.post(channelMessage(h, 'alerts'));
    assert.equal(res.status, 401);
  });

  it('refuses a forged bearer token', async () => {
    const forged = ['eyJhbGciOiJIUzI1NiJ9', Buffer.from(JSON.stringify({ iss: 'https://api.botframework.com', aud: 'x' })).toString('base64url'), 'c2ln'].join('.');
    const res = await h.post(channelMessage(h, 'alerts'), { authorization: `Bearer ${forged}` });
    assert.equal(res.status, 401);
    assert.equal(h.connector.requests.length, 0, 'nothing was sent to Teams');
  });
});
