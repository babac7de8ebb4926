// Reads shaped like ARM's limits. ARM throttles reads per subscription and principal (a bucket of
// 250 refilled at 25 a second), so 50 different subscriptions can be read at once; it is reads of
// the *same* subscription that need a bound. Every read of the PIM alerts API goes through one
// decorator, built in the composition root, that
// - bounds reads per subscription (a management group, or any other kind of scope, is its own key)
//   under a global cap, so one busy subscription never holds the others back;
// - shares identical reads in flight: two people typing `alerts` at once cause one list call per
//   scope;
// - keeps answers for a short while (PIM_READ_CACHE_SECONDS), a cache that every write through it
//   and every refresh outcome invalidates for its scope, so a card after a change is never older
//   than the change;
// - remembers when the service answered each result (readTimeOf), so cards say "as of" the time
//   of the data they show rather than the time they were drawn.
// Results it hands out are shared between callers and frozen, so no caller can change another's.
import type { OperationHandle, PimAlertsApi, PollOptions } from '../azure/api';
import type { Alert } from '../azure/models';
import type { ConfiguredScope } from '../config';
import type { Clock } from './deps';

export interface ScopeAlerts {
  scope: string;
  displayName?: string;
  alerts?: Alert[];
  /** When the service answered (ms since the epoch), when known. */
  readAt?: number;
  /** One sentence saying why this scope could not be read. */
  error?: string;
}

export interface ReadPolicy {
  /** Reads in flight per subscription (or per other scope key). */
  perSubscription: number;
  /** Reads in flight across all keys. */
  inFlight: number;
  /** How long an answer is reused; 0 disables the cache (identical reads in flight are still shared). */
  cacheMs: number;
}

export const DEFAULT_READ_POLICY: Readonly<ReadPolicy> = Object.freeze({ perSubscription: 4, inFlight: 64, cacheMs: 30_000 });

/** The PIM alerts API with the read policy applied, and a way to drop what it keeps for a scope. */
export interface ReadThroughApi extends PimAlertsApi {
  /** Forgets every kept answer for the scope; reads already in flight are not kept either. */
  invalidate(scope: string): void;
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A scope as the bot keys it (reads, digests, caches): no leading or trailing slash, lower case. */
export function scopeKey(scope: string): string {
  return scope.trim().replace(/^\/+|\/+$/g, '').toLowerCase();
}

/**
 * The bucket ARM counts a read against: the subscription a scope is in (a resource group's reads
 * count against its subscription); any other scope, such as a management group, is its own.
 */
export function readKeyOf(scope: string): string {
  const id = scopeKey(scope);
  return /^subscriptions\/[^/]+/.exec(id)?.[0] ?? id;
}

/** A FIFO of tasks with at most `perKey` running per key and `total` running in all. */
export function createKeyedLimiter(perKey: number, total: number): { run<T>(key: string, task: () => Promise<T>): Promise<T>; running(): number } {
  const running = new Map<string, number>();
  let all = 0;
  const queue: Array<{ key: string; start: () => void }> = [];

  const pump = (): void => {
    for (let i = 0; i < queue.length && all < total; ) {
      const next = queue[i]!;
      if ((running.get(next.key) ?? 0) >= perKey) {
        i++;
        continue;
      }
      queue.splice(i, 1);
      running.set(next.key, (running.get(next.key) ?? 0) + 1);
      all++;
      next.start();
    }
  };

  return {
    run<T>(key: string, task: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({
          key,
          start: () => {
            const done = (): void => {
              const n = (running.get(key) ?? 1) - 1;
              if (n === 0) running.delete(key);
              else running.set(key, n);
              all--;
              pump();
            };
            let p: Promise<T>;
            try {
              p = task();
            } catch (err) {
              p = Promise.reject(err);
            }
            p.then(
              (v) => {
                done();
                resolve(v);
              },
              (err: unknown) => {
                done();
                reject(err);
              },
            );
          },
        });
        pump();
      });
    },
    running: () => all,
  };
}

// When each shared result was read. A WeakMap keyed by the result itself, so the time travels with
// the object to whichever card shows it, and is gone with it.
const readTimes = new WeakMap<object, number>();

/**
 * When the service answered the read that returned `value` (ms since the epoch), for a result or an
 * item of a list result; undefined for data this layer did not read.
 */
