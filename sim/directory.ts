// The simulator's Entra ID directory: the directory-role PIM alerts Microsoft Graph serves, with the
// service behaviour behind each operation. Like SimState (the ARM side) it has no timers: a refresh
// is a record with timestamps, applied lazily (`settle`) when anything reads the state, so fake
// clocks drive it exactly. Errors are the simulator's ArmError; the server writes them in Graph's
// error shape on the Graph routes.
import { randomUUID } from 'node:crypto';
import { ArmError, sameName } from './arm';
import { INT32_MAX, isObject } from './validation';
import {
  DIRECTORY_ALERT_KINDS,
  type DirectoryAlertKind,
  type DirectoryConfigurationRecord,
  type DirectoryIncidentRecord,
  type DirectoryRoleAssignmentSeed,
  type DirectorySeed,
  type DirectorySettingKind,
  type SimClock,
} from './model';

export interface DirectoryAlertRecord {
  kind: DirectoryAlertKind;
  /** DirectoryRole_{tenantId}_{AlertName}. */
  id: string;
  isActive: boolean;
  lastModifiedDateTime: string;
  lastScannedDateTime: string;
  configuration: DirectoryConfigurationRecord;
  incidents: DirectoryIncidentRecord[];
  /** Incidents the next successful scan of this alert will find. */
  pendingIncidents: DirectoryIncidentRecord[];
}

export interface DirectoryOperationRecord {
  id: string;
  /** The refreshed alert, or undefined for refresh-all. */
  alertId?: string;
  createdAt: number;
  runningAt: number;
  completesAt: number;
  /** Decided when the refresh starts, so a later fault change does not rewrite history. */
  outcomes: Array<{ alertId: string; failed: boolean }>;
  applied: boolean;
}

export type DirectoryOperationStatus = 'notStarted' | 'running' | 'succeeded' | 'failed';

export interface DirectoryOperationView {
  record: DirectoryOperationRecord;
  status: DirectoryOperationStatus;
  lastActionAt: number;
}

export interface DirectoryConfigurationChange {
  isEnabled?: boolean;
  settings: Record<string, number | string>;
}

const DURATION = /^P(?:\d+W)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$/;

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Graph writes UTC times with a `Z`. */
export function graphTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}

function badRequest(message: string): ArmError {
  return new ArmError(400, 'BadRequest', message);
}

export class DirectoryState {
  readonly tenantId: string;
  readonly displayName: string;
  readonly definitions: Array<Record<string, unknown> & { id: string; isRemediatable: boolean }>;
  readonly alerts: DirectoryAlertRecord[];
  readonly roleAssignments: DirectoryRoleAssignmentSeed[];
  private readonly operations = new Map<string, DirectoryOperationRecord>();

  constructor(
    seed: DirectorySeed,
    private readonly options: { clock: SimClock; refreshDurationMs: number },
  ) {
    this.tenantId = seed.tenantId;
    this.displayName = seed.displayName;
    this.definitions = clone(seed.definitions);
    this.alerts = seed.alerts.map((a) => ({
      kind: a.alert,
      id: this.alertId(a.alert),
      isActive: a.isActive,
      lastModifiedDateTime: a.lastModifiedDateTime,
      lastScannedDateTime: a.lastScannedDateTime,
      configuration: clone(a.configuration),
      incidents: clone(a.incidents),
      pendingIncidents: [],
    }));
    this.roleAssignments = clone(seed.roleAssignments);
  }

  now(): number {
    return this.options.clock.now();
  }

  alertId(kind: DirectoryAlertKind): string {
    return `DirectoryRole_${this.tenantId}_${kind}`;
  }

  // ---- lookups ----

  /** The alert with this id (or, for tests, this AlertName), settled. */
  findAlert(id: string): DirectoryAlertRecord {
    this.settle();
    const found = this.alerts.find((a) => sameName(a.id, id) || sameName(a.kind, id));
    if (!found) throw new ArmError(404, 'ResourceNotFound', `The alert '${id}' was not found in this tenant; list the alerts to see their ids.`);
    return found;
  }

