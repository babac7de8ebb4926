// The whole bot, in process, the way it runs: the real composition root (createApp) with its
// restify server, CloudAdapter, SQLite store, ARM client and signer, talking to the in-process PIM
// simulator as ARM and to a recording fake of the Bot Connector service as Teams. Tests post
// Teams-shaped activities (test/fixtures/teams) to /api/messages and read what the bot sent.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App, type AppOverrides } from '../../bot/app';
import { loadConfig, type Config } from '../../bot/config';
import { normalizeScope } from '../../bot/azure/validate';
import { silentLogger } from '../../bot/log';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../sim/server';
import { PLAYGROUND_USER_OBJECT_ID } from '../../sim/seed';
import { startFakeConnector, type FakeConnector, type FakeConnectorOptions } from '../fakes/connector';
import { assertValidCard } from '../cards/validateCard';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');
export const TENANT_ID = '7f3c9a2e-1d4b-4c8e-a6f0-2b5d7e9c1a30';
export const BOT_ID = '28:6e0f5a4b-3c2d-4e1f-9a8b-7c6d5e4f3a10';

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as T;
}

export interface Harness {
  app: App;
  sim: Simulator;
  connector: FakeConnector;
  config: Config;
  url: string;
  dataDir: string;
  /** POSTs an activity to /api/messages; resolves with the HTTP status and parsed body. */
  post(activity: Record<string, unknown>, headers?: Record<string, string>): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Cards the bot sent into a conversation (newest last). */
  cardsIn(conversationId: string): Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /**
   * Holds ARM's answers to every write from now until `release()`: `first` and `second` resolve
   * when the first and the second write have arrived. Reads are answered as usual.
   */
  holdWrites(): HeldWrites;
  close(): Promise<void>;
}

export interface HeldWrites {
  first: Promise<void>;
  second: Promise<void>;
  release(): void;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  sim?: SimulatorOptions;
  overrides?: AppOverrides;
  dataDir?: string;
  /** The fake Bot Connector's options; default no rate limits enforced. */
  connector?: FakeConnectorOptions;
  /**
   * The simulator and connector of an earlier harness, for a second bot on the same Azure and
   * Teams (another instance, or the same bot after a move): this harness leaves them running.
   */
  shared?: Pick<Harness, 'sim' | 'connector'>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  let gate: ((r: { method: string; url: string }) => Promise<void> | void) | undefined;
  // A shared simulator keeps its own hooks: holdWrites works only on a harness's own simulator.
  const sim =
    options.shared?.sim ?? (await startSimulator({ refreshDurationMs: 300, ...options.sim, beforeReply: (r) => gate?.(r) ?? options.sim?.beforeReply?.(r) }));
  const connector = options.shared?.connector ?? (await startFakeConnector({ perConversation: false, global: false, ...options.connector }));
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pim-bot-'));
  const config = loadConfig(
    { PORT: '0', LOG_LEVEL: 'silent', DATA_DIR: dataDir, PIM_TIME_ZONE: 'UTC', PIM_ALLOWED_TENANTS: TENANT_ID, ...options.env },
    { normalizeScope, localEndpoint: sim.url, localScopes: sim.scopes.map((s) => ({ scope: s.id, displayName: s.displayName })) },
  );
  const app = await createApp(config, {
    logger: silentLogger(),
    armOptions: { pollIntervalMs: 100, pollMinIntervalMs: 50, retry: { maxRetries: 1, retryDelayMs: 10, maxRetryDelayMs: 20 } },
    ...options.overrides,
  });
  const { url } = await app.listen();

  return {
    app,
    sim,
    connector,
    config,
    url,
    dataDir,
    async post(activity, headers = {}) {
      const res = await fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(activity),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body };
    },
    cardsIn(conversationId) {
      return connector
        .delivered(conversationId)
        .flatMap((a) => ((a.activity.attachments as Array<{ contentType: string; content: Record<string, unknown> }>) ?? []))
        .filter((att) => att.contentType === 'application/vnd.microsoft.card.adaptive')
        .map((att) => att.content);
    },
    holdWrites() {
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const arrived: Array<() => void> = [];
      const first = new Promise<void>((r) => arrived.push(r));
      const second = new Promise<void>((r) => arrived.push(r));
      let count = 0;
      gate = (r) => {
        if (r.method === 'GET') return undefined;
        arrived[count++]?.();
        return released;
      };
      return {
        first,
        second,
        release() {
          gate = undefined;
          release();
        },
      };
    },
    async close() {
      await app.close();
      if (options.shared) return;
      await connector.close();
      await sim.close();
    },
  };
}

// ---- Teams-shaped activities, built from Microsoft's published payloads ----

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Who {
  id?: string;
  name?: string;
  aadObjectId?: string;
}

export const ALEX: Who = { id: '29:alex-wilber', name: 'Alex Wilber', aadObjectId: PLAYGROUND_USER_OBJECT_ID };

/** A channel message that @mentions the bot (botbuilder-js fixture, Teams' full channel shape). */
export function channelMessage(h: Pick<Harness, 'connector'>, text: string, from: Who = ALEX, tenantId = TENANT_ID): Json {
  const a = fixture<Json>('teams/channel-message-mention-bot.botbuilder-js-fixture.json');
  a.text = `<at>Teams Bot</at> ${text}`;
  a.serviceUrl = h.connector.url;
  a.recipient = { id: BOT_ID, name: 'Teams Bot' };
  a.entities = [{ type: 'mention', mentioned: { id: BOT_ID, name: 'Teams Bot' }, text: '<at>Teams Bot</at>' }];
  a.from = { ...a.from, ...from };
  a.conversation.tenantId = tenantId;
  a.channelData.tenant = { id: tenantId };
  a.id = `msg-${Math.random().toString(36).slice(2)}`;
  delete a.channelData.meeting;
  return a;
}

