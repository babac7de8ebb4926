// The PIM role management alerts API over ARM (Microsoft.Authorization, 2022-08-01-preview).
// Every public method validates its scope and ids before building a URL, so nothing a person
// typed can reshape the request; everything else (retries, token, host guard) is the pipeline's.
import type { OperationHandle, OperationOutcome, OperationResult, PimAlertsApi, PollOptions, StatusDetailEntry, WriteResult } from './api';
import { ArmError, PimErrorCode, PimValidationError } from './errors';
import {
  API_VERSION,
  type Alert,
  type AlertConfiguration,
  type AlertConfigurationUpdate,
  type AlertDefinition,
  type AlertIncident,
  type AlertOperationResult,
} from './models';
import { parseRetryAfterMs } from './pipeline';
import { ArmTransport, type ArmClientOptions, type ArmResponse } from './transport';
import { normalizeArmScope, validateId } from './validate';

/** How a client follows a refresh; shared by the ARM and the Graph client. */
export interface PollSettings {
  /** How long pollOperation keeps polling after the refresh started. Default 15 min. */
  pollDeadlineMs?: number;
  /** Wait between polls when the service sends no Retry-After. Default 5 s. */
  pollIntervalMs?: number;
  /** A poll Retry-After above this is capped to it. Default 60 s. */
  pollMaxRetryAfterMs?: number;
  /** Floor between polls, so Retry-After: 0 cannot turn polling into a busy loop. Default 1 s. */
  pollMinIntervalMs?: number;
}

export interface PimAlertsClientOptions extends Omit<ArmClientOptions, 'service'>, PollSettings {}

export const DEFAULT_POLL_DEADLINE_MS = 15 * 60_000;
export const DEFAULT_POLL_INTERVAL_MS = 5_000;
export const DEFAULT_POLL_MAX_RETRY_AFTER_MS = 60_000;
export const DEFAULT_POLL_MIN_INTERVAL_MS = 1_000;

const AUTH = 'providers/Microsoft.Authorization';

/** Scope as URL path segments (already validated; encoding only matters for non-ASCII resource group names). */
function scopePath(scope: string): string {
  return scope.split('/').map(encodeURIComponent).join('/');
}

/** An id as error messages quote it: 'id'. */
export function quoteId(id: string): string {
  return `'${id}'`;
}

/** Maps a service status to an outcome; undefined while the operation is still going. Case-insensitive. */
export function terminalOutcome(status: string | undefined): Exclude<OperationOutcome, 'timedOut'> | undefined {
  switch ((status ?? '').trim().toLowerCase()) {
    case 'succeeded':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'canceled':
    case 'cancelled':
      return 'canceled';
    default:
      return undefined;
  }
}

/**
 * `statusDetail` is JSON inside a string: `{"result":[{"name","statusDetail"}]}`. Parsed leniently:
 * anything else (plain text, other JSON) becomes one entry carrying the raw text.
 */
export function parseStatusDetail(statusDetail: unknown): StatusDetailEntry[] {
  if (statusDetail === undefined || statusDetail === null || statusDetail === '') return [];
  const raw = typeof statusDetail === 'string' ? statusDetail : JSON.stringify(statusDetail);
  let parsed: unknown;
  try {
    parsed = typeof statusDetail === 'string' ? JSON.parse(statusDetail) : statusDetail;
  } catch {
    return [{ statusDetail: raw }];
  }
  const result = (parsed as { result?: unknown } | null)?.result;
  if (!Array.isArray(result)) return [{ statusDetail: raw }];
  return result
    .filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null)
    .map((r) => ({
      ...(typeof r.name === 'string' ? { name: r.name } : {}),
      ...(typeof r.statusDetail === 'string' ? { statusDetail: r.statusDetail } : r.statusDetail !== undefined ? { statusDetail: JSON.stringify(r.statusDetail) } : {}),
    }));
}

export function asOperationResult(json: unknown): AlertOperationResult | undefined {
  return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as AlertOperationResult) : undefined;
}

export class PimAlertsClient implements PimAlertsApi {
  private readonly t: ArmTransport;
  private readonly poll: Required<PollSettings>;

