// Scheduled digests. Every enabled subscription has a next run computed by croner in its own time
// zone (so 09:00 Europe/Berlin is 08:00Z in winter and 07:00Z in summer); one timer waits for the
// earliest of them, or for the next tick, whichever comes first.
//
// Several instances: each one re-reads the subscriptions from the store every tick (tickMs,
// PIM_SCHEDULER_TICK_SECONDS, at most a minute), so a subscription made, changed or removed on
// one instance is scheduled or dropped by every other within one tick. A run is claimed in the
// store before anything is sent, so each scheduled instant is sent once whichever instances are up.
//
// A run is exactly-once per (subscription, scheduled instant), even with several bot processes on
// one store: the run is claimed in the store before anything is read or sent (claimDigestRun), and
// while it is in progress a short lock (claimAction with a TTL) says someone is on it. A run that
// was claimed but never completed (the process died or was stopped mid-run) is finished by the next
// start — at once by the same owner, or by anyone once its lock has lapsed. The one window left is
// a crash between Teams accepting the message and the store recording it, which sends it again.
//
// All subscriptions due at one instant share one read per scope. Each subscription then diffs
// against the snapshot of its last digest and sends only when its mode says so; the snapshot is
// kept when the digest was sent or skipped as unchanged, never when delivery failed, so the next
// digest still shows what this one could not.
//
// Missed runs: the first scheduled instant after a subscription's last run that passed while the
// bot was down is sent once at start-up when the bot is back within one period of it (before the
// schedule's following instant). Later than that it is stale: nothing is sent for it, and the next
// regular run carries every change since the last digest.
//
// Tenants: a digest goes only to a conversation whose tenant is in PIM_ALLOWED_TENANTS. At each
// tick (the first runs at start-up) a subscription of another tenant is paused (disabled, with a reason that says
// why, and logged), and one paused so is resumed once its tenant is allowed again; a run due in
// between checks the tenant too before it sends anything.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { buildDigestCard, cardAttachment } from '../../cards';
import { nextRun } from '../commands/schedule';
import type { OutgoingActivity } from '../core/conversation';
import { cardContextOf, type Clock, type ServiceDeps } from '../core/deps';
import { readAlertsAcrossScopes, scopeKey, type ScopeAlerts } from '../core/reader';
import { tenantAllowed } from '../security/authorizer';
import type { DeliveryResult } from '../delivery';
import type { Logger } from '../log';
import type { StoredConversationReference, Subscription } from '../store/types';
import { composeDigest, unionOfScopes } from './compose';
import { shouldSend } from './diff';

// Captured at load: a yield to pending I/O must stay real even under a test's fake timers.
const yieldToIo: (fn: () => void) => void = setImmediate;

export type DigestDeliver = (ref: StoredConversationReference, activity: OutgoingActivity) => Promise<DeliveryResult>;

export type RunOutcome =
  /** Delivered. */
  | 'sent'
  /** Nothing changed in 'changes' mode, or the subscription went away before its run. */
  | 'skipped'
  /** Not delivered; the snapshot was kept for the next digest to diff against. */
  | 'failed'
  /** Another process (or an earlier run of this one) had claimed this run. */
  | 'claimedElsewhere'
  /** More than one period late after a downtime: not sent. */
  | 'missed'
  /** Stopped mid-run: left claimed for the next start to finish. */
  | 'interrupted';

export interface RunRecord {
  subscriptionId: string;
  conversationId: string;
  /** The scheduled instant (ISO). */
  runAt: string;
  outcome: RunOutcome;
  /** One sentence: why it was skipped, failed or missed. */
  reason?: string;
  activityId?: string;
}

export interface RunReport {
  runs: RunRecord[];
  /** Scopes read from ARM (one read per scope per instant, however many subscriptions share it). */
  scopesRead: number;
}

export interface DigestService {
  /** Schedules every enabled subscription from the store, finishes interrupted runs and sends missed ones. */
  start(): Promise<void>;
  /** Stops the timer and waits for a run in progress; runs cut short are finished by the next start. */
  stop(): Promise<void>;
  /** Adds or replaces a subscription's schedule (a disabled one is unscheduled). */
  schedule(sub: Subscription): void;
  unschedule(id: string): void;
  /** Runs whatever is due at `now` (default the clock's now); what the timer calls. */
  runDue(now?: number): Promise<RunReport>;
  /** The next planned run of a scheduled subscription. */
  nextRunOf(id: string): Date | undefined;
  /** Resolves when no run is in progress. */
  idle(): Promise<void>;
}

