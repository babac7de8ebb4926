// One digest from alerts already read: which scopes a subscription covers, what it shows, what
// changed since its last snapshot and the snapshot to keep for the next run. Pure, so that the
// scheduler (one read per scope for many subscriptions) and the `digest` preview share it.
import type { DigestInput, DigestScopeInput, Severity } from '../../cards';
import type { ConfiguredScope } from '../config';
import { scopeKey, type ScopeAlerts } from '../core/reader';
import { activeAlertCount, boundSnapshot, diffSnapshots, parseSnapshot, snapshotOf, type DigestDiff, type DigestSnapshot } from './diff';

export interface DigestTarget {
  /** Normalised scope ids; empty means every configured scope. */
  scopes: readonly string[];
  severity?: Severity;
}

export interface ComposedDigest {
  /** What the digest card shows. */
  input: DigestInput;
  diff: DigestDiff;
  /**
   * What to store for the next diff: this run's snapshot, with the previous entries of scopes that
   * could not be read carried over, so that a scope that failed once does not make all its alerts
   * "new" next time. Bounded in size (boundSnapshot), so that any store can keep it.
   */
  snapshot: DigestSnapshot;
  /** Active alerts (matching the severity) on the scopes that were read. */
  activeCount: number;
}

/** The configured scopes a target covers, and the ones it names that are no longer configured. */
export function targetScopes(configured: readonly ConfiguredScope[], scopes: readonly string[]): { covered: ConfiguredScope[]; missing: string[] } {
  if (scopes.length === 0) return { covered: [...configured], missing: [] };
  const covered: ConfiguredScope[] = [];
  const missing: string[] = [];
  for (const s of scopes) {
    const found = configured.find((c) => scopeKey(c.scope) === scopeKey(s));
    if (found) {
      if (!covered.includes(found)) covered.push(found);
    } else {
      missing.push(s);
    }
  }
  return { covered, missing };
}

/** Every configured scope any of the targets covers, each once, in configured order. */
export function unionOfScopes(configured: readonly ConfiguredScope[], targets: readonly DigestTarget[]): ConfiguredScope[] {
  const wanted = new Set<string>();
  for (const t of targets) for (const s of targetScopes(configured, t.scopes).covered) wanted.add(scopeKey(s.scope));
  return configured.filter((c) => wanted.has(scopeKey(c.scope)));
}

export const NOT_CONFIGURED_ERROR = 'This scope is no longer one the bot watches. Unsubscribe and subscribe again to choose the scopes.';

export function composeDigest(
  target: DigestTarget,
  label: string,
  configured: readonly ConfiguredScope[],
  reads: ReadonlyMap<string, ScopeAlerts>,
  previousSnapshot: unknown,
): ComposedDigest {
  const { covered, missing } = targetScopes(configured, target.scopes);
  const scopes: DigestScopeInput[] = covered.map((c) => {
    const r = reads.get(scopeKey(c.scope));
    if (!r) return { scope: c.scope, displayName: c.displayName, error: 'The alerts of this scope were not read in this run.' };
    return r.error !== undefined
      ? { scope: c.scope, displayName: c.displayName, error: r.error }
      : { scope: c.scope, displayName: c.displayName, alerts: r.alerts ?? [], readAt: r.readAt };
  });
  for (const m of missing) scopes.push({ scope: m, error: NOT_CONFIGURED_ERROR });

  const readable = scopes.filter((s): s is DigestScopeInput & { alerts: NonNullable<DigestScopeInput['alerts']> } => s.error === undefined);
  const filter = target.severity ? { severity: target.severity } : {};
  const current = snapshotOf(
    readable.map((s) => ({ scope: s.scope, alerts: s.alerts })),
    filter,
  );
  const previous = parseSnapshot(previousSnapshot);
  const diff = diffSnapshots(previous, current);

  let snapshot = current;
  if (previous && !diff.first) {
    const unread = new Set(scopes.filter((s) => s.error !== undefined).map((s) => scopeKey(s.scope)));
    const carried = previous.scopes.filter((p) => unread.has(scopeKey(p.scope)) && !current.scopes.some((c) => scopeKey(c.scope) === scopeKey(p.scope)));
    if (carried.length) {
      snapshot = { ...current, scopes: [...current.scopes, ...carried].sort((a, b) => (scopeKey(a.scope) < scopeKey(b.scope) ? -1 : 1)) };
    }
  }
  const activeCount = activeAlertCount(current);
  return {
    input: { scopes, diff, label, ...(target.severity ? { severity: target.severity } : {}), allClear: readable.length > 0 && activeCount === 0 },
    diff,
    snapshot: boundSnapshot(snapshot),
    activeCount,
  };
}
