// Change detection for scheduled digests. Pure: a snapshot is what a digest showed (active alerts
// per scope and their incident ids), stored with the subscription; the next run diffs against it.
//
// Decisions a channel would notice:
// - The first digest of a subscription (no snapshot yet, or one taken under another severity filter
//   or format) is always sent and marks nothing as new: everything would be "new", which says
//   nothing. It is the baseline the next digests compare against.
// - "changes" mode sends only when something changed since the last digest that was sent or
//   skipped; "always" mode sends every run, including an all-clear.
// - An incident under an alert that is itself new (or resolved) is not listed again under new (or
//   resolved) incidents: the alert line already says it.
// - A scope that is in the previous snapshot but not in the current one (it could not be read, or
//   was removed from the subscription) is not compared: its alerts are neither new nor resolved.
//   A scope that appears for the first time counts its alerts as new.
// - Alerts are matched by scope, alert id and incident id, case-insensitively (ARM ids are).
// - Active means `isActive !== false`, as the alerts summary card shows them; the severity filter
//   keeps exactly that severity, as the summary's "(High only)" does.
import type { Alert, SeverityLevel } from '../azure/models';

export const SNAPSHOT_VERSION = 1;

export interface SnapshotAlert {
  alertId: string;
  /** Severity as the service sent it, when it did. */
  severity?: string;
  /** Incident ids (names), sorted, when the alert came with its incidents. */
  incidents?: string[];
  /** The service's incident count, kept when the incidents themselves were not listed. */
  incidentCount?: number;
}

export interface SnapshotScope {
  scope: string;
  /** Active alerts matching the filter, sorted by id. */
  alerts: SnapshotAlert[];
}

export interface DigestSnapshot {
  version: typeof SNAPSHOT_VERSION;
  /** The severity filter the snapshot was taken under. */
  severity?: SeverityLevel;
  /** Sorted by scope. */
  scopes: SnapshotScope[];
}

export interface AlertRef {
  scope: string;
  alertId: string;
}
export interface IncidentRef extends AlertRef {
  incidentId: string;
}

export interface DigestDiff {
  /** True when there was no comparable previous snapshot: send, mark nothing new. */
  first: boolean;
  newAlerts: AlertRef[];
  resolvedAlerts: AlertRef[];
  newIncidents: IncidentRef[];
  resolvedIncidents: IncidentRef[];
  /** Alerts still active whose incident count changed when their incidents were not listed. */
  changedCounts: AlertRef[];
  /** Anything above is non-empty. */
  changed: boolean;
}

export type DigestMode = 'changes' | 'always';

const SEVERITIES: readonly SeverityLevel[] = ['High', 'Medium', 'Low'];

function normaliseSeverity(value: string | undefined): SeverityLevel | undefined {
  const v = value?.trim().toLowerCase();
  return SEVERITIES.find((s) => s.toLowerCase() === v);
}

function trimScope(scope: string): string {
  return scope.trim().replace(/^\/+|\/+$/g, '');
}

const key = (s: string) => s.toLowerCase();
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** What a digest shows, reduced to what the next digest needs to compare. Deterministic. */
export function snapshotOf(
  scopes: ReadonlyArray<{ scope: string; alerts: readonly Alert[] }>,
  filter: { severity?: SeverityLevel } = {},
): DigestSnapshot {
  const merged = new Map<string, SnapshotScope>();
  for (const input of scopes) {
    const scope = trimScope(input.scope);
    const entry = merged.get(key(scope)) ?? { scope, alerts: [] };
    merged.set(key(scope), entry);
    const seen = new Set(entry.alerts.map((a) => key(a.alertId)));
    for (const alert of input.alerts) {
      if (alert.properties.isActive === false) continue;
      const severity = alert.properties.alertDefinition?.properties.severityLevel;
      if (filter.severity !== undefined && normaliseSeverity(severity) !== filter.severity) continue;
      const alertId = alert.name;
      if (seen.has(key(alertId))) continue;
      seen.add(key(alertId));
      const listed = alert.properties.alertIncidents;
      const snap: SnapshotAlert = { alertId };
      if (severity !== undefined) snap.severity = severity;
      if (listed !== undefined) {
        snap.incidents = [...new Set(listed.map((i) => i.name))].sort(byText);
      } else if (typeof alert.properties.incidentCount === 'number') {
        snap.incidentCount = alert.properties.incidentCount;
      }
      entry.alerts.push(snap);
    }
    entry.alerts.sort((a, b) => byText(key(a.alertId), key(b.alertId)));
  }
  return {
    version: SNAPSHOT_VERSION,
    ...(filter.severity !== undefined ? { severity: filter.severity } : {}),
    scopes: [...merged.values()].sort((a, b) => byText(key(a.scope), key(b.scope))),
  };
}

/**
 * Reads a stored snapshot (Subscription.lastSnapshot is opaque JSON). Anything that is not a
 * snapshot of this version gives undefined, and the next digest is a first digest again.
 */
export function parseSnapshot(value: unknown): DigestSnapshot | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Partial<DigestSnapshot>;
  if (v.version !== SNAPSHOT_VERSION || !Array.isArray(v.scopes)) return undefined;
  if (v.severity !== undefined && !SEVERITIES.includes(v.severity)) return undefined;
  for (const s of v.scopes as unknown[]) {
    const scope = s as Partial<SnapshotScope>;
    if (!scope || typeof scope.scope !== 'string' || !Array.isArray(scope.alerts)) return undefined;
    for (const a of scope.alerts as unknown[]) {
      const alert = a as Partial<SnapshotAlert>;
      if (!alert || typeof alert.alertId !== 'string') return undefined;
      if (alert.incidents !== undefined && !(Array.isArray(alert.incidents) && alert.incidents.every((i) => typeof i === 'string'))) return undefined;
      if (alert.incidentCount !== undefined && typeof alert.incidentCount !== 'number') return undefined;
    }
  }
  return v as DigestSnapshot;
}

