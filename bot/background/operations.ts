// Refreshes outlive the click that started them. Each one is a small state machine kept in the
// store, one step at a time (store/types.ts, OperationStep):
//   started → polling → outcomeKnown → reporting → reported | gone | gaveUp
// The outcome is stored the moment ARM gives it, before anything is said about it, so a process
// that takes the refresh over later reports what was seen, never a fresh guess. After it, each
// task (audit row, release of the refresh claim, card update, thread reply) is recorded as soon as
// it is done, so a restart repeats none of them. The one thing that can still happen twice is a
// reply whose POST was in flight at the instant the process died: Teams may have posted it
// without the bot recording it.
//
// One process works on a refresh at a time: the one holding its lease, renewed on its own beat
// while it polls and while it reports (which may take hours when Teams is down). Every store
// write is conditioned on holding the lease, so a process that stalled and lost it changes
// nothing. The owner name says "this process slot": host:port when the port is fixed (two live
// processes cannot listen on one host and port), so a restart takes its own refreshes back at
// once; a periodic sweep hands refreshes of a dead instance to a live one once their lease lapses.
import { randomUUID } from 'node:crypto';
import type { OperationResult } from '../azure/api';
import { isTransientFailure } from '../azure/errors';
import { backoffMs } from '../azure/pipeline';
import { systemClock } from '../azure/transport';
import type { ServiceDeps } from '../core/deps';
import type { Proactive } from '../edge/proactive';
import type { Logger } from '../log';
import type { OperationEnd, OutcomeTask, PendingOperation } from '../store/types';
import { describeRefreshOutcome, type RefreshOutcomeText } from '../../cards';
import type { Alert } from '../azure/models';
import { detailCard, summaryCard } from '../handlers/read';
import { audit } from '../core/audit';

export interface OperationTracker {
  /** Starts working on a stored refresh (unless this process already is). */
  track(id: string): void;
  /** Resumes every refresh that has not ended (start-up); one held by a live process is retried when its lease ends. */
  resumeAll(): Promise<void>;
  /** resumeAll, then a sweep every `sweepMs` for refreshes whose lease has lapsed. Call once the port is bound. */
  start(): Promise<void>;
  /** Resolves when nothing is in flight (tests, shutdown). */
  idle(): Promise<void>;
  /** Stops polling and reporting and hands this process's leases over at once. */
  stop(): Promise<void>;
}

/** Exponential backoff with jitter between `baseMs` and `maxMs` (azure/pipeline's backoffMs). */
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

export interface TrackerOptions {
  deps: ServiceDeps;
  proactive: Proactive;
  logger: Logger;
  /** This process in leases: host:port when the port is fixed (app.ts builds it). Default: random. */
  owner?: string;
  /** Default 60 s. */
  leaseMs?: number;
  /** How often to look for refreshes whose lease lapsed. Default 30 s. */
  sweepMs?: number;
  /** How long after the outcome the bot keeps trying to report it. Default 24 h. */
  reportGiveUpMs?: number;
  /** Between polls that failed transiently (429, 5xx, no answer, timeout). Default 1 s .. 30 s. */
  pollRetry?: Backoff;
  /** Between rounds of reporting (each round is one delivery with its own retries). Default 5 s .. 5 min. */
  reportRetry?: Backoff;
  /** Every wait of the tracker; rejects with an AbortError when the signal fires. Default real timers, looked up at call time (so fake timers apply). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** [0, 1) for the backoff jitter. Default Math.random. */
  random?: () => number;
}

/** A retry waits this much past the other holder's lease end, so it does not arrive just before it. */
const LEASE_RETRY_MARGIN_MS = 250;
/** A process that starts polling after the deadline still looks once, so what it reports was seen. */
const LAST_LOOK_MS = 30_000;

/** This process no longer holds the lease: another one works on the refresh now. */
class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor() {
    super('Another process holds the lease on this refresh now.');
  }
}

/** What a person reads about a refresh's outcome; `after` is the scope's (or the alert's) state read after the scan. */
export function outcomeText(op: PendingOperation, result: OperationResult, scopeLabel: string, after?: readonly Alert[]): RefreshOutcomeText {
  return describeRefreshOutcome({
    outcome: result.outcome,
    durationMs: result.durationMs,
    status: result.status,
    details: result.details,
    requester: op.requester.name,
    scopeLabel,
    alertId: op.handle.alertId,
    before: op.activeBefore,
    after,
  });
}