export function readTimeOf(value: unknown): number | undefined {
  return value && typeof value === 'object' ? readTimes.get(value) : undefined;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Kept answers beyond this many trigger a sweep of the expired ones. */
const SWEEP_AT = 2_000;

export function createReadThrough(api: PimAlertsApi, policy: ReadPolicy, clock: Clock): ReadThroughApi {
  const limiter = createKeyedLimiter(Math.max(1, policy.perSubscription), Math.max(1, policy.inFlight));
  /** Bumped by every invalidation of a scope: an answer read under an older generation is not kept. */
  const generations = new Map<string, number>();
  const kept = new Map<string, { generation: number; value: unknown; expires: number }>();
  const flying = new Map<string, { generation: number; promise: Promise<unknown> }>();

  const generationOf = (id: string) => generations.get(id) ?? 0;

  function invalidate(scope: string): void {
    const id = scopeKey(scope);
    generations.set(id, generationOf(id) + 1);
    for (const key of kept.keys()) if (key.split('\n')[1] === id) kept.delete(key);
  }

  function sweep(now: number): void {
    for (const [key, entry] of kept) if (entry.expires <= now) kept.delete(key);
  }

  function read<T>(scope: string, what: string, ids: readonly string[], call: () => Promise<T>): Promise<T> {
    const id = scopeKey(scope);
    const key = [what, id, ...ids.map((x) => x.toLowerCase())].join('\n');
    const generation = generationOf(id);
    const hit = kept.get(key);
    if (hit && hit.generation === generation && hit.expires > clock.now()) return Promise.resolve(hit.value as T);
    const same = flying.get(key);
    if (same && same.generation === generation) return same.promise as Promise<T>;
    const promise = limiter
      .run(readKeyOf(id), call)
      .then((value) => {
        const at = clock.now();
        if (value && typeof value === 'object') {
          deepFreeze(value);
          readTimes.set(value, at);
          // A list's items are shown on their own too (an alert found in `alerts`).
          if (Array.isArray(value)) for (const item of value) if (item && typeof item === 'object') readTimes.set(item, at);
        }
        // Kept with the generation it was read under: if a write started meanwhile, it never hits.
        if (policy.cacheMs > 0) {
          if (kept.size >= SWEEP_AT) sweep(at);
          kept.set(key, { generation, value, expires: at + policy.cacheMs });
        }
        return value;
      })
      .finally(() => {
        if (flying.get(key)?.promise === promise) flying.delete(key);
      });
    flying.set(key, { generation, promise });
    return promise;
  }

  /** A change to a scope: what was kept for it is dropped before the write and again once it answered. */
  function write<T>(scope: string, call: () => Promise<T>): Promise<T> {
    invalidate(scope);
    return call().finally(() => invalidate(scope));
  }

  return {
    invalidate,
    listAlerts: (scope) => read(scope, 'alerts', [], () => api.listAlerts(scope)),
    getAlert: (scope, alertId) => read(scope, 'alert', [alertId], () => api.getAlert(scope, alertId)),
    listAlertConfigurations: (scope) => read(scope, 'configurations', [], () => api.listAlertConfigurations(scope)),
    getAlertConfiguration: (scope, alertId) => read(scope, 'configuration', [alertId], () => api.getAlertConfiguration(scope, alertId)),
    listAlertDefinitions: (scope) => read(scope, 'definitions', [], () => api.listAlertDefinitions(scope)),
    getAlertDefinition: (scope, id) => read(scope, 'definition', [id], () => api.getAlertDefinition(scope, id)),
    listAlertIncidents: (scope, alertId) => read(scope, 'incidents', [alertId], () => api.listAlertIncidents(scope, alertId)),
    getAlertIncident: (scope, alertId, incidentId) => read(scope, 'incident', [alertId, incidentId], () => api.getAlertIncident(scope, alertId, incidentId)),
    // An operation's status changes from one poll to the next: never kept, only bounded.
    getAlertOperation: (scope, operationId) => limiter.run(readKeyOf(scope), () => api.getAlertOperation(scope, operationId)),
    updateAlert: (scope, alertId, update) => write(scope, () => api.updateAlert(scope, alertId, update)),
    refreshAlert: (scope, alertId) => write(scope, () => api.refreshAlert(scope, alertId)),
    refreshAllAlerts: (scope) => write(scope, () => api.refreshAllAlerts(scope)),
    updateAlertConfiguration: (scope, alertId, update) => write(scope, () => api.updateAlertConfiguration(scope, alertId, update)),
    remediateAlertIncident: (scope, alertId, incidentId) => write(scope, () => api.remediateAlertIncident(scope, alertId, incidentId)),
    // Whatever a scan ends in, the scope's alerts may have changed.
    pollOperation: (handle: OperationHandle, options?: PollOptions) => api.pollOperation(handle, options).finally(() => invalidate(handle.scope)),
  };
}

/**
 * Reads the alerts of every scope at once (the API's read policy bounds how many are in flight);
 * answers keep the input order, and a scope that fails becomes a warning row, not a failed reply.
 */
export async function readAlertsAcrossScopes(api: Pick<PimAlertsApi, 'listAlerts'>, scopes: readonly ConfiguredScope[]): Promise<ScopeAlerts[]> {
  return Promise.all(
    scopes.map(async (s): Promise<ScopeAlerts> => {
      try {
        const alerts = await api.listAlerts(s.scope);
        return { scope: s.scope, displayName: s.displayName, alerts, readAt: readTimeOf(alerts) };
      } catch (err) {
        return { scope: s.scope, displayName: s.displayName, error: describeError(err) };
      }
    }),
  );
}