/** setTimeout/clearTimeout, injectable so that fake timers drive the scheduler in tests. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface DigestSchedulerOptions {
  deps: ServiceDeps;
  deliver: DigestDeliver;
  clock?: Clock;
  timers?: Timers;
  logger: Logger;
  /**
   * Who claims runs. It must differ between processes that run at the same time and should stay
   * the same across restarts of one process, so that a restart finishes its own interrupted runs
   * at once. Default: host name and process id.
   */
  owner?: string;
  /** How long a run in progress holds its lock; after that another process may finish it. */
  runLockMs?: number;
  /** How often the subscriptions are re-read from the store (other instances change them too). Default 60 s. */
  tickMs?: number;
  /**
   * Runs claimed at once at one instant. Default 1: a local store answers at once. A remote store
   * (Table Storage) takes a few round trips per claim, so several go at once to keep up with Teams.
   */
  claimConcurrency?: number;
  /**
   * Runs this instance has claimed and not yet finished, at most (default MAX_RUNS_IN_FLIGHT); the
   * next claim waits for one to finish. Claims keep pace with sending, so an instance whose tick
   * comes a moment later still finds runs of a large instant to take, and a process that dies
   * leaves few claimed runs to lapse.
   */
  maxRunsInFlight?: number;
}

/** The longest tick: every instance re-reads the subscriptions at least this often. */
export const MAX_TICK_MS = 60_000;
/** About a second and a half of sending at the tenant's 50 messages a second. */
export const MAX_RUNS_IN_FLIGHT = 64;
/** A run takes seconds; delivery retries can stretch it to minutes. */
export const DEFAULT_RUN_LOCK_MS = 30 * 60_000;