  findDefinition(id: string): Record<string, unknown> & { id: string; isRemediatable: boolean } {
    const found = this.definitions.find((d) => sameName(d.id, id));
    if (!found) throw new ArmError(404, 'ResourceNotFound', `The alert definition '${id}' was not found in this tenant; list the definitions to see their ids.`);
    return found;
  }

  findIncident(alert: DirectoryAlertRecord, incidentId: string): DirectoryIncidentRecord {
    const found = alert.incidents.find((i) => sameName(i.id, incidentId));
    if (!found) throw new ArmError(404, 'ResourceNotFound', `The incident '${incidentId}' of alert '${alert.id}' was not found; it may already be remediated.`);
    return found;
  }

  findOperation(id: string): DirectoryOperationView {
    this.settle();
    const record = this.operations.get(id.toLowerCase());
    if (!record) throw new ArmError(404, 'ResourceNotFound', `The operation '${id}' was not found; use the Location of the refresh response.`);
    return this.view(record, this.now());
  }

  // ---- changes ----

  /** PATCH {isActive: false}: the alert stops being active; the next scan that finds incidents raises it again. */
  dismiss(alert: DirectoryAlertRecord): void {
    alert.isActive = false;
  }

  remediate(alert: DirectoryAlertRecord, incidentId: string): void {
    const incident = this.findIncident(alert, incidentId);
    if (!this.findDefinition(alert.id).isRemediatable) {
      throw badRequest(`The alert '${alert.id}' cannot be remediated: its definition says isRemediatable false; follow its mitigation steps instead.`);
    }
    alert.incidents = alert.incidents.filter((i) => i !== incident);
    if (alert.incidents.length === 0) alert.isActive = false;
  }

  updateConfiguration(alert: DirectoryAlertRecord, change: DirectoryConfigurationChange): void {
    if (change.isEnabled !== undefined) alert.configuration.isEnabled = change.isEnabled;
    Object.assign(alert.configuration, change.settings);
    // A disabled alert is no longer scanned, so nothing keeps it raised.
    if (!alert.configuration.isEnabled) alert.isActive = false;
  }

  /** Adds an incident (tests, local experiments): for the next successful scan (default), or at once. */
  addIncident(alertId: string, incident: DirectoryIncidentRecord, options: { onNextScan?: boolean } = {}): void {
    const alert = this.findAlert(alertId);
    const expected = `#microsoft.graph.${DIRECTORY_ALERT_KINDS[alert.kind].incidentType}`;
    if (incident['@odata.type'] !== expected) throw new Error(`An incident of alert '${alert.kind}' must have @odata.type '${expected}'.`);
    if (options.onNextScan ?? true) {
      alert.pendingIncidents.push(clone(incident));
    } else {
      alert.incidents.push(clone(incident));
      alert.isActive = alert.configuration.isEnabled;
      alert.lastModifiedDateTime = graphTimestamp(this.now());
    }
  }

  /**
   * Starts a scan of one alert or of every enabled one. One alert's operation is named
   * `refresh:{alertId}` (as the docs show it); a refresh of all alerts gets a GUID.
   */
  startRefresh(alert: DirectoryAlertRecord | undefined, failFor: readonly string[]): DirectoryOperationView {
    const now = this.now();
    const targets = alert ? [alert] : this.alerts.filter((a) => a.configuration.isEnabled);
    const record: DirectoryOperationRecord = {
      id: alert ? `refresh:${alert.id}` : randomUUID(),
      alertId: alert?.id,
      createdAt: now,
      runningAt: now + Math.floor(this.options.refreshDurationMs / 3),
      completesAt: now + this.options.refreshDurationMs,
      outcomes: targets.map((a) => ({ alertId: a.id, failed: failFor.some((f) => sameName(f, a.id) || sameName(f, a.kind)) })),
      applied: false,
    };
    this.operations.set(record.id.toLowerCase(), record);
    return this.view(record, now);
  }