function indexAlerts(scope: SnapshotScope): Map<string, SnapshotAlert> {
  return new Map(scope.alerts.map((a) => [key(a.alertId), a]));
}

/** What changed since the previous digest. */
export function diffSnapshots(previous: DigestSnapshot | undefined, current: DigestSnapshot): DigestDiff {
  const diff: DigestDiff = {
    first: false,
    newAlerts: [],
    resolvedAlerts: [],
    newIncidents: [],
    resolvedIncidents: [],
    changedCounts: [],
    changed: false,
  };
  if (!previous || previous.version !== current.version || previous.severity !== current.severity) {
    diff.first = true;
    return diff;
  }
  const previousScopes = new Map(previous.scopes.map((s) => [key(s.scope), s]));
  for (const scope of current.scopes) {
    const before = previousScopes.get(key(scope.scope));
    const beforeAlerts = before ? indexAlerts(before) : new Map<string, SnapshotAlert>();
    const nowAlerts = indexAlerts(scope);
    for (const alert of scope.alerts) {
      const old = beforeAlerts.get(key(alert.alertId));
      if (!old) {
        diff.newAlerts.push({ scope: scope.scope, alertId: alert.alertId });
        continue;
      }
      if (alert.incidents !== undefined && old.incidents !== undefined) {
        const oldIds = new Set(old.incidents.map(key));
        const newIds = new Set(alert.incidents.map(key));
        for (const id of alert.incidents) {
          if (!oldIds.has(key(id))) diff.newIncidents.push({ scope: scope.scope, alertId: alert.alertId, incidentId: id });
        }
        for (const id of old.incidents) {
          if (!newIds.has(key(id))) diff.resolvedIncidents.push({ scope: scope.scope, alertId: alert.alertId, incidentId: id });
        }
      } else {
        // One side has no incident list: compare what both have, the count.
        const countBefore = old.incidents?.length ?? old.incidentCount;
        const countNow = alert.incidents?.length ?? alert.incidentCount;
        if (countBefore !== countNow) diff.changedCounts.push({ scope: scope.scope, alertId: alert.alertId });
      }
    }
    if (before) {
      for (const old of before.alerts) {
        if (!nowAlerts.has(key(old.alertId))) diff.resolvedAlerts.push({ scope: scope.scope, alertId: old.alertId });
      }
    }
  }
  diff.changed =
    diff.newAlerts.length + diff.resolvedAlerts.length + diff.newIncidents.length + diff.resolvedIncidents.length + diff.changedCounts.length > 0;
  return diff;
}

/**
 * Most characters of JSON a stored snapshot may take. A distributed store keeps a value in one
 * entity (Table Storage: under 1 MiB, bot/store/table.ts takes up to 448,000 characters), and a
 * tenant with many incidents could exceed that.
 */
export const MAX_SNAPSHOT_CHARS = 400_000;

/**
 * The snapshot within `maxChars` of JSON: the incident lists of the alerts with the most incidents
 * become counts until it fits, so the next digest still tells when their number changed (as it does
 * for alerts listed without their incidents), and everything else is compared as before.
 */
export function boundSnapshot(snapshot: DigestSnapshot, maxChars = MAX_SNAPSHOT_CHARS): DigestSnapshot {
  let size = JSON.stringify(snapshot).length;
  if (size <= maxChars) return snapshot;
  const bounded: DigestSnapshot = { ...snapshot, scopes: snapshot.scopes.map((s) => ({ ...s, alerts: s.alerts.map((a) => ({ ...a })) })) };
  const listed = bounded.scopes.flatMap((s) => s.alerts).filter((a) => a.incidents !== undefined && a.incidents.length > 0);
  listed.sort((a, b) => b.incidents!.length - a.incidents!.length);
  for (const alert of listed) {
    if (size <= maxChars) break;
    const before = JSON.stringify(alert).length;
    alert.incidentCount = alert.incidents!.length;
    delete alert.incidents;
    size -= before - JSON.stringify(alert).length;
  }
  return bounded;
}

/** Active alerts in a snapshot, all scopes. */
export function activeAlertCount(snapshot: DigestSnapshot): number {
  return snapshot.scopes.reduce((n, s) => n + s.alerts.length, 0);
}

/**
 * Whether a run sends a digest. `changes`: on the first digest and whenever something changed,
 * which includes the last alert being resolved (the channel hears the all-clear once), and never
 * again while nothing changes. `always`: every run, an all-clear included.
 * The third argument is accepted for callers written against the first draft of this contract;
 * no rule depends on it, since "nothing active" is either a change or it is not.
 */
export function shouldSend(mode: DigestMode, diff: DigestDiff, _hasActiveAlerts?: boolean): boolean {
  if (mode === 'always') return true;
  return diff.first || diff.changed;
}

/** Convenience for cards: is this alert new in this digest? */
export function isNewAlert(diff: DigestDiff, scope: string, alertId: string): boolean {
  return diff.newAlerts.some((a) => key(a.scope) === key(trimScope(scope)) && key(a.alertId) === key(alertId));
}

/** Convenience for cards: is this incident new in this digest (under an alert that is not)? */
export function isNewIncident(diff: DigestDiff, scope: string, alertId: string, incidentId: string): boolean {
  return diff.newIncidents.some(
    (i) => key(i.scope) === key(trimScope(scope)) && key(i.alertId) === key(alertId) && key(i.incidentId) === key(incidentId),
  );
}