const globalTimers: Timers = {
  // Looked up at call time, so fake timers installed after creation are the ones used.
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Entry {
  sub: Subscription;
  next: Date | null;
}

const lockKey = (subscriptionId: string, runAt: string) => `digest-run:${subscriptionId}:${runAt}`;


/** The ids in an order of this instance's own (a hash of its name and each id), the same on every call. */
function orderOf(owner: string, ids: readonly string[]): string[] {
  const rank = new Map(ids.map((id) => [id, createHash('sha256').update(`${owner}\n${id}`).digest('hex')]));
  return [...ids].sort((a, b) => (rank.get(a)! < rank.get(b)! ? -1 : 1));
}

function tenantPauseReason(tenantId: string | undefined): string {
  return `Paused: this conversation's tenant ${tenantId ?? '(none)'} is not in PIM_ALLOWED_TENANTS; the digest resumes by itself once the tenant is allowed again.`;
}
const iso = (ms: number) => new Date(ms).toISOString();

export function createDigestScheduler(opts: DigestSchedulerOptions): DigestService {
  const { deps, deliver } = opts;
  const clock = opts.clock ?? deps.clock;
  const timers = opts.timers ?? globalTimers;
  const owner = opts.owner ?? `${hostname()}:${process.pid}`;
  const runLockMs = opts.runLockMs ?? DEFAULT_RUN_LOCK_MS;
  const tickMs = Math.min(opts.tickMs ?? MAX_TICK_MS, MAX_TICK_MS);
  const claimConcurrency = Math.max(1, Math.floor(opts.claimConcurrency ?? 1));
  const maxRunsInFlight = Math.max(1, Math.floor(opts.maxRunsInFlight ?? MAX_RUNS_IN_FLIGHT));
  if (!(tickMs > 0)) throw new Error('The scheduler tick must be a positive number of milliseconds.');
  const logger = opts.logger.child({ component: 'digests' });
  const store = deps.store;

  const entries = new Map<string, Entry>();
  /** Runs this process is working on: `subscriptionId runAt`. */
  const inFlight = new Set<string>();
  let handle: unknown;
  let started = false;
  let stopped = false;
  /** When a lock of someone else's interrupted run lapses and it can be finished. */
  let orphanAt: number | undefined;
  /** The tenant of each conversation seen (it never changes), so a tick reads no reference twice. */
  const tenantOf = new Map<string, StoredConversationReference>();
  let chain: Promise<unknown> = Promise.resolve();

  function enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const p = chain.then(fn);
    chain = p.then(
      () => undefined,
      (err: unknown) => logger.error({ err: { message: (err as Error)?.message, stack: (err as Error)?.stack } }, 'a digest run failed unexpectedly'),
    );
    return p;
  }

  function safeNext(sub: Subscription, from: Date): Date | null {
    try {
      return nextRun(sub.cron, sub.timeZone, from);
    } catch (err) {
      logger.warn({ subscription: sub.id, err: { message: (err as Error).message } }, 'a stored digest schedule cannot be evaluated; it will not run');
      return null;
    }
  }

  function firstRunOf(sub: Subscription): Date | null {
    const base = Date.parse(sub.lastRunAt ?? sub.createdAt);
    return safeNext(sub, new Date(Number.isNaN(base) ? clock.now() : base));
  }

  function arm(): void {
    if (handle !== undefined) {
      timers.clearTimeout(handle);
      handle = undefined;
    }
    if (!started || stopped) return;
    let earliest = orphanAt ?? Infinity;
    for (const e of entries.values()) if (e.next && e.next.getTime() < earliest) earliest = e.next.getTime();
    const delay = Math.min(Math.max(0, earliest - clock.now()), tickMs);
    handle = timers.setTimeout(() => {
      handle = undefined;
      void enqueue(tick);
    }, delay);
    (handle as { unref?: () => void } | undefined)?.unref?.();
  }

  function emptyReport(): RunReport {
    return { runs: [], scopesRead: 0 };
  }

  function logReport(report: RunReport): void {
    if (report.runs.length === 0) return;
    const count = (o: RunOutcome) => report.runs.filter((r) => r.outcome === o).length;
    logger.info(
      { sent: count('sent'), skipped: count('skipped'), failed: count('failed'), missed: count('missed'), claimedElsewhere: count('claimedElsewhere'), scopesRead: report.scopesRead },
      'digest runs',
    );
  }

  function tenantOk(ref: StoredConversationReference): boolean {
    return tenantAllowed(ref.conversation.tenantId, deps.config.authz.allowedTenants);
  }

  async function pause(sub: Subscription, ref: StoredConversationReference): Promise<void> {
    entries.delete(sub.id);
    if (!(await store.pauseSubscription(sub.id, 'tenantNotAllowed', tenantPauseReason(ref.conversation.tenantId)))) return;
    logger.warn({ subscription: sub.id, conversationId: sub.conversationId, tenantId: ref.conversation.tenantId }, "paused a digest: its conversation's tenant is not in PIM_ALLOWED_TENANTS");
  }

  /**
   * Takes the subscriptions as the store has them now: new ones (made on another instance too) are
   * scheduled, changed ones rescheduled, removed or disabled ones dropped. A subscription that
   * first appears to a running scheduler counts its runs from no earlier than two ticks ago, so
   * one resumed elsewhere after a long pause does not catch up a run from before.
   */
  function reload(all: readonly Subscription[], now: number, atStart: boolean): void {
    const enabled = new Set<string>();
    const added: string[] = [];
    for (const sub of all) {
      if (!sub.enabled) continue;
      enabled.add(sub.id);
      const known = entries.get(sub.id);
      if (known && known.sub.cron === sub.cron && known.sub.timeZone === sub.timeZone && known.sub.lastRunAt === sub.lastRunAt) {
        known.sub = sub;
        continue;
      }
      if (!known) added.push(sub.id);
      const base = Date.parse(sub.lastRunAt ?? sub.createdAt);
      const from = atStart || known ? base : Math.max(Number.isNaN(base) ? now : base, now - 2 * tickMs);
      entries.set(sub.id, { sub, next: safeNext(sub, new Date(Number.isNaN(from) ? now : from)) });
    }
    const dropped = [...entries.keys()].filter((id) => !enabled.has(id));
    for (const id of dropped) entries.delete(id);
    if (!atStart && (added.length > 0 || dropped.length > 0)) {
      logger.info({ scheduled: added, dropped, subscriptions: entries.size }, 'subscriptions re-read from the store: scheduled new ones, dropped removed ones');
    }
  }

  async function referenceOf(conversationId: string): Promise<StoredConversationReference | undefined> {
    const known = tenantOf.get(conversationId);
    if (known) return known;
    const ref = await store.getConversation(conversationId);
    if (ref) tenantOf.set(conversationId, ref);
    return ref;
  }

  /** Pauses subscriptions whose tenant is not allowed; resumes those paused so whose tenant is allowed again. */
  async function applyTenantPolicy(all: readonly Subscription[]): Promise<void> {
    for (const sub of all) {
      const pausedHere = !sub.enabled && sub.pausedFor === 'tenantNotAllowed';
      if (!sub.enabled && !pausedHere) continue;
      // Without a stored reference the tenant is unknown; the run says so when it cannot send.
      const ref = await referenceOf(sub.conversationId);
      if (!ref) continue;
      if (sub.enabled && !tenantOk(ref)) {
        await pause(sub, ref);
      } else if (pausedHere && tenantOk(ref)) {
        if (await store.resumeSubscription(sub.id, 'tenantNotAllowed')) {
          const resumed: Subscription = { ...sub, enabled: true };
          delete resumed.pausedFor;
          delete resumed.disabledReason;
          // From now on: what was not sent while paused is not caught up.
          entries.set(sub.id, { sub: resumed, next: safeNext(resumed, new Date(clock.now())) });
          logger.info({ subscription: sub.id, conversationId: sub.conversationId, tenantId: ref.conversation.tenantId }, "resumed a digest: its conversation's tenant is allowed again");
        }
      }
    }
  }

  async function tick(atStart = false): Promise<RunReport> {
    const report = emptyReport();
    if (stopped) return report;
    // One read of every subscription (without snapshots) per tick serves both.
    const all = await store.listSubscriptions({ withoutSnapshots: true });
    reload(all, clock.now(), atStart);
    await applyTenantPolicy(all);
    const now = clock.now();
    await finishInterrupted(now, report);
    await runDueAt(now, report);
    logReport(report);
    arm();
    return report;
  }

  /** Sends one subscription's digest from the reads of its run, and records the outcome. */
  async function runOne(sub: Subscription, runAt: string, reads: ReadonlyMap<string, ScopeAlerts>, report: RunReport): Promise<void> {
    const log = logger.child({ subscription: sub.id, runAt });
    const record = (outcome: RunOutcome, extra: { reason?: string; activityId?: string } = {}) => {
      report.runs.push({ subscriptionId: sub.id, conversationId: sub.conversationId, runAt, outcome, ...extra });
      if (outcome === 'sent' || outcome === 'failed') deps.telemetry?.digest(outcome);
    };
    try {
      const ref = await store.getConversation(sub.conversationId);
      if (ref && !tenantOk(ref)) {
        await pause(sub, ref);
        await store.completeDigestRun(sub.id, runAt, 'skipped');
        record('skipped', { reason: tenantPauseReason(ref.conversation.tenantId) });
        return;
      }
      const composed = composeDigest({ scopes: sub.scopes, severity: sub.severity }, sub.label, deps.scopes, reads, sub.lastSnapshot);
      if (!shouldSend(sub.mode, composed.diff)) {
        await store.completeDigestRun(sub.id, runAt, 'skipped', composed.snapshot);
        record('skipped', { reason: 'Nothing changed since the last digest.' });
        return;
      }
      if (!ref) {
        await store.completeDigestRun(sub.id, runAt, 'failed');
        log.warn('no conversation reference is stored for a subscribed conversation; the digest was not sent');
        record('failed', { reason: 'No conversation reference is stored for this conversation.' });
        return;
      }
      if (stopped) {
        record('interrupted');
        return;
      }
      const card = buildDigestCard(composed.input, { ...cardContextOf(deps), now: new Date(clock.now()), timeZone: sub.timeZone });
      const result = await deliver(ref, { type: 'message', attachments: [cardAttachment(card)], summary: String(card.fallbackText ?? 'PIM alerts digest') });
      if (result.ok) {
        await store.completeDigestRun(sub.id, runAt, 'sent', composed.snapshot);
        record('sent', result.activityId !== undefined ? { activityId: result.activityId } : {});
        return;
      }
      if (stopped && !result.gone) {
        // Shutting down cancelled the delivery: the next start finishes this run.
        record('interrupted', { reason: result.error });
        return;
      }
      await store.completeDigestRun(sub.id, runAt, 'failed');
      record('failed', { reason: result.error });
      if (result.gone) {
        const reason = `The bot is no longer in this conversation (${result.status ?? 'gone'}${result.code ? ` ${result.code}` : ''}); add it again and subscribe again.`;
        const disabled = await store.disableSubscriptionsOf(sub.conversationId, reason);
        for (const [id, e] of entries) if (e.sub.conversationId === sub.conversationId) entries.delete(id);
        log.warn({ conversationId: sub.conversationId, status: result.status, code: result.code, disabled }, 'the bot was removed from a subscribed conversation; its subscriptions are disabled');
      } else {
        log.warn({ status: result.status, code: result.code, attempts: result.attempts, error: result.error }, 'a digest could not be delivered');
      }
    } catch (err) {
      log.error({ err: { message: (err as Error).message, stack: (err as Error).stack } }, 'a digest run failed');
      record('failed', { reason: (err as Error).message });
      await store.completeDigestRun(sub.id, runAt, 'failed').catch(() => undefined);
    }
  }

  /**
   * Runs the given subscriptions at one scheduled instant. `taken` runs are already claimed and
   * locked by this process (an interrupted run being finished); the others are claimed here.
   */
  async function runInstant(runAtMs: number, ids: readonly string[], report: RunReport, taken: boolean): Promise<void> {
    const runAt = iso(runAtMs);
    const enabled = new Map((await store.listSubscriptions({ enabledOnly: true })).map((s) => [s.id, s]));
    const candidates = ids.map((id) => enabled.get(id)).filter((s): s is Subscription => s !== undefined);
    if (candidates.length === 0 && !taken) {
      for (const id of ids) entries.delete(id);
      return;
    }
    // The scopes are read once for every subscription due now, while the runs are being claimed;
    // each claimed run then starts as soon as the reads are in, so the first digests go out while
    // the last runs are still being claimed. (A run claimed elsewhere costs nothing: reads are per
    // scope, not per subscription.)
    let reads: Promise<Map<string, ScopeAlerts>> | undefined;
    const readOnce = (): Promise<Map<string, ScopeAlerts>> => {
      if (!reads) {
        const scopes = unionOfScopes(deps.scopes, candidates);
        report.scopesRead += scopes.length;
        reads = readAlertsAcrossScopes(deps.api, scopes).then((r) => new Map(r.map((x) => [scopeKey(x.scope), x])));
      }
      return reads;
    };
    const running: Array<Promise<void>> = [];
    /** Runs started here and not finished (settled either way). */
    const active = new Set<Promise<unknown>>();
    const keys: string[] = [];
    // Claims go claimConcurrency at a time; with several at once (several instances on a remote
    // store) each instance takes the runs in an order of its own, so that two instances mostly
    // claim different runs instead of racing for the same ones.
    const order = claimConcurrency > 1 ? orderOf(owner, ids) : [...ids];
    let next = 0;
    const worker = async (): Promise<void> => {
      let claimedSinceYield = 0;
      while (next < order.length) {
        const id = order[next++]!;
        const sub = enabled.get(id);
        if (!sub) {
          entries.delete(id);
          if (taken) {
            // Deleted or disabled since it was claimed: close the run so it is not picked up again.
            await store.completeDigestRun(id, runAt, 'skipped');
            report.runs.push({ subscriptionId: id, conversationId: '', runAt, outcome: 'skipped', reason: 'The subscription was removed or disabled.' });
          }
          continue;
        }
        while (active.size >= maxRunsInFlight) await Promise.race(active);
        if (!taken) {
          const claimed = (await store.claimDigestRun(id, runAt, owner)) && (await lock(id, runAt)).claimed;
          if (!claimed) {
            report.runs.push({ subscriptionId: id, conversationId: sub.conversationId, runAt, outcome: 'claimedElsewhere' });
            continue;
          }
        }
        const key = `${sub.id} ${runAt}`;
        keys.push(key);
        inFlight.add(key);
        if (stopped) {
          report.runs.push({ subscriptionId: sub.id, conversationId: sub.conversationId, runAt, outcome: 'interrupted' });
          continue;
        }
        // Concurrently: the delivery layer keeps within Teams' limits, and a slow or gone
        // conversation must not hold up the others.
        const run = readOnce().then((byScope) => runOne(sub, runAt, byScope, report));
        running.push(run);
        const settled: Promise<unknown> = run.then(
          (): boolean => active.delete(settled),
          (): boolean => active.delete(settled),
        );
        active.add(settled);
        // A store that answers synchronously (SQLite) would not let sends under way make progress.
        if (++claimedSinceYield % 5 === 0) await new Promise<void>((resolve) => yieldToIo(resolve));
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(claimConcurrency, order.length) }, worker));
      await Promise.all(running);
    } finally {
      for (const k of keys) inFlight.delete(k);
    }
  }

  function lock(subscriptionId: string, runAt: string) {
    return store.claimAction(lockKey(subscriptionId, runAt), { name: `digest scheduler ${owner}` }, iso(clock.now()), runLockMs);
  }

  /** Finishes runs that were claimed but never completed. */
  async function finishInterrupted(now: number, report: RunReport): Promise<void> {
    orphanAt = undefined;
    const runs = await store.listIncompleteDigestRuns();
    const byInstant = new Map<number, string[]>();
    for (const run of runs) {
      if (inFlight.has(`${run.subscriptionId} ${run.runAt}`)) continue;
      const key = lockKey(run.subscriptionId, run.runAt);
      // Our own owner name on a run we are not working on: an earlier life of this process.
      if (run.owner === owner) await store.releaseAction(key);
      const claim = await store.claimAction(key, { name: `digest scheduler ${owner}` }, iso(now), runLockMs);
      if (!claim.claimed) {
        // Someone is on it, or died holding the lock: look again when the lock lapses.
        const lapses = Date.parse(claim.at) + runLockMs;
        if (!Number.isNaN(lapses)) orphanAt = Math.min(orphanAt ?? Infinity, Math.max(lapses, now + 1_000));
        continue;
      }
      const at = Date.parse(run.runAt);
      byInstant.set(at, [...(byInstant.get(at) ?? []), run.subscriptionId]);
      logger.info({ subscription: run.subscriptionId, runAt: run.runAt, previousOwner: run.owner }, 'finishing an interrupted digest run');
    }
    for (const [at, ids] of [...byInstant].sort((a, b) => a[0] - b[0])) await runInstant(at, ids, report, true);
  }

  async function runDueAt(now: number, report: RunReport): Promise<void> {
    const byInstant = new Map<number, string[]>();
    for (const [id, e] of entries) {
      if (!e.next || e.next.getTime() > now) continue;
      const at = e.next.getTime();
      const following = safeNext(e.sub, e.next);
      if (following && following.getTime() <= now) {
        const reason = `The run of ${iso(at)} was missed by more than one period (the next one was due at ${following.toISOString()}), so it was not sent.`;
        report.runs.push({ subscriptionId: id, conversationId: e.sub.conversationId, runAt: iso(at), outcome: 'missed', reason });
        logger.info({ subscription: id, runAt: iso(at) }, 'a digest run missed while the bot was down is too late to send');
      } else {
        byInstant.set(at, [...(byInstant.get(at) ?? []), id]);
      }
      e.next = safeNext(e.sub, new Date(now));
    }
    for (const [at, ids] of [...byInstant].sort((a, b) => a[0] - b[0])) await runInstant(at, ids, report, false);
  }

  return {
    async start() {
      if (started && !stopped) return;
      started = true;
      stopped = false;
      entries.clear();
      reload(await store.listSubscriptions({ enabledOnly: true, withoutSnapshots: true }), clock.now(), true);
      logger.info({ subscriptions: entries.size, owner, tickMs }, 'digest scheduler started');
      // Catch-up work runs in the background: start-up does not wait for ARM and Teams. This first
      // tick also pauses and resumes subscriptions for their tenants before anything is sent.
      void enqueue(() => tick(true));
    },

    async stop() {
      stopped = true;
      arm();
      await chain;
    },

    schedule(sub) {
      if (!sub.enabled) {
        entries.delete(sub.id);
      } else {
        entries.set(sub.id, { sub, next: firstRunOf(sub) });
      }
      arm();
    },

    unschedule(id) {
      entries.delete(id);
      arm();
    },

    runDue(now) {
      return enqueue(async () => {
        const report = emptyReport();
        await runDueAt(now ?? clock.now(), report);
        logReport(report);
        arm();
        return report;
      });
    },

    nextRunOf(id) {
      return entries.get(id)?.next ?? undefined;
    },

    async idle() {
      // A run may enqueue nothing further, but a timer firing meanwhile may: wait until quiet.
      let seen: Promise<unknown>;
      do {
        seen = chain;
        await seen;
      } while (seen !== chain);
    },
  };
}