  constructor(options: PimAlertsClientOptions = {}) {
    this.t = new ArmTransport({ ...options, service: 'arm' });
    this.poll = pollSettings(options);
  }

  /** The ARM origin requests go to. */
  get endpoint(): string {
    return this.t.origin;
  }

  private u(scope: string, rest: string): string {
    return this.t.url(`${scopePath(scope)}/${AUTH}/${rest}`, { 'api-version': API_VERSION });
  }

  private async getOne<T>(url: string, scope: string, subject: string): Promise<T> {
    const res = await this.t.send({ method: 'GET', url, scope, subject });
    if (typeof res.json !== 'object' || res.json === null || Array.isArray(res.json)) throw this.t.invalidResponse(url, scope, subject);
    return res.json as T;
  }

  // ---- alerts ----

  async listAlerts(scope: string): Promise<Alert[]> {
    const s = normalizeArmScope(scope);
    return this.t.listAll<Alert>(this.u(s, 'roleManagementAlerts'), { scope: s, subject: 'alerts' });
  }

  async getAlert(scope: string, alertId: string): Promise<Alert> {
    const s = normalizeArmScope(scope);
    const id = validateId('alert', alertId);
    return this.getOne<Alert>(this.u(s, `roleManagementAlerts/${encodeURIComponent(id)}`), s, `the alert ${quoteId(id)}`);
  }

  async updateAlert(scope: string, alertId: string, update: { isActive: boolean }): Promise<WriteResult> {
    const s = normalizeArmScope(scope);
    const id = validateId('alert', alertId);
    if (typeof update?.isActive !== 'boolean') {
      throw new PimValidationError(PimErrorCode.InvalidUpdate, 'An alert update must set isActive to true or false: dismissing an alert is { isActive: false }.');
    }
    return writeResult(this.t, await this.t.send({
      method: 'PATCH',
      url: this.u(s, `roleManagementAlerts/${encodeURIComponent(id)}`),
      body: { properties: { isActive: update.isActive } },
      scope: s,
      subject: `the alert ${quoteId(id)}`,
    }));
  }

  async refreshAlert(scope: string, alertId: string): Promise<OperationHandle> {
    const s = normalizeArmScope(scope);
    const id = validateId('alert', alertId);
    return this.startRefresh(this.u(s, `roleManagementAlerts/${encodeURIComponent(id)}/refresh`), s, id);
  }

  async refreshAllAlerts(scope: string): Promise<OperationHandle> {
    const s = normalizeArmScope(scope);
    return this.startRefresh(this.u(s, 'roleManagementAlerts/refresh'), s, undefined);
  }

  private async startRefresh(url: string, scope: string, alertId: string | undefined): Promise<OperationHandle> {
    const res = await this.t.send({ method: 'POST', url, scope, subject: alertId ? `the alert ${quoteId(alertId)}` : 'the alerts' });
    const initial = asOperationResult(res.json);
    const operationId = typeof initial?.id === 'string' && initial.id !== '' ? initial.id : undefined;
    const location = this.operationLocation(res, scope, operationId);
    return {
      service: 'arm',
      location,
      scope,
      ...(alertId !== undefined ? { alertId } : {}),
      ...(operationId !== undefined ? { operationId } : {}),
      startedAt: new Date(this.t.clock.now()).toISOString(),
      ...writeResult(this.t, res),
      ...(initial !== undefined ? { initial } : {}),
    };
  }

  /** Location as sent (it may carry another api-version); else Azure-AsyncOperation; else the operation resource built from the body's id. */
  private operationLocation(res: ArmResponse, scope: string, operationId: string | undefined): string {
    const header = res.headers.get('location') ?? res.headers.get('azure-asyncoperation');
    if (header) return this.t.sameOriginUrl(header, 'The refresh operation Location');
    if (operationId !== undefined) {
      try {
        return this.u(scope, `roleManagementAlertOperations/${encodeURIComponent(validateId('operation', operationId))}`);
      } catch {
        // fall through: an id we cannot put in a path is as good as none
      }
    }
    throw new ArmError({
      status: res.status,
      code: PimErrorCode.MissingLocation,
      scope,
      requestId: res.headers.get('x-ms-request-id'),
      message: `Azure Resource Manager started the refresh at ${scope} but gave no Location to follow it: check the alerts again in a few minutes.`,
    });
  }

