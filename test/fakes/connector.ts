// A recording fake of the Bot Connector service that Teams runs, on loopback. The bot's real
// CloudAdapter talks to it through a conversation reference whose serviceUrl is `fake.url`.
// It enforces Teams' published rate limits (sliding windows, the strictest reading of the docs)
// and answers 429 with Retry-After when a request goes over, so a test or the benchmark can prove
// that the bot's own limiter keeps it under them. Failures can be injected: a random share of 5xx,
// a scripted sequence of answers per conversation, an outage of a conversation until a time, and
// conversations the bot was removed from.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  SlidingWindowLog,
  TEAMS_GLOBAL_WINDOWS,
  TEAMS_PER_CONVERSATION_WINDOWS,
  rateKeyOfConversation,
  type RateWindow,
} from '../../bot/delivery/windows';
import { seededRandom } from '../../sim/arm';

export interface ScriptedAnswer {
  status: number;
  /** Retry-After header value as sent (seconds, or an HTTP date). */
  retryAfter?: string | number;
  /** Error code in the `{ error: { code, message } }` body. */
  code?: string;
  message?: string;
}

export interface FakeConnectorOptions {
  /** Per-conversation windows; `false` turns enforcement off. Default: Teams' published ones. */
  perConversation?: readonly RateWindow[] | false;
  /** Per-tenant (app-wide) windows; `false` turns enforcement off. Default: 50 per second. */
  global?: readonly RateWindow[] | false;
  /** Extra operations each window lets through (real Teams buckets are not exact). Default 0. */
  tolerance?: number;
  /** A share (0..1) of admitted writes answered with a 5xx, drawn from a seeded generator. */
  failures?: { share: number; statuses?: readonly number[]; seed?: number };
  /** Monotonic milliseconds for the windows; default performance.now(). */
  now?: () => number;
}

export interface RecordedRequest {
  seq: number;
  method: string;
  path: string;
  conversationId?: string;
  /** The activity id in the path (the one replied to or updated). */
  activityId?: string;
  activity?: Record<string, unknown>;
  /** Wall-clock ms when it arrived. */
  at: number;
  /** Monotonic ms when it arrived (the clock the windows use). */
  t: number;
  status: number;
  /** Id this fake answered with, on success. */
  id?: string;
  retryAfter?: string;
  /** Whether an Authorization header came with it (never its value). */
  authorized: boolean;
  /** Why it failed when it did: throttled, injected, scripted, outage, gone, not-found, bad-request. */
  reason?: 'throttled' | 'injected' | 'scripted' | 'outage' | 'gone' | 'not-found' | 'bad-request';
}

export interface StoredActivity {
  id: string;
  conversationId: string;
  /** Set for replies: the activity id the reply was posted under. */
  replyToId?: string;
  /** Versions in order: [0] as posted, then each update. */
  versions: Array<Record<string, unknown>>;
  /** The latest version. */
  activity: Record<string, unknown>;
}

export interface FakeConnector {
  /** The serviceUrl to put in conversation references (ends with a slash). */
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** Activities posted successfully to a conversation (new messages and replies), oldest first. */
  delivered(conversationId: string): StoredActivity[];
  /** Every successfully posted activity, oldest first. */
  allDelivered(): StoredActivity[];
  /** An activity as it stands now (after updates), or undefined. */
  activity(conversationId: string, activityId: string): StoredActivity | undefined;
  /** Answers the next writes to this conversation with these, in order, before anything else. */
  script(conversationId: string, answers: ReadonlyArray<ScriptedAnswer | number>): void;
  /** Answers every write to the conversation (and its channel threads) as Teams does once the bot is removed. */
  markGone(conversationId: string, status?: 403 | 404): void;
  /** Answers every write to the conversation (and its channel threads) with `status` until `now()` reaches `until`. */
  outage(conversationId: string, until: number, status?: number): void;
  /**
   * Holds the next request to this conversation (and its threads) unanswered until `release()`,
   * so the turn that sent it stays in flight; `arrived` resolves when that request is here.
   */
  hold(conversationId: string): { arrived: Promise<void>; release(): void };
  readonly counts: {
    /** Requests answered 429 by the rate windows. */
    throttled: number;
    /** Requests answered with a randomly injected 5xx. */
    injected: number;
    /** Requests answered from a script. */
    scripted: number;
    /** Requests answered 403/404 because the conversation is gone. */
    gone: number;
    /** Requests answered during an outage. */
    outage: number;
  };
  close(): Promise<void>;
}

const ROUTE = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?\/?$/;

function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}


function tenantOf(activity: Record<string, unknown> | undefined): string {
  const conversation = activity?.conversation as { tenantId?: unknown } | undefined;
  if (typeof conversation?.tenantId === 'string') return conversation.tenantId;
  const channelData = activity?.channelData as { tenant?: { id?: unknown } } | undefined;
  return typeof channelData?.tenant?.id === 'string' ? channelData.tenant.id : '';
}

