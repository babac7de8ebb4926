// Rate-limited, retrying delivery of one activity to one conversation: a new message (`deliver`)
// or an update of one the bot sent (`update`, Teams counts those against the same limits). Every
// attempt goes through the limiter (a retry re-enters it, so it is counted like any send);
// transient answers are retried after Retry-After or an exponential backoff with full jitter; a
// conversation the bot was removed from is reported at once as gone, without holding anyone else
// up. Neither rejects: the caller gets a DeliveryResult to record.
import type { OutgoingActivity } from '../core/conversation';
import type { StoredConversationReference } from '../store/types';
import type { SharedBudget } from './budget';
import { LimiterStoppedError, createLimiter, createSleeper, type ConversationLimiter, type DeliveryLimits } from './limiter';
import { SendError, toSendError } from './sendError';

export type DeliveryResult =
  | { ok: true; activityId?: string; attempts: number }
  | {
      ok: false;
      /** 403/404: the bot is no longer in the conversation (for an update: or the message is gone); its subscriptions should be disabled. */
      gone: boolean;
      status?: number;
      /** Service error code, e.g. BotNotInConversationRoster. */
      code?: string;
      attempts: number;
      /** One sentence for the log/audit. */
      error: string;
    };

export interface RetryOptions {
  /** Attempts in all, the first included. Default 5. */
  maxAttempts?: number;
  /** First backoff ceiling in ms (full jitter: a random delay up to base * 2^(attempt-1)). Default 1000. */
  baseMs?: number;
  /** Largest backoff ceiling in ms. Default 30000. */
  maxMs?: number;
  /** Longest Retry-After honoured; a longer one is cut to this. Default 60000. */
  maxRetryAfterMs?: number;
}

/** The structural subset of pino's Logger that delivery uses. */
export interface DeliveryLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface DeliveryOptions {
  send: (ref: StoredConversationReference, activity: OutgoingActivity) => Promise<{ id?: string }>;
  /** Replaces an activity the bot sent (one request per call, errors as SendError); needed for `update`. */
  update?: (ref: StoredConversationReference, activityId: string, activity: OutgoingActivity) => Promise<void>;
  limits?: Partial<DeliveryLimits>;
  /** The Teams budget shared with other instances (limiter.ts, budget.ts); default this instance's own. */
  shared?: SharedBudget;
  retry?: RetryOptions;
  /** Monotonic ms for the limiter; default performance.now(). */
  now?: () => number;
  /** Waits between attempts; default a timer that stop() cancels. */
  sleep?: (ms: number) => Promise<void>;
  /** [0, 1) for the jitter; default Math.random. */
  random?: () => number;
  logger?: DeliveryLogger;
}

/** Per call: a signal that ends the retries (no further attempt starts once it fires). */
export interface DeliverOptions {
  signal?: AbortSignal;
}

export interface Delivery {
  deliver(ref: StoredConversationReference, activity: OutgoingActivity, options?: DeliverOptions): Promise<DeliveryResult>;
  /** Replaces the activity `activityId` with `activity`, with the same limits and retries as `deliver`. */
  update(ref: StoredConversationReference, activityId: string, activity: OutgoingActivity, options?: DeliverOptions): Promise<DeliveryResult>;
  /** Waiting deliveries end with { ok: false, error: 'stopped…' }; resolves when running sends finish. */
  stop(): Promise<void>;
  readonly limiter: ConversationLimiter;
}

/** What Teams asks bots to retry (its rate-limit guidance) plus 503 and network failures. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([412, 429, 502, 503, 504]);
/** The bot was removed from the conversation, or the conversation no longer exists. */
export const GONE_STATUSES: ReadonlySet<number> = new Set([403, 404]);

function describe(e: SendError): string {
  if (e.status !== undefined) return `${e.status}${e.code ? ` ${e.code}` : ''}`;
  return e.code ? `a network failure (${e.code})` : 'a failure without an answer';
}