  // ---- configurations ----

  async listAlertConfigurations(scope: string): Promise<AlertConfiguration[]> {
    const s = normalizeArmScope(scope);
    return this.t.listAll<AlertConfiguration>(this.u(s, 'roleManagementAlertConfigurations'), { scope: s, subject: 'alert configurations' });
  }

  async getAlertConfiguration(scope: string, alertId: string): Promise<AlertConfiguration> {
    const s = normalizeArmScope(scope);
    const id = validateId('alert', alertId);
    return this.getOne<AlertConfiguration>(this.u(s, `roleManagementAlertConfigurations/${encodeURIComponent(id)}`), s, `the configuration of alert ${quoteId(id)}`);
  }

  async updateAlertConfiguration(scope: string, alertId: string, update: AlertConfigurationUpdate): Promise<WriteResult> {
    const s = normalizeArmScope(scope);
    const id = validateId('alert', alertId);
    // Callers may hold data from JSON (card actions), so the discriminator is checked at run time too.
    const type: unknown = (update as { alertConfigurationType?: unknown } | null)?.alertConfigurationType;
    if (typeof type !== 'string' || type === '') {
      throw new PimValidationError(
        PimErrorCode.InvalidUpdate,
        'A configuration update must name its alertConfigurationType (for example TooManyOwnersAssignedToResourceAlertConfiguration): read the configuration first and send its type back.',
      );
    }
    return writeResult(this.t, await this.t.send({
      method: 'PATCH',
      url: this.u(s, `roleManagementAlertConfigurations/${encodeURIComponent(id)}`),
      body: { properties: { ...update } },
      scope: s,
      subject: `the configuration of alert ${quoteId(id)}`,
    }));
  }

  // ---- definitions ----

  async listAlertDefinitions(scope: string): Promise<AlertDefinition[]> {
    const s = normalizeArmScope(scope);
    return this.t.listAll<AlertDefinition>(this.u(s, 'roleManagementAlertDefinitions'), { scope: s, subject: 'alert definitions' });
  }

  async getAlertDefinition(scope: string, alertDefinitionId: string): Promise<AlertDefinition> {
    const s = normalizeArmScope(scope);
    const id = validateId('alertDefinition', alertDefinitionId);
    return this.getOne<AlertDefinition>(this.u(s, `roleManagementAlertDefinitions/${encodeURIComponent(id)}`), s, `the alert definition ${quoteId(id)}`);
  }

  // ---- incidents ----

  async listAlertIncidents(scope: string, alertId: string): Promise<AlertIncident[]> {
    const s = normalizeArmScope(scope);
    const id = validateId('alert', alertId);
    return this.t.listAll<AlertIncident>(this.u(s, `roleManagementAlerts/${encodeURIComponent(id)}/alertIncidents`), {
      scope: s,
      subject: `incidents of alert ${quoteId(id)}`,
    });
  }

  async getAlertIncident(scope: string, alertId: string, incidentId: string): Promise<AlertIncident> {
    const s = normalizeArmScope(scope);
    const id = validateId('alert', alertId);
    const inc = validateId('incident', incidentId);
    return this.getOne<AlertIncident>(
      this.u(s, `roleManagementAlerts/${encodeURIComponent(id)}/alertIncidents/${encodeURIComponent(inc)}`),
      s,
      `the incident ${quoteId(inc)} of alert ${quoteId(id)}`,
    );
  }

  async remediateAlertIncident(scope: string, alertId: string, incidentId: string): Promise<WriteResult> {
    const s = normalizeArmScope(scope);
    const id = validateId('alert', alertId);
    const inc = validateId('incident', incidentId);
    return writeResult(this.t, await this.t.send({
      method: 'POST',
      url: this.u(s, `roleManagementAlerts/${encodeURIComponent(id)}/alertIncidents/${encodeURIComponent(inc)}/remediate`),
      scope: s,
      subject: `the incident ${quoteId(inc)} of alert ${quoteId(id)}`,
    }));
  }

