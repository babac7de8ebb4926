// The simulator's mutable world and the service behaviour behind each operation. Time comes only
// from the injected clock, and a refresh is a record with timestamps whose effects are applied
// lazily (`settle`) when anything reads the state: no timers, so fake clocks drive it exactly.
import { randomUUID } from 'node:crypto';
import { ArmError, armTimestamp, sameName } from './arm';
import type { ParsedScope } from './paths';
import {
  ALERT_KINDS,
  type AlertKind,
  type ConfigurationRecord,
  type IncidentRecord,
  type SeedData,
  type SeedDefinition,
  type SimClock,
  type SimScope,
} from './model';
import type { ConfigurationChange } from './validation';

export interface AlertRecord {
  alertId: AlertKind;
  isActive: boolean;
  lastModifiedDateTime: string;
  lastScannedDateTime: string;
  configuration: ConfigurationRecord;
  incidents: IncidentRecord[];
  /** Incidents the next successful scan of this alert will find (see SimState.addIncident). */
  pendingIncidents: IncidentRecord[];
}

export interface ScopeState {
  scope: SimScope;
  /** Per-scope copies, so a test may change one scope's definition. */
  definitions: SeedDefinition[];
  alerts: AlertRecord[];
}

export type ScanOutcome = 'completed' | 'failed' | 'disabled';

export interface OperationRecord {
  id: string;
  scope: SimScope;
  /** The refreshed alert, or undefined for refresh-all. */
  alertId?: AlertKind;
  createdAt: number;
  runningAt: number;
  completesAt: number;
  /** Decided when the refresh starts, so a later fault change does not rewrite history. */
  outcomes: Array<{ alertId: AlertKind; outcome: ScanOutcome }>;
  applied: boolean;
}

export type OperationPhase = 'NotStarted' | 'Running' | 'Succeeded' | 'Failed';

export interface OperationView {
  record: OperationRecord;
  phase: OperationPhase;
  lastActionAt: number;
  details: Array<{ name: string; statusDetail: string }>;
}

const STATUS_TEXT = {
  notStarted: 'Alert scan is not yet started.',
  running: 'Alert scan is running.',
  completed: 'Alert scan is completed.',
  failed: 'Alert scan failed.',
  disabled: 'Alert scan is skipped because the alert is disabled.',
} as const;

export interface SimStateOptions {
  clock: SimClock;
  refreshDurationMs: number;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

export class SimState {
  private readonly scopeStates: ScopeState[];
  private readonly operations = new Map<string, OperationRecord>();
  private readonly clock: SimClock;
  private readonly refreshDurationMs: number;

  constructor(seed: SeedData, options: SimStateOptions) {
    this.clock = options.clock;
    this.refreshDurationMs = options.refreshDurationMs;
    this.scopeStates = seed.scopes.map((s) => ({
      scope: { id: s.id, displayName: s.displayName },
      definitions: clone(seed.definitions),
      alerts: s.alerts.map((a) => ({ ...clone(a), pendingIncidents: [] })),
    }));
  }

  now(): number {
    return this.clock.now();
  }

  scopes(): SimScope[] {
    return this.scopeStates.map((s) => ({ ...s.scope }));
  }

  // ---- lookups ----