export async function startFakeConnector(options: FakeConnectorOptions = {}): Promise<FakeConnector> {
  const now = options.now ?? (() => performance.now());
  const tolerance = options.tolerance ?? 0;
  const perConversation = options.perConversation === false ? [] : (options.perConversation ?? TEAMS_PER_CONVERSATION_WINDOWS);
  const global = options.global === false ? [] : (options.global ?? TEAMS_GLOBAL_WINDOWS);
  const failureShare = options.failures?.share ?? 0;
  const failureStatuses = options.failures?.statuses ?? [500, 502, 503, 504];
  const random = seededRandom(options.failures?.seed ?? 0x5eed);

  const requests: RecordedRequest[] = [];
  const conversationLogs = new Map<string, SlidingWindowLog>();
  const tenantLogs = new Map<string, SlidingWindowLog>();
  const scripts = new Map<string, ScriptedAnswer[]>();
  const gone = new Map<string, 403 | 404>();
  const outages = new Map<string, { until: number; status: number }>();
  const holds = new Map<string, { arrive: () => void; released: Promise<void> }>();
  const activities = new Map<string, StoredActivity>(); // key: conversationId + '\n' + id
  const posted: StoredActivity[] = [];
  const counts = { throttled: 0, injected: 0, scripted: 0, gone: 0, outage: 0 };
  let nextId = 1;

  const logOf = (map: Map<string, SlidingWindowLog>, key: string, windows: readonly RateWindow[]) => {
    let log = map.get(key);
    if (!log) {
      log = new SlidingWindowLog(windows, tolerance);
      map.set(key, log);
    }
    return log;
  };

  function handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const t = now();
    const url = new URL(req.url ?? '/', 'http://fake');
    const record: RecordedRequest = {
      seq: requests.length + 1,
      method: req.method ?? 'GET',
      path: url.pathname,
      at: Date.now(),
      t,
      status: 0,
      authorized: typeof req.headers.authorization === 'string' && req.headers.authorization.length > 0,
    };
    requests.push(record);
    const answer = (status: number, payload: string, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(payload);
    };

    const match = ROUTE.exec(url.pathname);
    if (!match) {
      record.reason = 'not-found';
      answer(404, errorBody('NotFound', `The fake connector has no route for ${record.method} ${url.pathname}.`));
      return;
    }
    const conversationId = decodeURIComponent(match[1]!);
    const activityId = match[2] !== undefined ? decodeURIComponent(match[2]) : undefined;
    record.conversationId = conversationId;
    if (activityId !== undefined) record.activityId = activityId;
    const storeKey = (id: string) => `${conversationId}\n${id}`;

    // Reading back an activity is a test aid, not a Bot Connector operation: it is not rate limited.
    if (record.method === 'GET') {
      const stored = activityId !== undefined ? activities.get(storeKey(activityId)) : undefined;
      if (!stored) {
        record.reason = 'not-found';
        answer(404, errorBody('ActivityNotFound', 'No such activity was posted to this conversation.'));
        return;
      }
      answer(200, JSON.stringify(stored.activity));
      return;
    }
    const write =
      (record.method === 'POST') || (record.method === 'PUT' && activityId !== undefined) || (record.method === 'DELETE' && activityId !== undefined);
    if (!write) {
      record.reason = 'not-found';
      answer(405, errorBody('MethodNotAllowed', `${record.method} is not supported on ${url.pathname}.`));
      return;
    }
    let activity: Record<string, unknown> | undefined;
    if (record.method !== 'DELETE') {
      try {
        const parsed: unknown = JSON.parse(body);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        activity = parsed as Record<string, unknown>;
      } catch {
        record.reason = 'bad-request';
        answer(400, errorBody('BadArgument', 'The request body is not a JSON activity.'));
        return;
      }
      record.activity = activity;
    }

    // Rate limits first: Teams counts what reaches it, whatever the outcome.
    const rateKey = rateKeyOfConversation(conversationId);
    const conversationLog = logOf(conversationLogs, rateKey, perConversation);
    const tenantLog = logOf(tenantLogs, tenantOf(activity), global);
    const freeAt = Math.max(conversationLog.nextAllowedAt(t), tenantLog.nextAllowedAt(t));
    if (freeAt > t) {
      counts.throttled++;
      record.reason = 'throttled';
      const seconds = String(Math.max(1, Math.ceil((freeAt - t) / 1000)));
      record.retryAfter = seconds;
      answer(429, errorBody('Throttled', 'Too many requests; retry after the time in Retry-After.'), { 'retry-after': seconds });
      return;
    }
    conversationLog.record(t);
    tenantLog.record(t);

    const goneStatus = gone.get(rateKey);
    if (goneStatus !== undefined) {
      counts.gone++;
      record.reason = 'gone';
      if (goneStatus === 403) answer(403, errorBody('BotNotInConversationRoster', 'The bot is not part of the conversation roster.'));
      else answer(404, errorBody('ConversationNotFound', 'Conversation not found.'));
      return;
    }

    const outage = outages.get(rateKey);
    if (outage && t < outage.until) {
      counts.outage++;
      record.reason = 'outage';
      answer(outage.status, errorBody('ServiceUnavailable', `The service is unavailable (outage answer ${outage.status}).`));
      return;
    }

    const scripted = scripts.get(rateKey)?.shift();
    if (scripted) {
      counts.scripted++;
      record.reason = 'scripted';
      const headers: Record<string, string> = {};
      if (scripted.retryAfter !== undefined) {
        headers['retry-after'] = String(scripted.retryAfter);
        record.retryAfter = String(scripted.retryAfter);
      }
      if (scripted.status < 300) {
        // A scripted success still delivers: fall through to the normal path below.
      } else {
        answer(
          scripted.status,
          errorBody(scripted.code ?? `Http${scripted.status}`, scripted.message ?? `Scripted answer ${scripted.status}.`),
          headers,
        );
        return;
      }
    } else if (failureShare > 0 && random() < failureShare) {
      counts.injected++;
      record.reason = 'injected';
      const status = failureStatuses[Math.floor(random() * failureStatuses.length)] ?? 503;
      answer(status, errorBody('ServiceError', `Injected failure ${status}.`));
      return;
    }

    if (record.method === 'DELETE') {
      const existed = activities.delete(storeKey(activityId!));
      if (!existed) {
        record.reason = 'not-found';
        answer(404, errorBody('ActivityNotFound', 'No such activity was posted to this conversation.'));
        return;
      }
      answer(200, '{}');
      return;
    }
    if (record.method === 'PUT') {
      const stored = activities.get(storeKey(activityId!));
      if (!stored) {
        record.reason = 'not-found';
        answer(404, errorBody('ActivityNotFound', 'No such activity was posted to this conversation.'));
        return;
      }
      const updated = { ...activity!, id: stored.id };
      stored.versions.push(updated);
      stored.activity = updated;
      record.id = stored.id;
      answer(200, JSON.stringify({ id: stored.id }));
      return;
    }
    // POST: a new message, or a reply when the path names an activity. Teams accepts a reply to an
    // id it does not know (botbuilder's proactive sends reply to a made-up continuation id).
    const id = `${1_700_000_000_000 + nextId++}`;
    const stored: StoredActivity = {
      id,
      conversationId,
      ...(activityId !== undefined ? { replyToId: activityId } : {}),
      versions: [{ ...activity!, id }],
      activity: { ...activity!, id },
    };
    activities.set(storeKey(id), stored);
    posted.push(stored);
    record.id = id;
    answer(201, JSON.stringify({ id }));
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = () => {
        try {
          handle(req, Buffer.concat(chunks).toString('utf8'), res);
        } catch (err) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(errorBody('FakeFailure', `The fake connector failed: ${(err as Error).message}`));
        }
      };
      const match = ROUTE.exec(new URL(req.url ?? '/', 'http://fake').pathname);
      const key = match ? rateKeyOfConversation(decodeURIComponent(match[1]!)) : undefined;
      const held = key !== undefined ? holds.get(key) : undefined;
      if (!held) return answer();
      holds.delete(key!);
      held.arrive();
      void held.released.then(answer);
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    delivered: (conversationId) => posted.filter((a) => a.conversationId === conversationId),
    allDelivered: () => [...posted],
    activity: (conversationId, activityId) => activities.get(`${conversationId}\n${activityId}`),
    script(conversationId, answers) {
      const key = rateKeyOfConversation(conversationId);
      const queue = scripts.get(key) ?? [];
      for (const a of answers) queue.push(typeof a === 'number' ? { status: a } : a);
      scripts.set(key, queue);
    },
    markGone(conversationId, status = 403) {
      gone.set(rateKeyOfConversation(conversationId), status);
    },
    outage(conversationId, until, status = 503) {
      outages.set(rateKeyOfConversation(conversationId), { until, status });
    },
    hold(conversationId) {
      let arrive!: () => void;
      let release!: () => void;
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      holds.set(rateKeyOfConversation(conversationId), { arrive, released });
      return { arrived, release };
    },
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Checks a run afterwards: the largest number of accepted writes any window saw, per conversation
 * and per tenant. A test asserts these are within the published limits.
 */
export function peakWindowCounts(
  requests: readonly RecordedRequest[],
  windows: readonly RateWindow[],
  keyOf: (r: RecordedRequest) => string = (r) => rateKeyOfConversation(r.conversationId ?? ''),
): Array<{ window: RateWindow; peak: number; key: string }> {
  const accepted = requests.filter((r) => r.method !== 'GET' && r.status !== 429 && r.reason !== 'not-found' && r.reason !== 'bad-request');
  const byKey = new Map<string, number[]>();
  for (const r of accepted) {
    const k = keyOf(r);
    const list = byKey.get(k) ?? [];
    list.push(r.t);
    byKey.set(k, list);
  }
  return windows.map((window) => {
    let peak = 0;
    let peakKey = '';
    for (const [key, times] of byKey) {
      times.sort((a, b) => a - b);
      let lo = 0;
      for (let hi = 0; hi < times.length; hi++) {
        while (times[lo]! <= times[hi]! - window.intervalMs) lo++;
        if (hi - lo + 1 > peak) {
          peak = hi - lo + 1;
          peakKey = key;
        }
      }
    }
    return { window, peak, key: peakKey };
  });
}