  // ---- operations ----

  async getAlertOperation(scope: string, operationId: string): Promise<AlertOperationResult> {
    const s = normalizeArmScope(scope);
    const id = validateId('operation', operationId);
    return this.getOne<AlertOperationResult>(this.u(s, `roleManagementAlertOperations/${encodeURIComponent(id)}`), s, `the refresh operation ${quoteId(id)}`);
  }

  /** Follows the handle's Location until the status is terminal or the deadline passes (see pollLocation). */
  async pollOperation(handle: OperationHandle, options: PollOptions = {}): Promise<OperationResult> {
    return pollLocation(this.t, this.poll, handle, options);
  }
}

export function pollSettings(options: PollSettings): Required<PollSettings> {
  return {
    pollDeadlineMs: options.pollDeadlineMs ?? DEFAULT_POLL_DEADLINE_MS,
    pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    pollMaxRetryAfterMs: options.pollMaxRetryAfterMs ?? DEFAULT_POLL_MAX_RETRY_AFTER_MS,
    pollMinIntervalMs: options.pollMinIntervalMs ?? DEFAULT_POLL_MIN_INTERVAL_MS,
  };
}

/**
 * Follows a handle's Location until the status is terminal or the deadline passes. Waits what
 * Retry-After asks (capped), else the poll interval. A 2xx without a status counts as running
 * while it is a 202 and as succeeded otherwise (ARM's Location pattern). The handle may come from
 * storage (JSON), so it is checked again here: a Location off the transport's origin is refused
 * unsent. ARM and Graph operations poll alike (the same six members; status compared
 * case-insensitively), so both clients use this.
 */
export async function pollLocation(t: ArmTransport, settings: Required<PollSettings>, handle: OperationHandle, options: PollOptions = {}): Promise<OperationResult> {
  const clock = t.clock;
  if (typeof handle?.location !== 'string' || handle.location === '') {
    throw new ArmError({
      service: t.service.kind,
      status: 0,
      code: PimErrorCode.MissingLocation,
      scope: handle?.scope,
      message: 'The refresh to follow has no Location: start the refresh again.',
    });
  }
  const location = t.sameOriginUrl(handle.location, 'The refresh operation Location');
  const started = Date.parse(handle.startedAt);
  const startedAt = Number.isFinite(started) ? started : clock.now();
  const deadline = options.deadline ?? startedAt + settings.pollDeadlineMs;
  const scope = typeof handle.scope === 'string' ? handle.scope : undefined;

  let last = handle.initial;
  let status = last?.status;
  let polls = 0;
  const result = (outcome: OperationOutcome): OperationResult => ({
    outcome,
    ...(status !== undefined ? { status } : {}),
    details: parseStatusDetail(last?.statusDetail),
    ...(last !== undefined ? { last } : {}),
    durationMs: Math.max(0, clock.now() - startedAt),
    polls,
  });

  for (;;) {
    if (clock.now() >= deadline) return result('timedOut');
    const res = await t.send({ method: 'GET', url: location, scope, subject: 'the refresh operation', abortSignal: options.abortSignal });
    polls += 1;
    const body = asOperationResult(res.json);
    if (body !== undefined) last = body;
    status = typeof body?.status === 'string' ? body.status : res.status === 202 ? 'Running' : 'Succeeded';
    if (last !== undefined) options.onProgress?.(last);
    else options.onProgress?.({ status });
    const outcome = terminalOutcome(status);
    if (outcome !== undefined) return result(outcome);

    const asked = parseRetryAfterMs(res.headers, clock.now());
    const wait = Math.max(settings.pollMinIntervalMs, Math.min(asked ?? settings.pollIntervalMs, settings.pollMaxRetryAfterMs));
    const remaining = deadline - clock.now();
    if (remaining <= 0) return result('timedOut');
    await clock.sleep(Math.min(wait, remaining), options.abortSignal);
  }
}

/** The request id of a write's answer, kept for the audit log. */
export function writeResult(t: ArmTransport, res: { headers: { get(name: string): string | undefined } }): WriteResult {
  const requestId = t.requestIdOf(res);
  return requestId ? { requestId } : {};
}
