// The conversation, end to end in process: Teams-shaped messages from a channel, a 1:1 chat and a
// group chat go through the real HTTP edge, CloudAdapter, parser, router and handlers, the ARM
// client reads the in-process simulator, and the cards arrive at the fake Bot Connector.
import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
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
    assert.match(cardText(card!), /at most 500 characters/);
  });

  it('refuses a person from another tenant without reading Azure', async () => {
    const reads = h.sim.requests.length;
    const [card] = await ask(channelMessage(h, 'alerts', ALEX, '11111111-2222-3333-4444-555555555555'));
    assert.match(cardText(card!), /your tenant is not one of them/);
    assert.equal(h.sim.requests.length, reads);
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

  it('serves the about, privacy and terms pages the Teams manifest links to', async () => {
    for (const path of ['/', '/privacy', '/terms']) {
      const res = await fetch(`${h.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await res.text(), /<h1>/);
    }
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
  // A stand-in for the Bot Framework's OpenID metadata and signing keys, on loopback: the bot
  // checks inbound tokens against these keys exactly as it does against Microsoft's.
  const APP_ID = '6e0f5a4b-3c2d-4e1f-9a8b-7c6d5e4f3a10';
  const trusted = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const forger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let keys: http.Server;
  let h: Harness;

  function jwt(key: KeyObject, claims: Record<string, unknown>): string {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const head = b64({ alg: 'RS256', typ: 'JWT', kid: 'trusted-key' });
    const body = b64(claims);
    const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(key).toString('base64url');
    return `${head}.${body}.${sig}`;
  }
  function claims(serviceUrl: string): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return { iss: 'https://api.botframework.com', aud: APP_ID, serviceurl: serviceUrl, nbf: now - 60, exp: now + 600 };
  }

  before(async () => {
    const jwk = { ...trusted.publicKey.export({ format: 'jwk' }), kid: 'trusted-key', kty: 'RSA', use: 'sig', endorsements: ['msteams'] };
    keys = http.createServer((req, res) => {
      const origin = `http://127.0.0.1:${(keys.address() as AddressInfo).port}`;
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/openid')) res.end(JSON.stringify({ issuer: 'https://api.botframework.com', jwks_uri: `${origin}/keys` }));
      else res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => keys.listen(0, '127.0.0.1', r));
    h = await startHarness({
      env: {
        MicrosoftAppId: APP_ID,
        MicrosoftAppPassword: 'not-a-real-secret-but-long-enough',
        MicrosoftAppType: 'MultiTenant',
        HOST: '127.0.0.1',
        BotOpenIdMetadata: `http://127.0.0.1:${(keys.address() as AddressInfo).port}/openid`,
      },
    });
  });
  after(async () => {
    await h.close();
    await new Promise((r) => keys.close(r));
  });

  it('refuses /api/messages without a token when an app id is configured', async () => {
    const res = await h.post(channelMessage(h, 'alerts'));
    assert.equal(res.status, 401);
  });

  it('refuses a token signed by anyone but the Bot Framework, and sends nothing', async () => {
    const msg = channelMessage(h, 'alerts');
    const res = await h.post(msg, { authorization: `Bearer ${jwt(forger.privateKey, claims(msg.serviceUrl))}` });
    assert.equal(res.status, 401);
    assert.equal(h.connector.requests.length, 0);
  });

  it('accepts a genuine Bot Framework token (so the refusals here are about the token)', async () => {
    const msg = channelMessage(h, 'help');
    const res = await h.post(msg, { authorization: `Bearer ${jwt(trusted.privateKey, claims(msg.serviceUrl))}` });
    assert.equal(res.status, 200);
  });

  it('refuses a genuine signature for another bot (wrong audience)', async () => {
    const msg = channelMessage(h, 'alerts');
    const res = await h.post(msg, { authorization: `Bearer ${jwt(trusted.privateKey, { ...claims(msg.serviceUrl), aud: '00000000-1111-2222-3333-444444444444' })}` });
    assert.equal(res.status, 401);
  });
});