export function createOperationTracker(opts: TrackerOptions): OperationTracker {
  const { deps, proactive, logger } = opts;
  const owner = opts.owner ?? randomUUID();
  const leaseMs = opts.leaseMs ?? 60_000;
  const sweepMs = opts.sweepMs ?? 30_000;
  const reportGiveUpMs = opts.reportGiveUpMs ?? 24 * 3600_000;
  const pollRetry = opts.pollRetry ?? { baseMs: 1_000, maxMs: 30_000 };
  const reportRetry = opts.reportRetry ?? { baseMs: 5_000, maxMs: 5 * 60_000 };
  const sleep = opts.sleep ?? systemClock.sleep;
  const random = opts.random ?? Math.random;
  const inFlight = new Map<string, Promise<void>>();
  /** Operations whose lease this process holds, so a planned stop can hand them over at once. */
  const held = new Set<string>();
  /** Operations waiting for another process's lease to end. */
  const retrying = new Set<string>();
  const abort = new AbortController();
  let sweeping: Promise<void> | undefined;
  let stopped = false;

  const now = () => deps.clock.now();
  const iso = (ms: number) => new Date(ms).toISOString();

  async function lease(id: string): Promise<boolean> {
    const t = now();
    return deps.store.leasePendingOperation(id, owner, iso(t + leaseMs), iso(t));
  }

  /** Renews the lease right before a request that must not be made twice; throws if it is lost. */
  async function keepLease(id: string): Promise<void> {
    if (!(await lease(id))) throw new LeaseLostError();
  }

  /** Renews the lease every third of its length until `signal` fires; aborts `lost` when another process has it. */
  async function heartbeat(id: string, log: Logger, lost: AbortController, signal: AbortSignal): Promise<void> {
    for (;;) {
      try {
        await sleep(Math.max(1, Math.floor(leaseMs / 3)), signal);
      } catch {
        return;
      }
      try {
        if (!(await lease(id))) {
          lost.abort();
          return;
        }
      } catch (err) {
        log.warn({ err: { message: (err as Error).message } }, 'could not renew the refresh lease');
      }
    }
  }

  /** When to try again for an operation another process holds: just after its lease runs out. */
  function retryDelay(op: PendingOperation): number {
    const until = op.leaseUntil ? Date.parse(op.leaseUntil) : NaN;
    if (Number.isNaN(until)) return leaseMs;
    return Math.min(leaseMs, Math.max(LEASE_RETRY_MARGIN_MS, until - now() + LEASE_RETRY_MARGIN_MS));
  }

  function scheduleRetry(id: string, delay: number): void {
    if (stopped || retrying.has(id)) return;
    retrying.add(id);
    sleep(delay, abort.signal).then(
      () => {
        retrying.delete(id);
        track(id);
      },
      () => retrying.delete(id),
    );
  }

  /** Polls until ARM gives a terminal state or the deadline passes; transient failures are retried. */
  async function pollToOutcome(op: PendingOperation, signal: AbortSignal, log: Logger): Promise<OperationResult> {
    const configured = Date.parse(op.handle.startedAt) + deps.config.pollDeadlineMs;
    const deadline = now() < configured ? configured : now() + LAST_LOOK_MS;
    let last = op.handle.initial;
    for (let attempt = 0; ; attempt++) {
      try {
        // What was last seen travels with the retry, so a deadline reached in a storm reports it.
        const handle = last ? { ...op.handle, initial: last } : op.handle;
        return await deps.api.pollOperation(handle, { deadline, abortSignal: signal, onProgress: (l) => (last = l) });
      } catch (err) {
        if (signal.aborted) throw err;
        if (!isTransientFailure(err)) {
          log.warn({ err: { message: (err as Error).message } }, 'polling a refresh failed');
          return {
            outcome: 'failed',
            details: [{ statusDetail: `I could not check the scan: ${(err as Error).message}` }],
            durationMs: now() - Date.parse(op.handle.startedAt),
            polls: 0,
          };
        }
        // Past the deadline the next pollOperation answers timedOut at once, with `last`.
        const wait = Math.min(backoffMs(attempt, pollRetry.baseMs, pollRetry.maxMs, random), deadline - now());
        log.warn({ err: { message: (err as Error).message }, attempt: attempt + 1, retryInMs: Math.max(0, wait) }, 'polling a refresh failed for now; trying again');
        if (wait > 0) await sleep(wait, signal);
      }
    }
  }

  function scopeOf(op: PendingOperation) {
    return deps.scopes.find((s) => s.scope.toLowerCase() === op.handle.scope.toLowerCase()) ?? { scope: op.handle.scope };
  }

  /** The scope's alerts (or the refreshed alert) after the scan; undefined when they cannot be read now. */
  async function stateAfter(op: PendingOperation, log: Logger): Promise<readonly Alert[] | undefined> {
    try {
      return op.handle.alertId ? [await deps.api.getAlert(op.handle.scope, op.handle.alertId)] : await deps.api.listAlerts(op.handle.scope);
    } catch (err) {
      log.warn({ err: { message: (err as Error).message } }, 'could not read the alerts after the scan; the report says only the outcome');
      return undefined;
    }
  }

  /** Reports until the reply and the card update are both done, the conversation is gone, or the give-up time passes. */
  async function report(
    op: PendingOperation,
    outcome: OperationResult,
    told: RefreshOutcomeText,
    outcomeAt: number,
    done: PendingOperation['tasksDone'],
    signal: AbortSignal,
    log: Logger,
  ): Promise<OperationEnd> {
    const scope = scopeOf(op);
    const text = told.reply;
    const style = outcome.outcome === 'succeeded' ? 'good' : outcome.outcome === 'canceled' ? 'accent' : 'attention';
    const giveUpAt = outcomeAt + reportGiveUpMs;
    const mark = async (task: OutcomeTask) => {
      if (!(await deps.store.markOutcomeTaskDone(op.id, owner, task, iso(now())))) throw new LeaseLostError();
      done[task] = iso(now());
    };
    const calledOff = () => {
      if (signal.aborted) throw signal.reason ?? new LeaseLostError();
    };
    if (op.step !== 'reporting' && !(await deps.store.markOperationStep(op.id, owner, 'reporting', iso(now())))) throw new LeaseLostError();

    for (let round = 0; ; round++) {
      // The card update is a PUT of the whole card: applying it again is harmless, so it is
      // retried on its own, whatever happens to the reply.
      if (op.cardActivityId && !done.updateCard) {
        await keepLease(op.id);
        try {
          const banner = { text: told.banner, style } as const;
          const view = op.handle.alertId
            ? await detailCard(deps, scope, op.handle.alertId, { banner })
            : await summaryCard(deps, { scope: scope.scope, byId: true, banner });
          const result = await proactive.updateCard(op.conversation, op.cardActivityId, view.card, { signal });
          calledOff();
          if (result.ok) await mark('updateCard');
          else if (result.gone) {
            log.warn({ status: result.status }, 'the refreshed card is gone, so it cannot show the outcome');
            await mark('updateCard');
          } else log.warn({ error: result.error, round: round + 1 }, 'could not update the refreshed card yet');
        } catch (err) {
          if (err instanceof LeaseLostError || signal.aborted) throw err;
          log.warn({ err: { message: (err as Error).message }, round: round + 1 }, 'could not update the refreshed card yet');
        }
      }
      if (!done.reply) {
        // Renewed right before the POST: the only send that is not idempotent.
        await keepLease(op.id);
        const result = await proactive.replyInThread(op.conversation, op.replyToId, { text }, { signal });
        calledOff();
        if (result.ok) await mark('reply');
        else if (result.gone) {
          log.warn({ status: result.status }, 'the bot is no longer in the conversation, so the refresh outcome was not posted');
          return 'gone';
        } else log.warn({ error: result.error, round: round + 1 }, 'could not post the refresh outcome yet');
      }
      if (done.reply && (done.updateCard || !op.cardActivityId)) return 'reported';
      const left = giveUpAt - now();
      if (left <= 0) {
        log.error({ outcome: outcome.outcome, rounds: round + 1, replyPosted: !!done.reply, cardUpdated: !!done.updateCard }, 'gave up reporting a refresh outcome: Teams did not take it before the give-up time');
        return 'gaveUp';
      }
      await sleep(Math.min(backoffMs(round, reportRetry.baseMs, reportRetry.maxMs, random), left), signal);
    }
  }

  async function run(id: string): Promise<void> {
    const seen = await deps.store.getPendingOperation(id);
    if (!seen || seen.finishedAt) return;
    if (!(await lease(id))) {
      // Another process holds the lease; if it died, the lease runs out and this one takes over.
      scheduleRetry(id, retryDelay(seen));
      return;
    }
    held.add(id);
    const log = logger.child({ operation: id, scope: seen.handle.scope, alertId: seen.handle.alertId });
    if (seen.leaseOwner && seen.leaseOwner !== owner) log.info({ previousOwner: seen.leaseOwner }, 'took over a refresh whose lease had lapsed');
    // Read again now that the lease is ours: what the last holder did before it is all in here.
    const op = (await deps.store.getPendingOperation(id))!;
    const lost = new AbortController();
    const finished = new AbortController();
    const signal = AbortSignal.any([abort.signal, lost.signal]);
    const beating = heartbeat(id, log, lost, AbortSignal.any([signal, finished.signal]));
    try {
      let outcome = op.outcome;
      let outcomeAt = op.outcomeAt ? Date.parse(op.outcomeAt) : now();
      if (!outcome) {
        if (!(await deps.store.markOperationStep(id, owner, 'polling', iso(now())))) throw new LeaseLostError();
        const seenOutcome = await pollToOutcome(op, signal, log);
        outcomeAt = now();
        // Stored before anything is reported: from here on, whoever reports reports this.
        outcome = await deps.store.recordOperationOutcome(id, owner, seenOutcome, iso(outcomeAt));
        if (!outcome) throw new LeaseLostError();
        deps.telemetry?.refreshOutcome(outcome.outcome, outcome.durationMs);
        log.info({ outcome: outcome.outcome, status: outcome.status, durationMs: outcome.durationMs }, 'refresh outcome known');
      }
      const done = { ...op.tasksDone };
      // What the scan left behind, read once the outcome is known: the audit entry and the report
      // both say it (a process taking over reads it again, so it says the state as it is then).
      const scope = scopeOf(op);
      const told = outcomeText(op, outcome, scope.displayName ?? scope.scope, await stateAfter(op, log));
      if (!done.audit) {
        await audit(
          deps,
          { from: { id: '', name: op.requester.name, aadObjectId: op.requester.objectId }, conversation: { id: op.conversation.conversation.id, tenantId: op.conversation.conversation.tenantId } },
          {
            action: 'refresh',
            scope: op.handle.scope,
            alertId: op.handle.alertId,
            result: outcome.outcome === 'succeeded' ? 'succeeded' : 'failed',
            detail: told.audit,
          },
        );
        if (!(await deps.store.markOutcomeTaskDone(id, owner, 'audit', iso(now())))) throw new LeaseLostError();
      }
      // The scan is over, so the Refresh button may start another while this one is reported.
      if (op.claimKey && !done.releaseClaim) {
        await deps.store.releaseAction(op.claimKey);
        if (!(await deps.store.markOutcomeTaskDone(id, owner, 'releaseClaim', iso(now())))) throw new LeaseLostError();
      }
      const end = await report(op, outcome, told, outcomeAt, done, signal, log);
      if (!(await deps.store.finishOperation(id, owner, end, iso(now())))) throw new LeaseLostError();
      held.delete(id);
      if (end === 'reported') log.info({ outcome: outcome.outcome, durationMs: outcome.durationMs }, 'refresh reported');
    } catch (err) {
      if (stopped && abort.signal.aborted) return; // shutting down: stop() hands the lease over
      if (err instanceof LeaseLostError || lost.signal.aborted) {
        // This process stalled past its lease and another took the refresh over; it carries on.
        held.delete(id);
        log.warn('another process took over this refresh');
        return;
      }
      throw err;
    } finally {
      finished.abort();
      await beating;
    }
  }

  function track(id: string): void {
    if (stopped || inFlight.has(id)) return;
    deps.telemetry?.pendingOperations(1);
    const p = run(id)
      .catch((err) => logger.error({ operation: id, err: { message: (err as Error).message } }, 'refresh tracking failed'))
      .finally(() => {
        inFlight.delete(id);
        deps.telemetry?.pendingOperations(-1);
      });
    inFlight.set(id, p);
  }

  /** Takes up refreshes nobody works on: lease free, lapsed, or this process slot's own. */
  async function sweep(): Promise<void> {
    const t = now();
    for (const op of await deps.store.listUnreportedOperations()) {
      if (inFlight.has(op.id) || retrying.has(op.id)) continue;
      const lapsed = !op.leaseOwner || op.leaseOwner === owner || !op.leaseUntil || Date.parse(op.leaseUntil) <= t;
      if (lapsed) track(op.id);
    }
  }

  async function resumeAll(): Promise<void> {
    const ops = await deps.store.listUnreportedOperations();
    if (ops.length) logger.info({ count: ops.length }, 'resuming refreshes started before the restart');
    for (const op of ops) track(op.id);
  }

  return {
    track,
    resumeAll,
    async start() {
      await resumeAll();
      if (sweeping || stopped) return;
      sweeping = (async () => {
        for (;;) {
          try {
            await sleep(sweepMs, abort.signal);
          } catch {
            return;
          }
          await sweep().catch((err: unknown) => logger.warn({ err: { message: (err as Error).message } }, 'could not look for refreshes to take over'));
        }
      })();
    },
    async idle() {
      while (inFlight.size) await Promise.all(inFlight.values());
    },
    async stop() {
      stopped = true;
      abort.abort();
      await sweeping;
      await Promise.allSettled(inFlight.values());
      // A planned stop (deploy, SIGTERM) ends its leases now, so another process can resume these
      // refreshes straight away instead of waiting for the leases to run out.
      const t = iso(now());
      for (const id of held) {
        try {
          await deps.store.leasePendingOperation(id, owner, t, t);
        } catch (err) {
          logger.warn({ operation: id, err: { message: (err as Error).message } }, 'could not hand over a refresh; another process takes it over when its lease runs out');
        }
      }
      held.clear();
    },
  };
}
