// Refreshes outlive the click that started them: the operation is stored before the card answers,
// polled here until it ends, and reported once — the card updated with the re-read state and a
// reply posted in the card's thread. A process that dies mid-poll leaves the operation in the
// store; the next process (or another instance, after the lease runs out) resumes it. The store's
// lease keeps two processes from polling the same operation, and markOperationReported keeps the
// report to one.
import { randomUUID } from 'node:crypto';
import type { OperationResult } from '../azure/api';
import type { CoreDeps } from '../core/deps';
import type { Proactive } from '../edge/proactive';
import type { Logger } from '../log';
import type { PendingOperation } from '../store/types';
import { detailCard, summaryCard } from '../handlers/read';
import { audit } from '../handlers/actions';

export interface OperationTracker {
  track(id: string): void;
  /** Resumes every operation not yet reported (start-up). */
  resumeAll(): Promise<void>;
  /** Resolves when no poll is in flight (tests, shutdown). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export interface TrackerOptions {
  deps: CoreDeps;
  proactive: Proactive;
  logger: Logger;
  owner?: string;
  leaseMs?: number;
}

/** A retry waits this much past the other holder's lease end, so it does not arrive just before it. */
const LEASE_RETRY_MARGIN_MS = 250;

function seconds(ms: number): string {
  if (ms < 90_000) return `${Math.max(1, Math.round(ms / 1000))} s`;
  return `${Math.round(ms / 60_000)} min`;
}

export function outcomeText(op: PendingOperation, result: OperationResult, target: string): string {
  const by = op.requester.name ? ` (started by ${op.requester.name})` : '';
  const detail = result.details.map((d) => [d.name, d.statusDetail].filter(Boolean).join(': ')).filter(Boolean).join('; ');
  const took = seconds(result.durationMs);
  switch (result.outcome) {
    case 'succeeded':
      return `Refresh of ${target} succeeded after ${took}${by}.${detail ? ` ${detail}` : ''}`;
    case 'failed':
      return `Refresh of ${target} failed after ${took}${by}.${detail ? ` ${detail}` : ''} Try again, or check the alert in the Azure portal.`;
    case 'canceled':
      return `Refresh of ${target} was canceled after ${took}${by}.${detail ? ` ${detail}` : ''}`;
    case 'timedOut':
      return `Refresh of ${target} did not finish within ${took}${by}; I stopped waiting. Its last status was ${result.status ?? 'unknown'}. Type \`refresh\` to start another.`;
  }
}

export function createOperationTracker(opts: TrackerOptions): OperationTracker {
  const { deps, proactive, logger } = opts;
  const owner = opts.owner ?? `${process.pid}-${randomUUID()}`;
  const leaseMs = opts.leaseMs ?? 60_000;
  const inFlight = new Map<string, Promise<void>>();
  /** Operations whose lease this process holds, so a planned stop can hand them over at once. */
  const held = new Set<string>();
  const retryTimers = new Set<NodeJS.Timeout>();
  const abort = new AbortController();
  let stopped = false;

  const iso = (ms: number) => new Date(ms).toISOString();

  async function lease(id: string): Promise<boolean> {
    const now = deps.clock.now();
    return deps.store.leasePendingOperation(id, owner, iso(now + leaseMs), iso(now));
  }

  async function report(op: PendingOperation, result: OperationResult): Promise<void> {
    const scope = deps.scopes.find((s) => s.scope.toLowerCase() === op.handle.scope.toLowerCase()) ?? { scope: op.handle.scope };
    const targetName = op.handle.alertId ? `${op.handle.alertId} on ${scope.displayName ?? scope.scope}` : `all alerts on ${scope.displayName ?? scope.scope}`;
    const text = outcomeText(op, result, targetName);
    const style = result.outcome === 'succeeded' ? 'good' : result.outcome === 'canceled' ? 'accent' : 'attention';
    if (op.cardActivityId) {
      try {
        const banner = { text, style } as const;
        const view = op.handle.alertId
          ? await detailCard(deps, scope, op.handle.alertId, { banner })
          : await summaryCard(deps, { scope: scope.scope, byId: true, banner });
        await proactive.updateCard(op.conversation, op.cardActivityId, view.card);
      } catch (err) {
        // The thread reply below still tells people the outcome.
        logger.warn({ operation: op.id, err: { message: (err as Error).message } }, 'could not update the refreshed card');
      }
    }
    await proactive.replyInThread(op.conversation, op.replyToId, { text });
  }

  /** When to try again for an operation another process holds: just after its lease runs out. */
  function retryDelay(op: PendingOperation): number {
    const until = op.leaseUntil ? Date.parse(op.leaseUntil) : NaN;
    if (Number.isNaN(until)) return leaseMs;
    return Math.min(leaseMs, Math.max(LEASE_RETRY_MARGIN_MS, until - deps.clock.now() + LEASE_RETRY_MARGIN_MS));
  }

  async function run(id: string): Promise<void> {
    const op = (await deps.store.listUnreportedOperations()).find((o) => o.id === id);
    if (!op) return;
    if (!(await lease(id))) {
      // Another process holds the lease; if it died, the lease runs out and this one takes over.
      scheduleRetry(id, retryDelay(op));
      return;
    }
    held.add(id);
    const log = logger.child({ operation: id, scope: op.handle.scope, alertId: op.handle.alertId });
    // The lease is renewed on its own beat rather than per poll: ARM may ask for a minute between
    // polls, and a lease that lapsed while this process waited would let a second one poll too.
    const lost = new AbortController();
    const heartbeat = setInterval(() => {
      lease(id).then(
        (ok) => {
          if (!ok) lost.abort();
        },
        (err: unknown) => log.warn({ err: { message: (err as Error).message } }, 'could not renew the refresh lease'),
      );
    }, Math.max(1, Math.floor(leaseMs / 3)));
    heartbeat.unref?.();
    let result: OperationResult;
    try {
      result = await deps.api.pollOperation(op.handle, {
        deadline: Date.parse(op.handle.startedAt) + deps.config.pollDeadlineMs,
        abortSignal: AbortSignal.any([abort.signal, lost.signal]),
      });
    } catch (err) {
      if (stopped) return; // shutting down: the next process resumes it
      if (lost.signal.aborted) {
        // This process stalled past its lease and another took the refresh over; it reports.
        held.delete(id);
        log.warn('another process took over this refresh');
        return;
      }
      log.warn({ err: { message: (err as Error).message } }, 'polling a refresh failed');
      result = {
        outcome: 'failed',
        details: [{ statusDetail: `I could not check the scan: ${(err as Error).message}` }],
        durationMs: deps.clock.now() - Date.parse(op.handle.startedAt),
        polls: 0,
      };
    } finally {
      clearInterval(heartbeat);
    }
    if (stopped) return;
    // Re-check ownership right before reporting: exactly one process reports.
    if (!(await lease(id))) {
      held.delete(id);
      return scheduleRetry(id, leaseMs);
    }
    await report(op, result);
    const first = await deps.store.markOperationReported(id, iso(deps.clock.now()));
    held.delete(id);
    if (op.claimKey) await deps.store.releaseAction(op.claimKey);
    if (first) {
      await audit(
        deps,
        { from: { id: '', name: op.requester.name, aadObjectId: op.requester.objectId }, conversation: { id: op.conversation.conversation.id, tenantId: op.conversation.conversation.tenantId } },
        {
          action: 'refresh',
          scope: op.handle.scope,
          alertId: op.handle.alertId,
          result: result.outcome === 'succeeded' ? 'succeeded' : 'failed',
          detail: `Refresh ${result.outcome} after ${seconds(result.durationMs)}.`,
        },
      );
    }
    log.info({ outcome: result.outcome, durationMs: result.durationMs }, 'refresh reported');
  }

  function scheduleRetry(id: string, delay: number): void {
    if (stopped) return;
    const t = setTimeout(() => {
      retryTimers.delete(t);
      track(id);
    }, delay);
    t.unref?.();
    retryTimers.add(t);
  }

  function track(id: string): void {
    if (stopped || inFlight.has(id)) return;
    const p = run(id)
      .catch((err) => logger.error({ operation: id, err: { message: (err as Error).message } }, 'refresh tracking failed'))
      .finally(() => inFlight.delete(id));
    inFlight.set(id, p);
  }

  return {
    track,
    async resumeAll() {
      const ops = await deps.store.listUnreportedOperations();
      if (ops.length) logger.info({ count: ops.length }, 'resuming refreshes started before the restart');
      for (const op of ops) track(op.id);
    },
    async idle() {
      while (inFlight.size) await Promise.all(inFlight.values());
    },
    async stop() {
      stopped = true;
      abort.abort();
      for (const t of retryTimers) clearTimeout(t);
      await Promise.allSettled(inFlight.values());
      // A planned stop (deploy, SIGTERM) ends its leases now, so the next process resumes these
      // refreshes straight away instead of waiting for the leases to run out.
      const now = iso(deps.clock.now());
      for (const id of held) {
        try {
          await deps.store.leasePendingOperation(id, owner, now, now);
        } catch (err) {
          logger.warn({ operation: id, err: { message: (err as Error).message } }, 'could not hand over a refresh; another process takes it over when its lease runs out');
        }
      }
      held.clear();
    },
  };
}
