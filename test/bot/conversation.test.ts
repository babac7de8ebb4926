// The conversation, end to end in process: Teams-shaped messages from a channel, a 1:1 chat and a
// group chat go through the real HTTP edge, CloudAdapter, parser, router and handlers, the ARM
// client reads the in-process simulator, and the cards arrive at the fake Bot Connector.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { assertValidCard } from '../cards/validateCard';
import type { ReadThroughApi } from '../../bot/core/reader';
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

  it('suggests the closest command once, with a Help button instead of the whole help card', async () => {
    const cards = await ask(channelMessage(h, 'alrets'));
    assert.equal(cards.length, 1, 'one card, not the error and then the whole help');
    const text = cardText(cards[0]!);
    assert.equal(text.match(/did you mean/gi)?.length, 1, text);
    assert.match(text, /did you mean "alerts"\?/);
    assert.deepEqual(buttons(cards[0]!).map((b) => [b.title, b.verb]), [['Help', 'help']]);
  });

  it('answers a mention without a command with the help card alone', async () => {
    const cards = await ask(channelMessage(h, ''));
    assert.equal(cards.length, 1);
    assert.match(cardText(cards[0]!), /PIM Alerts commands/);
    assert.doesNotMatch(cardText(cards[0]!), /did you mean/i);
  });

  it('offers the help of the command whose arguments were wrong, and that button opens it', async () => {
    const [card] = await ask(channelMessage(h, 'subscribe daily 25:00'));
    const help = buttons(card!).find((b) => b.verb === 'help');
    assert.equal(help?.title, 'Help on subscribe');
    const res = await h.post(cardAction(h, help!, { from: ALEX }));
    assert.equal(res.status, 200);
    assertValidCard(res.body.value);
    assert.match(cardText(res.body.value), /^help subscribe$/m);
    assert.match(cardText(res.body.value), /^Schedules$/m);
  });

  it('answers `help subscribe` with the subscribe card, the one the empty subscriptions card points to', async () => {
    const [empty] = await ask(channelMessage(h, 'subscriptions'));
    assert.match(cardText(empty!), /`help subscribe` for every option/);
    const [card] = await ask(channelMessage(h, 'help subscribe'));
    const text = cardText(card!);
    assert.match(text, /^help subscribe$/m);
    assert.match(text, /^weekdays 08:30$/m);
    assert.doesNotMatch(text, /PIM Alerts commands/, 'not the generic help');
  });

  it('says which scope to add to `refresh all`, with the example whole', async () => {
    const [card] = await ask(channelMessage(h, 'refresh all'));
    assert.match(cardText(card!), /Add the scope, e\.g\. `refresh all 1`; type `scopes` to see them\./);
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
    // Earlier tests' answers are still in the read cache: let it run out, as 30 s would.
    for (const s of h.app.config.scopes) (h.app.deps.api as ReadThroughApi).invalidate(s.scope);
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

  it('answers a malformed JSON body with 400 and one sentence', async () => {
    const res = await fetch(`${h.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type": "message", ' });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { error: 'The request body is not valid JSON; send the activity as one JSON object.' });
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

// What the edge reads from a request before anyone is authenticated: nothing but headers, unless
// it is a JSON POST to /api/messages, and then at most the body limit, in memory.
describe('conversation: the HTTP edge reads only what it must', function () {
  const EIGHT_MB = 8 * 1024 * 1024;
  const MAX_BODY = 512 * 1024;

  interface RawAnswer {
    status: number;
    body: string;
    /** Bytes the server's socket read from this connection, headers included. */
    serverBytesRead: number;
  }

  /**
   * Sends a request on a raw socket, its body streamed in 64 KB chunks until the server answers
   * (or the body is all sent), and reports what the server read. A server that reads the whole
   * body before answering shows up as ~8 MB read.
   */
  async function sendRaw(
    h: Harness,
    opts: { method?: string; path?: string; headers: Record<string, string>; bodyBytes: number; chunked?: boolean; prefix?: string; suffix?: string },
  ): Promise<RawAnswer> {
    const server = h.app.server.server as http.Server;
    const port = Number(new URL(h.url).port);
    const accepted: net.Socket[] = [];
    const onConnection = (s: net.Socket) => accepted.push(s);
    server.on('connection', onConnection);
    const client = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
    let response = '';
    let answered = false;
    client.on('data', (d: Buffer) => {
      response += d.toString('latin1');
      answered = true;
    });
    // The server closing the connection while the body is still being sent is the expected end.
    client.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));

    // The body is prefix, bodyBytes of filler, suffix: a well-formed upload or form when they are given.
    const prefix = Buffer.from(opts.prefix ?? '');
    const suffix = Buffer.from(opts.suffix ?? '');
    const total = prefix.length + opts.bodyBytes + suffix.length;
    const headers = { host: 'localhost', ...opts.headers, ...(opts.chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(total) }) };
    client.write(`${opts.method ?? 'POST'} ${opts.path ?? '/api/messages'} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
    const filler = Buffer.alloc(64 * 1024, 'a');
    const pieces = function* () {
      if (prefix.length) yield prefix;
      for (let n = 0; n < opts.bodyBytes; n += filler.length) yield filler.subarray(0, Math.min(filler.length, opts.bodyBytes - n));
      if (suffix.length) yield suffix;
    };
    for (const piece of pieces()) {
      if (answered || client.destroyed) break;
      const framed = opts.chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
      if (!client.write(framed)) await new Promise((resolve) => client.once('drain', resolve).once('close', resolve));
    }
    if (!client.destroyed && opts.chunked && !answered) client.write('0\r\n\r\n');
    if (!answered && !client.destroyed) await new Promise((resolve) => client.once('data', resolve).once('close', resolve));
    client.end();
    await closed;
    server.off('connection', onConnection);
    const ours = accepted.find((s) => s.remotePort === client.localPort);
    assert.ok(ours, 'the server accepted the connection');
    if (!ours.destroyed) await new Promise((resolve) => ours.once('close', resolve));
    const [head = '', body = ''] = response.split('\r\n\r\n');
    return { status: Number(head.split(' ')[1]), body, serverBytesRead: ours.bytesRead };
  }

  const APP_ID = '6e0f5a4b-3c2d-4e1f-9a8b-7c6d5e4f3a10';
  for (const [label, env] of [
    ['without an app id', {}],
    ['with MicrosoftAppId set', { MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'not-a-real-secret-but-long-enough', MicrosoftAppType: 'MultiTenant', HOST: '127.0.0.1' }],
  ] as const) {
    describe(label, function () {
      let h: Harness;
      let tempDir: string;
      const savedTmp = { TMPDIR: process.env.TMPDIR, TMP: process.env.TMP, TEMP: process.env.TEMP };
      before(async () => {
        h = await startHarness({ env });
        // os.tmpdir() follows these variables, so any upload written to "the temp folder" while
        // these tests run lands in this empty folder.
        tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-edge-tmp-'));
        process.env.TMPDIR = process.env.TMP = process.env.TEMP = tempDir;
        assert.equal(os.tmpdir(), tempDir);
      });
      after(async () => {
        for (const [k, v] of Object.entries(savedTmp)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
        fs.rmSync(tempDir, { recursive: true, force: true });
        await h.close();
      });

      // A real file upload and a real form, as a browser would send them.
      for (const [kind, contentType, prefix, suffix] of [
        [
          'multipart/form-data',
          'multipart/form-data; boundary=pim-boundary',
          '--pim-boundary\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n',
          '\r\n--pim-boundary--\r\n',
        ],
        ['form-urlencoded', 'application/x-www-form-urlencoded', 'type=message&text=', ''],
      ] as const) {
        it(`answers an 8 MB ${kind} POST with 415 from its headers: the body is not read and nothing is written to disk`, async () => {
          const res = await sendRaw(h, { headers: { 'content-type': contentType }, bodyBytes: EIGHT_MB, prefix, suffix });
          assert.equal(res.status, 415, `${kind} answered ${res.status}`);
          assert.match(res.body, /Content-Type: application\/json/);
          assert.ok(res.serverBytesRead < 1024 * 1024, `the server read ${res.serverBytesRead} bytes of an 8 MB body`);
          assert.deepEqual(fs.readdirSync(tempDir), [], 'nothing was written to the temp folder');
          assert.equal(h.connector.requests.length, 0);
        });
      }

      it('answers 415 to every other content type, and to none', async () => {
        for (const type of [undefined, 'text/plain', 'application/xml', 'application/json-patch+json', 'text/json', 'application/json; charset=iso-8859-1', 'application/json; charset']) {
          const res = await fetch(`${h.url}/api/messages`, {
            method: 'POST',
            headers: type === undefined ? {} : { 'content-type': type },
            body: type === undefined ? new Uint8Array(Buffer.from('{"type":"message"}')) : '{"type":"message"}',
          });
          assert.equal(res.status, 415, `content type ${type}`);
        }
      });

      it('refuses a JSON body over the limit with 413: a declared length before reading it, an undeclared one at the limit', async () => {
        const declared = await sendRaw(h, { headers: { 'content-type': 'application/json' }, bodyBytes: EIGHT_MB });
        assert.equal(declared.status, 413);
        assert.ok(declared.serverBytesRead < 1024 * 1024, `read ${declared.serverBytesRead} bytes`);
        const chunked = await sendRaw(h, { headers: { 'content-type': 'application/json' }, bodyBytes: EIGHT_MB, chunked: true });
        assert.equal(chunked.status, 413);
        assert.ok(chunked.serverBytesRead >= MAX_BODY && chunked.serverBytesRead < 2 * 1024 * 1024, `read ${chunked.serverBytesRead} bytes`);
        assert.deepEqual(fs.readdirSync(tempDir), []);
      });

      it('takes no body on any other route', async () => {
        for (const [method, route] of [['GET', '/healthz'], ['POST', '/healthz'], ['GET', '/privacy'], ['PUT', '/api/messages'], ['POST', '/upload']] as const) {
          const res = await sendRaw(h, { method, path: route, headers: { 'content-type': 'multipart/form-data; boundary=x' }, bodyBytes: EIGHT_MB });
          assert.equal(res.status, 413, `${method} ${route}`);
          assert.ok(res.serverBytesRead < 1024 * 1024, `${method} ${route} read ${res.serverBytesRead} bytes`);
        }
        assert.deepEqual(fs.readdirSync(tempDir), []);
        assert.equal((await fetch(`${h.url}/healthz`)).status, 200);
      });
    });
  }

  it('accepts application/json in any case, with or without a UTF-8 charset', async () => {
    const h = await startHarness();
    try {
      for (const type of ['application/json', 'Application/JSON', 'application/json; charset=utf-8', 'application/json;charset="UTF-8"', 'APPLICATION/JSON ; CHARSET=utf8']) {
        const res = await h.post(channelMessage(h, 'help'), { 'content-type': type });
        assert.equal(res.status, 200, `content type ${type}`);
      }
      assert.equal(h.cardsIn(channelMessage(h, 'help').conversation.id).length, 5);
    } finally {
      await h.close();
    }
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
