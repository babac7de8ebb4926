// Keeps proactive sends under Teams' rate limits before Teams has to say 429.
//
// Teams counts a request when it arrives, somewhere between the moment we start it and the moment
// its answer comes back. So a request occupies its place in a window from its START until its
// ANSWER + the window's interval: a limiter that waits for that can never be over a window at the
// service, whatever the network latency, with no guessed margin. It costs about one round trip per
// window turn.
//
// Two levels:
// - Per conversation (keyed by the thread's rate key; channel threads share their channel's): a
//   FIFO with one request in flight, so a conversation's messages go out in order and every earlier
//   request has answered before the next starts. A sliding-window log of answer times (7/1 s,
//   8/2 s, 60/30 s, 1800/h) says when the next may start. This level is a plain promise chain, not
//   a Bottleneck.Group: a Bottleneck instance per conversation costs about 0.3 ms to build and, at
//   1,000 conversations, held the first send back by 0.6 s; and Bottleneck's reservoir refreshes on
//   a fixed clock (60 just before a refresh and 60 just after is 120 within 30 s), while minTime
//   alone would cap a conversation at its slowest window's average rate.
// - Per tenant, app-wide, for one instance (a Bottleneck.Group keyed by tenant id): a reservoir of `limit` places,
//   each given back `interval` after its request answered, plus minTime spacing of interval/limit
//   (20 ms for 50/s) so the tenant's traffic is smooth rather than 50-request bursts, and a cap on
//   requests in flight. The conversation level hands its job to this level once the conversation's
//   windows allow it (what `limiter.chain(global)` does, with the window wait before the hand-off).
// - With several instances (a SharedBudget, budget.ts), the tenant level is the instance's slices
//   of the tenant's budget instead, and the conversation windows are kept to the same share.
import Bottleneck from 'bottleneck';
import { BudgetStoppedError, type SharedBudget, type TenantBudget } from './budget';
import {
  SlidingWindowLog,
  TEAMS_GLOBAL_WINDOW,
  TEAMS_PER_CONVERSATION_WINDOWS,
  rateKeyOfConversation,
  validateWindows,
  type RateWindow,
} from './windows';

export interface DeliveryLimits {
  /** Sliding windows per conversation (per channel, for channel threads). */
  perConversation: readonly RateWindow[];
  /** The window per tenant across the whole app. */
  global: RateWindow;
  /** Added to every window's interval, in ms: room for the service's own clock granularity. */
  marginMs: number;
  /** Most requests in flight at once per tenant. */
  maxInFlight: number;
}

/** Teams' published numbers; see windows.ts for the sources. */
export const TEAMS_DELIVERY_LIMITS: Readonly<DeliveryLimits> = Object.freeze({
  perConversation: TEAMS_PER_CONVERSATION_WINDOWS,
  global: TEAMS_GLOBAL_WINDOW,
  marginMs: 0,
  maxInFlight: 50,
});

export class LimiterStoppedError extends Error {
  override readonly name = 'LimiterStoppedError';
  constructor() {
    super('Delivery was stopped before this message was sent.');
  }
}

/** Timers that `cancelAll` can cut short, so stopping never waits out a backoff or a window. */
export interface Sleeper {
  sleep(ms: number): Promise<void>;
  after(ms: number, fn: () => void): void;
  cancelAll(error: Error): void;
}

export function createSleeper(): Sleeper {
  const sleeping = new Map<ReturnType<typeof setTimeout>, (err: Error) => void>();
  const scheduled = new Set<ReturnType<typeof setTimeout>>();
  return {
    sleep(ms) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          sleeping.delete(timer);
          resolve();
        }, Math.max(0, ms));
        sleeping.set(timer, reject);
      });
    },
    after(ms, fn) {
      const timer = setTimeout(() => {
        scheduled.delete(timer);
        fn();
      }, Math.max(0, ms));
      scheduled.add(timer);
    },
    cancelAll(error) {
      for (const [timer, reject] of sleeping) {
        clearTimeout(timer);
        reject(error);
      }
      sleeping.clear();
      for (const timer of scheduled) clearTimeout(timer);
      scheduled.clear();
    },
  };
}

export interface ConversationTarget {
  conversationId: string;
  tenantId?: string;
}

export interface ConversationLimiter {
  /** Runs `task` (one request) when every window of the conversation and of the tenant allows it. */
  schedule<T>(target: ConversationTarget, task: () => Promise<T>): Promise<T>;
  /** Holds the conversation's next requests until `untilMs` (this limiter's clock), e.g. after a 429. */
  pause(conversationId: string, untilMs: number): void;
  /** This limiter's clock. */
  now(): number;
  readonly limits: Readonly<DeliveryLimits>;
  /** Waiting jobs end with LimiterStoppedError; resolves once running requests have answered. */
  stop(): Promise<void>;
}

export interface LimiterOptions {
  limits?: Partial<DeliveryLimits>;
  /** Monotonic ms; default performance.now(). */
  now?: () => number;
  /**
   * The tenant budget shared with other instances (budget.ts): when given, it replaces this
   * instance's own tenant window, and each conversation window is kept to this instance's share.
   */
  shared?: SharedBudget;
}