  /** Applies every finished scan, oldest first: scanned alerts are raised again when they have incidents (also dismissed ones). */
  settle(): void {
    const now = this.now();
    const due = [...this.operations.values()].filter((o) => !o.applied && o.completesAt <= now).sort((a, b) => a.completesAt - b.completesAt);
    for (const op of due) {
      op.applied = true;
      const scannedAt = graphTimestamp(op.completesAt);
      for (const { alertId, failed } of op.outcomes) {
        const alert = this.alerts.find((a) => a.id === alertId);
        if (!alert || failed || !alert.configuration.isEnabled) continue;
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

  private view(record: DirectoryOperationRecord, now: number): DirectoryOperationView {
    if (now < record.runningAt) return { record, status: 'notStarted', lastActionAt: record.createdAt };
    if (now < record.completesAt) return { record, status: 'running', lastActionAt: record.runningAt };
    return { record, status: record.outcomes.some((o) => o.failed) ? 'failed' : 'succeeded', lastActionAt: record.completesAt };
  }
}

// ---- request bodies ----

/** PATCH alerts/{id}: only `isActive: false` (dismiss) is accepted. */
export function validateDirectoryAlertUpdate(body: unknown): void {
  if (!isObject(body)) throw badRequest("The alert update must be a JSON object such as { \"isActive\": false }.");
  for (const key of Object.keys(body)) {
    if (key !== 'isActive') throw badRequest(`The property '${key}' of an alert cannot be updated; only isActive can.`);
  }
  if (body['isActive'] !== false) throw badRequest("Only { \"isActive\": false } (dismiss) is accepted; an alert is raised again by a scan.");
}

function setting(name: string, kind: DirectorySettingKind, value: unknown): number | string {
  if (kind === 'duration') {
    if (typeof value !== 'string' || !DURATION.test(value) || value === 'P' || value.endsWith('T')) {
      throw badRequest(`The property '${name}' must be an ISO 8601 duration such as P30D or PT10M.`);
    }
    return value;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value > INT32_MAX) throw badRequest(`The property '${name}' must be a whole number (Int32).`);
  if (kind === 'percentage' && (value < 0 || value > 100)) throw badRequest(`The property '${name}' is a percentage and must be between 0 and 100.`);
  if (kind === 'count' && value < 1) throw badRequest(`The property '${name}' must be at least 1.`);
  return value;
}

/**
 * PATCH alertConfigurations/{id}: `@odata.type` is required and must be the alert's own kind; then
 * isEnabled and the kind's settings. The update page's example sends isEnabled as the string "true";
 * the service answered 204 there, so the string forms "true"/"false" are accepted too.
 */
export function validateDirectoryConfigurationUpdate(kind: DirectoryAlertKind, body: unknown): DirectoryConfigurationChange {
  const info = DIRECTORY_ALERT_KINDS[kind];
  const type = `#microsoft.graph.${info.configurationType}`;
  if (!isObject(body)) throw badRequest('The configuration update must be a JSON object with its @odata.type.');
  if (body['@odata.type'] === undefined) throw badRequest(`The property '@odata.type' is required; send '${type}' for this alert.`);
  if (body['@odata.type'] !== type) throw badRequest(`The @odata.type '${String(body['@odata.type'])}' does not match this alert; send '${type}'.`);
  const settings: Record<string, DirectorySettingKind> = info.settings;
  const change: DirectoryConfigurationChange = { settings: {} };
  for (const [key, value] of Object.entries(body)) {
    if (key === '@odata.type') continue;
    if (key === 'isEnabled') {
      const v = value === 'true' ? true : value === 'false' ? false : value;
      if (typeof v !== 'boolean') throw badRequest("The property 'isEnabled' must be a Boolean.");
      change.isEnabled = v;
    } else if (Object.prototype.hasOwnProperty.call(settings, key)) {
      change.settings[key] = setting(key, settings[key]!, value);
    } else {
      const allowed = ['isEnabled', ...Object.keys(settings)].join("', '");
      throw badRequest(`The property '${key}' is not a setting of ${info.configurationType}; allowed are '${allowed}'.`);
    }
  }
  return change;
}