/** A 1:1 message (Teams docs' "Receive a message" example). */
export function personalMessage(h: Pick<Harness, 'connector'>, text: string, from: Who = ALEX, tenantId = TENANT_ID): Json {
  const a = fixture<Json>('teams/personal-message.docs.json');
  a.text = text;
  a.serviceUrl = h.connector.url;
  a.recipient = { ...a.recipient, id: BOT_ID };
  a.from = { ...a.from, ...from };
  a.channelData = { ...a.channelData, tenant: { id: tenantId } };
  a.conversation = { ...a.conversation, tenantId };
  delete a.attachments;
  a.id = `msg-${Math.random().toString(36).slice(2)}`;
  return a;
}

/** A group chat message that @mentions the bot (botbuilder-js fixture). */
export function groupChatMessage(h: Pick<Harness, 'connector'>, text: string, from: Who = ALEX, tenantId = TENANT_ID): Json {
  const a = fixture<Json>('teams/groupchat-message-mention-bot.botbuilder-js-fixture.json');
  a.text = `<at>Teams Bot</at> ${text}`;
  a.serviceUrl = h.connector.url;
  a.recipient = { id: BOT_ID, name: 'Teams Bot' };
  a.entities = [{ type: 'mention', mentioned: { id: BOT_ID, name: 'Teams Bot' }, text: '<at>Teams Bot</at>' }];
  a.from = { ...a.from, ...from };
  a.conversation = { ...a.conversation, tenantId };
  a.channelData = { ...a.channelData, tenant: { id: tenantId } };
  a.id = `msg-${Math.random().toString(36).slice(2)}`;
  return a;
}

/**
 * The adaptiveCard/action invoke Teams sends when someone clicks an Action.Execute button on a
 * card the bot posted (docs' request format, with the envelope of the conversation it came from).
 */
export function cardAction(
  h: Pick<Harness, 'connector'>,
  button: { verb: string; data: unknown },
  opts: { from?: Who; conversationOf?: Json; cardActivityId?: string; inputs?: Record<string, unknown> } = {},
): Json {
  const a = fixture<Json>('teams/invoke-adaptiveCard-action-manual.docs.json');
  const envelope = opts.conversationOf ?? channelMessage(h, '');
  a.value.action.verb = button.verb;
  a.value.action.data = { ...(button.data as object), ...(opts.inputs ?? {}) };
  a.id = `invoke-${Math.random().toString(36).slice(2)}`;
  a.channelId = 'msteams';
  a.serviceUrl = h.connector.url;
  a.from = { ...envelope.from, ...(opts.from ?? {}) };
  a.recipient = envelope.recipient;
  a.conversation = envelope.conversation;
  a.channelData = envelope.channelData;
  a.replyToId = opts.cardActivityId ?? 'card-activity-1';
  return a;
}

// ---- driving the bot as a person would ----

/** The writes ARM saw (every request but a GET), in order. */
export function writes(h: Pick<Harness, 'sim'>): Array<{ method: string; path: string }> {
  return h.sim.requests.filter((r) => r.method !== 'GET').map((r) => ({ method: r.method, path: r.url.split('?')[0]! }));
}

/** Types `text` in a channel and returns the card the bot answered with. */
export async function cardFor(h: Harness, text: string, from: Who = ALEX): Promise<Json> {
  const msg = channelMessage(h, text, from);
  const before = h.cardsIn(msg.conversation.id).length;
  const res = await h.post(msg);
  assert.equal(res.status, 200);
  const card = h.cardsIn(msg.conversation.id)[before];
  assert.ok(card, `a card answered "${text}"`);
  return card;
}

/** Clicks the card's button with this verb and returns the (valid) card the bot answered with. */
export async function click(h: Harness, card: Json, verb: string, from: Who = ALEX, extra: { inputs?: Record<string, unknown>; pick?: (b: { data: Json }) => boolean } = {}): Promise<Json> {
  const b = buttons(card).find((x) => x.verb === verb && (!extra.pick || extra.pick(x)));
  assert.ok(b, `the card has a ${verb} button (has: ${buttons(card).map((x) => x.verb).join(', ')})`);
  const res = await h.post(cardAction(h, b, { from, inputs: extra.inputs }));
  assert.equal(res.status, 200);
  assert.equal(res.body.type, 'application/vnd.microsoft.card.adaptive');
  assertValidCard(res.body.value);
  return res.body.value;
}

/** Every Action.Execute in a card, depth-first. */
export function buttons(card: Json): Array<{ title: string; verb: string; data: Json }> {
  const out: Array<{ title: string; verb: string; data: Json }> = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Json;
    if (n.type === 'Action.Execute') out.push({ title: n.title, verb: n.verb, data: n.data });
    for (const v of Object.values(n)) walk(v);
  };
  walk(card);
  return out;
}

/**
 * All text shown on a card, joined (for asserting what a person reads): without the invisible
 * zero-width spaces that let long values wrap (cards/format.ts breakable).
 */
export function cardText(card: Json): string {
  const parts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Json;
    if (typeof n.text === 'string') parts.push(n.text);
    if (n.type === 'FactSet' && Array.isArray(n.facts)) for (const f of n.facts) parts.push(`${f.title} ${f.value}`);
    if (typeof n.title === 'string' && n.type?.startsWith?.('Action')) parts.push(n.title);
    for (const [k, v] of Object.entries(n)) if (k !== 'data') walk(v);
  };
  walk(card);
  return parts.join('\n').replace(/\u200b/g, '');
}
