// Turning what a person typed (a scope reference, an alert name) into configured scopes and alert
// ids, with the alerts read on the way so that the handler does not read them twice.
import type { Alert } from '../azure/models';
import type { ConfiguredScope } from '../config';
import { resolveAlert, resolveScope } from '../commands/resolve';
import { BotError } from '../core/errors';
import { readAlertsAcrossScopes, type ScopeAlerts } from '../core/reader';
import { isDirectoryScope } from '../azure/validate';
import type { CoreDeps } from '../core/deps';

export function scopeByRef(deps: Pick<CoreDeps, 'scopes'>, ref: string): ConfiguredScope {
  const r = resolveScope(ref, deps.scopes);
  if (!r.ok) throw new BotError(r.code === 'Ambiguous' ? 'Ambiguous' : 'ScopeNotConfigured', r.message, 'Type `scopes` to see the scopes I watch.');
  return deps.scopes[r.position - 1]!;
}

/** A verified card action names a scope by id: it must still be one of the configured scopes. */
export function configuredScope(deps: Pick<CoreDeps, 'scopes'>, scope: string): ConfiguredScope {
  const s = deps.scopes.find((c) => c.scope.toLowerCase() === scope.replace(/^\//, '').toLowerCase());
  if (!s) throw new BotError('ScopeNotConfigured', `The scope ${scope} is not one I watch any more.`, 'Type `scopes` to see the scopes I watch.');
  return s;
}

export function scopeLabel(s: ConfiguredScope): string {
  return s.displayName ? `${s.displayName} (${s.scope})` : s.scope;
}

/** Who may change a scope's alerts, in the words of its world (Azure RBAC or Entra directory roles). */
export function operatorRoles(s: ConfiguredScope): string {
  return isDirectoryScope(s.scope)
    ? `an active Privileged Role Administrator or Global Administrator assignment in ${s.displayName ?? 'the directory'}`
    : `Owner or User Access Administrator on ${scopeLabel(s)}`;
}

export interface FoundAlert {
  scope: ConfiguredScope;
  alert: Alert;
  /** Other scopes where the same alert is active (when the person named no scope). */
  alsoActiveIn: ConfiguredScope[];
}

function candidates(alerts: Alert[]): Array<{ id: string; displayName?: string }> {
  const seen = new Map<string, { id: string; displayName?: string }>();
  for (const a of alerts) if (!seen.has(a.name.toLowerCase())) seen.set(a.name.toLowerCase(), { id: a.name, displayName: a.properties.alertDefinition?.properties.displayName });
  return [...seen.values()];
}

/**
 * Finds the alert a person named. With a scope, in that scope; without one, in every configured
 * scope, preferring the first scope where the alert is active.
 */
export async function findAlert(deps: CoreDeps, name: string, scopeRef?: string): Promise<FoundAlert> {
  const targets = scopeRef ? [scopeByRef(deps, scopeRef)] : deps.scopes;
  const read: ScopeAlerts[] = await readAlertsAcrossScopes(deps.api, targets);
  const readable = read.filter((r) => r.alerts);
  if (readable.length === 0) {
    const first = read[0];
    throw new BotError('NotSupported', first?.error ?? 'I could not read any scope.', 'Check the bot identity has Reader on the scopes, then try again.');
  }
  const all = readable.flatMap((r) => r.alerts!);
  const known = candidates(all);
  const r = resolveAlert(name, known);
  if (!r.ok) {
    if (r.code === 'Ambiguous') {
      // People know alerts by their display names, not their ids.
      const names = r.candidates.map((id) => known.find((k) => k.id === id)?.displayName ?? id);
      throw new BotError('Ambiguous', `"${name}" matches ${names.length} alerts: ${names.join('; ')}.`, 'Type more of the name, or the full alert name in quotes.');
    }
    throw new BotError('AlertNotFound', r.message, 'Type `alerts` to see the alerts by name.');
  }
  const hits = readable
    .map((s) => ({ s, alert: s.alerts!.find((a) => a.name.toLowerCase() === r.alertId.toLowerCase()) }))
    .filter((h): h is { s: ScopeAlerts; alert: Alert } => !!h.alert);
  const active = hits.filter((h) => h.alert.properties.isActive);
  const chosen = active[0] ?? hits[0]!;
  const cfg = targets.find((t) => t.scope === chosen.s.scope)!;
  return {
    scope: cfg,
    alert: chosen.alert,
    alsoActiveIn: active.filter((h) => h !== chosen).map((h) => targets.find((t) => t.scope === h.s.scope)!),
  };
}
