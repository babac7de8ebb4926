// Writing the audit log. Every privileged attempt is written before it happens (`attempted`, then
// completed with its outcome) and every refusal is written with its reason code. Refusals are
// written on behalf of anyone who can reach the bot, so they pass a budget first: a flood from one
// tenant or person stores its first few refusals a minute and is only counted in the log after
// that, and the store keeps a bounded number of refused entries (bot/store/limits.ts).
import { ACTION_VERBS } from '../../cards';
import type { Logger } from '../log';
import { boundedName } from '../telemetry';
import { capText } from '../store/limits';
import type { AuditEntry, AuditOutcome, RefusalReason } from '../store/types';
import type { Clock, CoreDeps } from './deps';
import type { Person } from './turn';

/** Audited actions: the card verbs, and the commands and events that change what the bot sends. */
const AUDITED_ACTIONS: readonly string[] = [...ACTION_VERBS, 'subscribe', 'unsubscribe', 'uninstall', 'audit', 'message'];

/** Who an entry is about: the person and the conversation of the turn. */
export interface Actor {
  from: Person;
  conversation: { id: string; tenantId?: string };
}

type Fields = Omit<AuditEntry, 'id' | 'at' | 'actorObjectId' | 'actorName' | 'tenantId' | 'conversationId' | 'result' | 'reason' | 'completedAt'>;

/** A refusal always carries its reason code; nothing else does. */
export type AuditRecord = Fields &
  ({ result: 'refused'; reason: RefusalReason } | { result: Exclude<AuditEntry['result'], 'refused'>; reason?: never });

/**
 * Writes one entry for this actor; returns its id, or undefined for a refusal over the budget
 * (counted in the log instead).
 */
export async function audit(deps: Pick<CoreDeps, 'store' | 'clock' | 'refusals' | 'telemetry'>, who: Actor, entry: AuditRecord): Promise<string | undefined> {
  if (entry.result === 'refused') {
    // Counted before the budget: a flood of refusals is what the metric is for.
    deps.telemetry?.refusal(boundedName(entry.action, AUDITED_ACTIONS), entry.reason);
    if (deps.refusals && !deps.refusals.admit(who.conversation.tenantId, who.from.aadObjectId)) return undefined;
  }
  return deps.store.appendAudit({
    at: new Date(deps.clock.now()).toISOString(),
    actorObjectId: who.from.aadObjectId,
    actorName: who.from.name,
    tenantId: who.conversation.tenantId,
    conversationId: who.conversation.id,
    ...entry,
  });
}

/** Completes an `attempted` entry with what Azure answered. */
export async function completeAttempt(deps: Pick<CoreDeps, 'store' | 'clock'>, id: string, outcome: Omit<AuditOutcome, 'at'>): Promise<void> {
  await deps.store.completeAudit(id, { ...outcome, at: new Date(deps.clock.now()).toISOString() });
}

export interface RefusalBudget {
  /** True if a refusal from this tenant and person may be stored now. */
  admit(tenantId: string | undefined, objectId: string | undefined): boolean;
}

export interface RefusalLimits {
  windowMs: number;
  /** Stored refusals per tenant and person per window. */
  perSource: number;
  /** Stored refusals per window, all sources together. */
  total: number;
}

export const DEFAULT_REFUSAL_BUDGET: Readonly<RefusalLimits> = {
  windowMs: 60_000,
  perSource: 20,
  total: 200,
};

export function createRefusalBudget(opts: { clock: Clock; logger: Logger; limits?: Partial<RefusalLimits> }): RefusalBudget {
  const limits = { ...DEFAULT_REFUSAL_BUDGET, ...opts.limits };
  const log = opts.logger.child({ component: 'audit' });
  let windowStart = Number.NEGATIVE_INFINITY;
  let stored = 0;
  let droppedElsewhere = 0;
  // Only sources with a stored refusal get an entry, so the map never outgrows `total`.
  const sources = new Map<string, { stored: number; dropped: number }>();

  function closeWindow(): void {
    for (const [source, s] of sources) {
      if (s.dropped > 0) log.warn({ source, dropped: s.dropped, since: new Date(windowStart).toISOString() }, 'refusals over the audit budget were counted, not stored');
    }
    if (droppedElsewhere > 0) log.warn({ dropped: droppedElsewhere, since: new Date(windowStart).toISOString() }, 'refusals over the total audit budget were counted, not stored');
    sources.clear();
    stored = 0;
    droppedElsewhere = 0;
  }

  return {
    admit(tenantId, objectId) {
      const now = opts.clock.now();
      if (now - windowStart >= limits.windowMs) {
        closeWindow();
        windowStart = now;
      }
      // Both parts come from the activity: cut them before they become a key or reach a log line.
      const source = `${capText((tenantId ?? '').toLowerCase(), 64) || 'no tenant'}|${capText((objectId ?? '').toLowerCase(), 64) || 'no object id'}`;
      const s = sources.get(source);
      if (stored >= limits.total || (s && s.stored >= limits.perSource)) {
        if (s) {
          if (s.dropped++ === 0) log.warn({ source }, 'refusals from one source are over the audit budget; the rest of this minute are counted in the log');
        } else if (droppedElsewhere++ === 0) {
          log.warn('refusals are over the total audit budget; the rest of this minute are counted in the log');
        }
        return false;
      }
      if (s) s.stored++;
      else sources.set(source, { stored: 1, dropped: 0 });
      stored++;
      return true;
    },
  };
}
