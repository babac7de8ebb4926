// Teams' published rate limits and a sliding-window log that both sides use: the bot's limiter
// asks it "when may the next send go?", the test fake asks it "is this request over a limit?".
// Teams documents the limits as "at most N operations in T seconds", so a sliding window is the
// strictest reading: whatever bucketing the service really uses, a sender that never exceeds a
// sliding window cannot exceed a bucketed one.

export interface RateWindow {
  /** Most operations allowed in any interval of `intervalMs`. */
  limit: number;
  intervalMs: number;
}

/**
 * Per bot per thread ("Send to conversation"): a thread is a 1:1 chat, a group chat or a channel
 * (all of a channel's reply threads share it). Source: Teams platform docs, "Optimize your bot with
 * rate limiting in Teams", per bot per thread limit table.
 */
export const TEAMS_PER_CONVERSATION_WINDOWS: readonly RateWindow[] = Object.freeze([
  { limit: 7, intervalMs: 1_000 },
  { limit: 8, intervalMs: 2_000 },
  { limit: 60, intervalMs: 30_000 },
  { limit: 1_800, intervalMs: 3_600_000 },
]);

/**
 * Global limit per app per tenant. The docs have said 50 requests per second (one revision says
 * 30); 50 is the figure this bot is configured with by default, and it is configurable.
 */
export const TEAMS_GLOBAL_WINDOW: Readonly<RateWindow> = Object.freeze({ limit: 50, intervalMs: 1_000 });
export const TEAMS_GLOBAL_WINDOWS: readonly RateWindow[] = Object.freeze([TEAMS_GLOBAL_WINDOW]);

/** Teams rate-limits a channel as one thread: `19:…@thread.tacv2;messageid=…` counts as the channel. */
export function rateKeyOfConversation(conversationId: string): string {
  const cut = conversationId.indexOf(';messageid=');
  return cut < 0 ? conversationId : conversationId.slice(0, cut);
}

/** Checks that windows are usable: positive integers, so a typo fails at start-up, not at 2 a.m. */
export function validateWindows(windows: readonly RateWindow[], what: string): void {
  for (const w of windows) {
    if (!Number.isInteger(w.limit) || w.limit < 1 || !Number.isFinite(w.intervalMs) || w.intervalMs <= 0) {
      throw new Error(`The ${what} rate window ${JSON.stringify(w)} is invalid; use a whole limit of at least 1 and a positive interval.`);
    }
  }
}

/**
 * Send times of one key, oldest first, kept only as long as the longest window needs them.
 * Times are milliseconds from any monotonic origin.
 */
export class SlidingWindowLog {
  private readonly times: number[] = [];
  private readonly keepMs: number;
  private readonly keepCount: number;

  /** `tolerance` lets each window take that many extra operations (a lenient receiver). */
  constructor(
    private readonly windows: readonly RateWindow[],
    private readonly tolerance = 0,
  ) {
    this.keepMs = Math.max(0, ...windows.map((w) => w.intervalMs));
    this.keepCount = Math.max(0, ...windows.map((w) => w.limit)) + tolerance;
  }

  record(at: number): void {
    this.times.push(at);
    this.prune(at);
  }

  /**
   * Earliest time at which one more operation keeps every window within `limit + tolerance`,
   * with `marginMs` added to each interval (to absorb the jitter between our clock and the
   * receiver's). Returns `now` when the operation may go at once. `share` (0..1] keeps to that
   * part of every limit (at least one), for a sender that shares the windows with others.
   */
  nextAllowedAt(now: number, marginMs = 0, share = 1): number {
    this.prune(now);
    let at = now;
    for (const w of this.windows) {
      const allowed = (share >= 1 ? w.limit : Math.max(1, Math.floor(w.limit * share))) + this.tolerance;
      if (this.times.length < allowed) continue;
      // The operation that must leave the window before one more fits.
      const blocking = this.times[this.times.length - allowed]!;
      at = Math.max(at, blocking + w.intervalMs + marginMs);
    }
    return at;
  }

  /** Operations in the half-open window (now - intervalMs, now]. */
  countWithin(now: number, intervalMs: number): number {
    let n = 0;
    for (let i = this.times.length - 1; i >= 0 && this.times[i]! > now - intervalMs; i--) n++;
    return n;
  }

  /** True when nothing recorded could still count against any window. */
  isIdle(now: number): boolean {
    const last = this.times[this.times.length - 1];
    return last === undefined || last <= now - this.keepMs;
  }

  get size(): number {
    return this.times.length;
  }

  private prune(now: number): void {
    // Entries older than the longest window never matter again, and no window looks further back
    // than its own limit, so both bounds are safe.
    let drop = 0;
    while (drop < this.times.length && this.times[drop]! <= now - this.keepMs) drop++;
    const over = this.times.length - drop - this.keepCount;
    if (over > 0) drop += over;
    if (drop > 0) this.times.splice(0, drop);
  }
}