  /** The seeded scope with this id (either case), for tests and the local run. */
  scope(scopeId: string): ScopeState {
    const id = scopeId.replace(/^\//, '');
    const found = this.scopeStates.find((s) => sameName(s.scope.id, id));
    if (!found) throw new Error(`The simulator has no scope '${scopeId}'; use one of sim.scopes.`);
    this.settle();
    return found;
  }

  /** The alert record (settled), for tests: changes made to it are what the API serves. */
  alert(scopeId: string, alertId: string): AlertRecord {
    const found = this.scope(scopeId).alerts.find((a) => sameName(a.alertId, alertId));
    if (!found) throw new Error(`The scope '${scopeId}' has no alert '${alertId}'.`);
    return found;
  }

  definition(scopeId: string, alertId: string): SeedDefinition {
    const found = this.scope(scopeId).definitions.find((d) => sameName(d.name, alertId));
    if (!found) throw new Error(`The scope '${scopeId}' has no alert definition '${alertId}'.`);
    return found;
  }

  operationRecords(): OperationRecord[] {
    return [...this.operations.values()];
  }

  /** Whether the subscription (any case) is part of the seeded world. */
  knowsSubscription(subscriptionId: string): boolean {
    return this.scopeStates.some((s) => sameName(s.scope.id.split('/')[1] ?? '', subscriptionId));
  }

  knowsResourceGroup(subscriptionId: string, resourceGroup: string): boolean {
    return this.scopeStates.some((s) => sameName(s.scope.id, `subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`));
  }

  /** Maps a requested scope to a seeded alert scope, answering as ARM does when it is unknown. */
  resolveAlertScope(parsed: ParsedScope): ScopeState {
    this.settle();
    if (parsed.kind === 'subscription' || parsed.kind === 'resourceGroup') {
      if (!this.knowsSubscription(parsed.subscriptionId!)) {
        throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${parsed.subscriptionId}' could not be found; check the scope.`);
      }
      if (parsed.kind === 'resourceGroup' && !this.knowsResourceGroup(parsed.subscriptionId!, parsed.resourceGroup!)) {
        throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${parsed.resourceGroup}' could not be found; check the scope.`);
      }
      const found = this.scopeStates.find((s) => sameName(s.scope.id, parsed.path));
      if (found) return found;
    }
    if (parsed.kind === 'tenant') {
      throw new ArmError(400, 'InvalidScope', 'Role management alerts need a scope; use subscriptions/{id} or subscriptions/{id}/resourceGroups/{name}.');
    }
    throw new ArmError(404, 'ScopeNotFound', `The scope '${parsed.path}' has no role management alerts; use a subscription or resource group scope that PIM manages.`);
  }

  findAlert(scope: ScopeState, alertId: string): AlertRecord {
    const found = scope.alerts.find((a) => sameName(a.alertId, alertId));
    if (!found) throw new ArmError(404, 'RoleManagementAlertNotFound', `The role management alert '${alertId}' was not found at scope '${scope.scope.id}'; list the alerts to see their ids.`);
    return found;
  }

  findDefinition(scope: ScopeState, alertDefinitionId: string): SeedDefinition {
    const found = scope.definitions.find((d) => sameName(d.name, alertDefinitionId));
    if (!found) {
      throw new ArmError(404, 'RoleManagementAlertDefinitionNotFound', `The role management alert definition '${alertDefinitionId}' was not found; list the definitions to see their ids.`);
    }
    return found;
  }

  findIncident(scope: ScopeState, alert: AlertRecord, incidentId: string): IncidentRecord {
    const found = alert.incidents.find((i) => sameName(i.name, incidentId));
    if (!found) {
      throw new ArmError(404, 'RoleManagementAlertIncidentNotFound', `The incident '${incidentId}' of alert '${alert.alertId}' was not found at scope '${scope.scope.id}'; it may already be remediated.`);
    }
    return found;
  }

  findOperation(scope: ScopeState, operationId: string): OperationView {
    this.settle();
    const record = this.operations.get(operationId.toLowerCase());
    if (!record || !sameName(record.scope.id, scope.scope.id)) {
      throw new ArmError(404, 'RoleManagementAlertOperationNotFound', `The alert operation '${operationId}' was not found at scope '${scope.scope.id}'; use the Location of the refresh response.`);
    }
    return this.view(record, this.now());
  }

  // ---- changes ----

  /** Dismissal: the alert stops being active and keeps its incidents; the next scan that finds them raises it again. */
  dismissAlert(alert: AlertRecord): void {
    alert.isActive = false;
  }

  remediateIncident(scope: ScopeState, alert: AlertRecord, incidentId: string): void {
    const definition = this.findDefinition(scope, alert.alertId);
    const incident = this.findIncident(scope, alert, incidentId);
    if (!definition.properties.isRemediatable) {
      throw new ArmError(400, 'AlertNotRemediable', `The alert '${alert.alertId}' cannot be remediated from PIM; follow its mitigation steps instead.`);
    }
    alert.incidents = alert.incidents.filter((i) => i !== incident);
    if (alert.incidents.length === 0) alert.isActive = false;
  }

  updateConfiguration(alert: AlertRecord, change: ConfigurationChange): void {
    if (change.isEnabled !== undefined) alert.configuration.isEnabled = change.isEnabled;
    Object.assign(alert.configuration.settings, change.settings);
    // A disabled alert is no longer scanned, so nothing keeps it raised.
    if (!alert.configuration.isEnabled) alert.isActive = false;
    alert.lastModifiedDateTime = armTimestamp(this.now());
  }

  /**
   * Adds an incident to an alert. `onNextScan` (default) leaves it for the next successful scan to
   * find, as a new role assignment would be; otherwise it is there at once and raises the alert.
   */
  addIncident(scopeId: string, alertId: string, incident: IncidentRecord, options: { onNextScan?: boolean } = {}): void {
    const alert = this.alert(scopeId, alertId);
    const expected = ALERT_KINDS[alert.alertId].incidentType;
    if (incident.properties.alertIncidentType !== expected) {
      throw new Error(`An incident of alert '${alert.alertId}' must have alertIncidentType '${expected}'.`);
    }
    if (options.onNextScan ?? true) {
      alert.pendingIncidents.push(clone(incident));
    } else {
      alert.incidents.push(clone(incident));
      alert.isActive = alert.configuration.isEnabled;
      alert.lastModifiedDateTime = armTimestamp(this.now());
    }
  }

  /** Starts a scan of one alert or of every enabled alert of the scope. */
  startRefresh(scope: ScopeState, alert: AlertRecord | undefined, failFor: readonly string[]): OperationView {
    const now = this.now();
    const targets = alert ? [alert] : scope.alerts.filter((a) => a.configuration.isEnabled);
    const outcomes = targets.map((a) => ({
      alertId: a.alertId,
      outcome: (!a.configuration.isEnabled ? 'disabled' : failFor.some((f) => sameName(f, a.alertId)) ? 'failed' : 'completed') as ScanOutcome,
    }));
    const record: OperationRecord = {
      id: randomUUID(),
      scope: scope.scope,
      alertId: alert?.alertId,
      createdAt: now,
      // The service reports NotStarted for a while before the scan runs; a third of the time here.
      runningAt: now + Math.floor(this.refreshDurationMs / 3),
      completesAt: now + this.refreshDurationMs,
      outcomes,
      applied: false,
    };
    this.operations.set(record.id.toLowerCase(), record);
    return this.view(record, now);
  }

  /** Applies the effects of every scan that has finished by now, in the order they finished. */
  settle(): void {
    const now = this.now();
    const due = [...this.operations.values()].filter((o) => !o.applied && o.completesAt <= now).sort((a, b) => a.completesAt - b.completesAt);
    for (const op of due) {
      op.applied = true;
      const scope = this.scopeStates.find((s) => s.scope.id === op.scope.id);
      if (!scope) continue;
      const scannedAt = armTimestamp(op.completesAt);
      for (const { alertId, outcome } of op.outcomes) {
        const alert = scope.alerts.find((a) => a.alertId === alertId);
        if (!alert || outcome !== 'completed' || !alert.configuration.isEnabled) continue;
        alert.lastScannedDateTime = scannedAt;
        if (alert.pendingIncidents.length > 0) {
          alert.incidents.push(...alert.pendingIncidents);
          alert.pendingIncidents = [];
          alert.lastModifiedDateTime = scannedAt;
        }
        alert.isActive = alert.incidents.length > 0;
      }
    }
  }

  private view(record: OperationRecord, now: number): OperationView {
    if (now < record.runningAt) {
      return { record, phase: 'NotStarted', lastActionAt: record.createdAt, details: record.outcomes.map((o) => ({ name: o.alertId, statusDetail: STATUS_TEXT.notStarted })) };
    }
    if (now < record.completesAt) {
      return { record, phase: 'Running', lastActionAt: record.runningAt, details: record.outcomes.map((o) => ({ name: o.alertId, statusDetail: STATUS_TEXT.running })) };
    }
    const failed = record.outcomes.some((o) => o.outcome === 'failed');
    return {
      record,
      phase: failed ? 'Failed' : 'Succeeded',
      lastActionAt: record.completesAt,
      details: record.outcomes.map((o) => ({ name: o.alertId, statusDetail: STATUS_TEXT[o.outcome] })),
    };
  }
}
