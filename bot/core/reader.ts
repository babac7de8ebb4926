// Reads alerts across every configured scope at once, with a bound on concurrency: 50 scopes answer
// in about the time of a few without tripping ARM's per-subscription read limits, and one scope
// that fails becomes a warning row instead of a failed reply.
import type { PimAlertsApi } from '../azure/api';
import type { Alert } from '../azure/models';
import type { ConfiguredScope } from '../config';

export interface ScopeAlerts {
  scope: string;
  displayName?: string;
  alerts?: Alert[];
  /** One sentence saying why this scope could not be read. */
  error?: string;
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export async function readAlertsAcrossScopes(
  api: Pick<PimAlertsApi, 'listAlerts'>,
  scopes: readonly ConfiguredScope[],
  concurrency: number,
): Promise<ScopeAlerts[]> {
  return mapBounded(scopes, concurrency, async (s) => {
    try {
      const alerts = await api.listAlerts(s.scope);
      return { scope: s.scope, displayName: s.displayName, alerts };
    } catch (err) {
      return { scope: s.scope, displayName: s.displayName, error: describeError(err) };
    }
  });
}