export function createDelivery(options: DeliveryOptions): Delivery {
  const maxAttempts = Math.max(1, Math.floor(options.retry?.maxAttempts ?? 5));
  const baseMs = options.retry?.baseMs ?? 1_000;
  const maxMs = options.retry?.maxMs ?? 30_000;
  const maxRetryAfterMs = options.retry?.maxRetryAfterMs ?? 60_000;
  const random = options.random ?? Math.random;
  const limiter = createLimiter({ ...(options.limits ? { limits: options.limits } : {}), ...(options.now ? { now: options.now } : {}), ...(options.shared ? { shared: options.shared } : {}) });
  const sleeper = createSleeper();
  const sleep = options.sleep ?? ((ms: number) => sleeper.sleep(ms));
  const log = options.logger;
  let stopped = false;

  const backoff = (attempt: number) => Math.floor(random() * Math.min(maxMs, baseMs * 2 ** (attempt - 1)));

  /** Resolves after `ms`; false (at once) when stopped or the signal fires first. */
  async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
    if (!signal) return sleep(ms).then(() => true, () => false);
    if (signal.aborted) return false;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<false>((resolve) => {
      onAbort = () => resolve(false);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([sleep(ms).then(() => true, () => false), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort!);
    }
  }

  async function attemptUntilDone(
    kind: 'send' | 'update',
    ref: StoredConversationReference,
    signal: AbortSignal | undefined,
    request: () => Promise<{ id?: string } | void>,
  ): Promise<DeliveryResult> {
    const conversationId = ref.conversation.id;
    const target = { conversationId, ...(ref.conversation.tenantId ? { tenantId: ref.conversation.tenantId } : {}) };
    for (let attempt = 1; ; attempt++) {
      if (stopped) return { ok: false, gone: false, attempts: attempt - 1, error: new LimiterStoppedError().message };
      if (signal?.aborted) return { ok: false, gone: false, attempts: attempt - 1, error: 'The delivery was called off before it succeeded.' };
      let failure: SendError;
      try {
        const response = (await limiter.schedule(target, request)) ?? {};
        return { ok: true, attempts: attempt, ...(response.id ? { activityId: response.id } : {}) };
      } catch (err) {
        if (err instanceof LimiterStoppedError) return { ok: false, gone: false, attempts: attempt - 1, error: err.message };
        failure = toSendError(err, Date.now());
      }
      const base = { ...(failure.status !== undefined ? { status: failure.status } : {}), ...(failure.code ? { code: failure.code } : {}) };
      if (failure.status !== undefined && GONE_STATUSES.has(failure.status)) {
        if (kind === 'update') {
          log?.warn({ conversationId, status: failure.status, code: failure.code }, 'The message to update, or the bot, is no longer in the conversation');
          return { ok: false, gone: true, ...base, attempts: attempt, error: `Teams answered ${describe(failure)}: the message to update, or the bot, is no longer in this conversation.` };
        }
        log?.warn({ conversationId, status: failure.status, code: failure.code }, 'The bot is no longer in the conversation');
        return {
          ok: false,
          gone: true,
          ...base,
          attempts: attempt,
          error: `Teams answered ${describe(failure)}: the bot is no longer in this conversation, so nothing can be sent to it.`,
        };
      }
      const retryable = failure.status !== undefined ? RETRYABLE_STATUSES.has(failure.status) : failure.network;
      if (!retryable) {
        log?.warn({ conversationId, status: failure.status, code: failure.code, attempt }, 'A send was refused and will not be retried');
        return { ok: false, gone: false, ...base, attempts: attempt, error: failure.message };
      }
      if (attempt >= maxAttempts) {
        log?.warn({ conversationId, status: failure.status, code: failure.code, attempts: attempt }, 'A send failed on every attempt');
        return {
          ok: false,
          gone: false,
          ...base,
          attempts: attempt,
          error: `The message was not delivered after ${attempt} attempts; the last answer was ${describe(failure)}.`,
        };
      }
      const delay = failure.retryAfterMs !== undefined ? Math.min(failure.retryAfterMs, maxRetryAfterMs) : backoff(attempt);
      // Teams' 429 is about this conversation or this tenant: hold the conversation's later
      // messages too, so they do not walk into the same wall.
      if (failure.status === 429) limiter.pause(conversationId, limiter.now() + delay);
      log?.debug({ conversationId, status: failure.status, code: failure.code, attempt, delayMs: delay }, 'Retrying a send');
      if (!(await pause(delay, signal))) {
        const error = stopped ? new LimiterStoppedError().message : 'The delivery was called off before it succeeded.';
        return { ok: false, gone: false, ...base, attempts: attempt, error };
      }
    }
  }

  return {
    deliver: (ref, activity, callOptions = {}) => attemptUntilDone('send', ref, callOptions.signal, () => options.send(ref, activity)),
    async update(ref, activityId, activity, callOptions = {}) {
      const update = options.update;
      if (!update) throw new Error('This delivery was built without an update function; pass `update` to createDelivery.');
      return attemptUntilDone('update', ref, callOptions.signal, () => update(ref, activityId, activity));
    },
    limiter,
    async stop() {
      stopped = true;
      sleeper.cancelAll(new LimiterStoppedError());
      await limiter.stop();
    },
  };
}