export function createLimiter(options: LimiterOptions = {}): ConversationLimiter {
  const limits: DeliveryLimits = { ...TEAMS_DELIVERY_LIMITS, ...options.limits };
  validateWindows(limits.perConversation, 'per-conversation');
  validateWindows([limits.global], 'global');
  if (!(limits.marginMs >= 0)) throw new Error('The rate limit margin must be zero or more milliseconds.');
  if (!Number.isInteger(limits.maxInFlight) || limits.maxInFlight < 1) {
    throw new Error('The limit of requests in flight must be a whole number of at least 1.');
  }
  const now = options.now ?? (() => globalThis.performance.now());
  const shared = options.shared;
  // Resolves (with a no-op release) when the limiter stops, to end waits for a budget place.
  let onStop: () => void = () => undefined;
  const stoppedSignal = new Promise<() => void>((resolve) => (onStop = () => resolve(() => undefined)));
  const timers = createSleeper();
  const logs = new Map<string, SlidingWindowLog>();
  const pausedUntil = new Map<string, number>();
  let stopped = false;
  let scheduled = 0;

  /** Tail of each conversation's FIFO; removed when the conversation has nothing queued. */
  const tails = new Map<string, Promise<void>>();
  const tenants = new Bottleneck.Group({
    maxConcurrent: limits.maxInFlight,
    minTime: limits.global.intervalMs / limits.global.limit,
    reservoir: limits.global.limit,
  });

  const logOf = (key: string) => {
    let log = logs.get(key);
    if (!log) {
      log = new SlidingWindowLog(limits.perConversation);
      logs.set(key, log);
    }
    return log;
  };

  const sweep = () => {
    const t = now();
    for (const [key, log] of logs) if (log.isIdle(t)) logs.delete(key);
    for (const [key, until] of pausedUntil) if (until <= t) pausedUntil.delete(key);
  };

  async function waitForWindows(key: string, share: () => number): Promise<void> {
    const log = logOf(key);
    for (;;) {
      if (stopped) throw new LimiterStoppedError();
      const t = now();
      const at = Math.max(log.nextAllowedAt(t, limits.marginMs, share()), pausedUntil.get(key) ?? t);
      if (at <= t) return;
      await timers.sleep(Math.ceil(at - t));
    }
  }

  /** Runs `job` after every earlier job of the conversation (its FIFO). */
  function onceInOrder<T>(key: string, job: () => Promise<T>): Promise<T> {
    const run = (tails.get(key) ?? Promise.resolve()).then(job);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  }

  /** One request under the shared budget: the conversation's share of its windows, then a place in a slice. */
  async function sendShared<T>(key: string, tenant: TenantBudget, task: () => Promise<T>): Promise<T> {
    let leave: () => void;
    try {
      leave = await tenant.enter();
    } catch (err) {
      throw err instanceof BudgetStoppedError ? new LimiterStoppedError() : err;
    }
    try {
      await waitForWindows(key, () => tenant.share());
      const acquiring = tenant.acquire();
      let release: () => void;
      try {
        release = await Promise.race([acquiring, stoppedSignal]);
      } catch (err) {
        throw err instanceof BudgetStoppedError ? new LimiterStoppedError() : err;
      }
      if (stopped) {
        // A place granted after the stop is handed straight back.
        acquiring.then((r) => r(), () => undefined);
        throw new LimiterStoppedError();
      }
      try {
        return await task();
      } finally {
        logOf(key).record(now());
        release();
      }
    } finally {
      leave();
    }
  }

  return {
    limits,
    now,
    async schedule<T>(target: ConversationTarget, task: () => Promise<T>): Promise<T> {
      if (stopped) throw new LimiterStoppedError();
      if (++scheduled % 1000 === 0) sweep();
      const key = rateKeyOfConversation(target.conversationId);
      if (shared) return onceInOrder(key, () => sendShared(key, shared.tenant(target.tenantId ?? ''), task));
      const tenant = tenants.key(target.tenantId ?? '');
      const job = async (): Promise<T> => {
        await waitForWindows(key, () => 1);
        return tenant.schedule(async () => {
          if (stopped) throw new LimiterStoppedError();
          try {
            return await task();
          } finally {
            // The request has answered, so it arrived before now: its places free up `interval` from now.
            logOf(key).record(now());
            timers.after(limits.global.intervalMs + limits.marginMs, () => {
              void tenant.incrementReservoir(1);
            });
          }
        });
      };
      try {
        return await onceInOrder(key, job);
      } catch (err) {
        if (stopped && err instanceof Bottleneck.BottleneckError) throw new LimiterStoppedError();
        throw err;
      }
    },
    pause(conversationId, untilMs) {
      const key = rateKeyOfConversation(conversationId);
      pausedUntil.set(key, Math.max(untilMs, pausedUntil.get(key) ?? 0));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      onStop();
      timers.cancelAll(new LimiterStoppedError());
      await Promise.all(tenants.limiters().map(({ limiter }) => limiter.stop({ dropWaitingJobs: true }).catch(() => undefined)));
      // Queued conversation jobs now end at once with LimiterStoppedError; wait for them to.
      await Promise.all([...tails.values()]);
    },
  };
}
