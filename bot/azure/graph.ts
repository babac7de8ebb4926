// The PIM alerts of Entra ID directory roles over Microsoft Graph (beta,
// identityGovernance/roleManagementAlerts), behind the same PimAlertsApi as the ARM client and on
// the same foundations: the ARM client's pipeline and transport bound to GRAPH_ENDPOINT (the Graph
// token goes only there; @odata.nextLink and Location elsewhere are refused), the same retries,
// errors and polling. It serves one scope, `directory` (Graph: scopeId '/', scopeType
// 'DirectoryRole'), and returns the bot's one model (see graphModels.ts). Every id is checked
// before a URL is built: alert ids are DirectoryRole_{tenantId}_{AlertName}, incident ids GUIDs.
//
// Also here: the directory role reads that decide who may act on the directory in rbac mode.
import type {
  DirectoryRoleAssignment,
  DirectoryRolesApi,
  OperationHandle,
  OperationResult,
  PimAlertsApi,
  PollOptions,
  WriteResult,
} from './api';
import { ArmError, PimErrorCode, PimValidationError } from './errors';
import { alertFromGraph, configurationFromGraph, definitionFromGraph, GRAPH_TYPE_PREFIX, incidentFromGraph, operationFromGraph, ROLE_MANAGEMENT_ALERTS } from './graphModels';
import {
  GRAPH_CONFIGURATION_TYPES,
  type Alert,
  type AlertConfiguration,
  type AlertConfigurationUpdate,
  type AlertDefinition,
  type AlertIncident,
  type AlertOperationResult,
} from './models';
import { asOperationResult, pollLocation, pollSettings, quoteId, writeResult, type PollSettings } from './client';
import { ArmTransport, type ArmClientOptions } from './transport';
import { DIRECTORY_SCOPE, isDirectoryScope, validateDirectoryAlertId, validateGraphOperationId, validateGuid } from './validate';

/** The Graph version the PIM alerts API exists in (there is no v1.0 equivalent). */
export const GRAPH_VERSION = 'beta';

const ROOT = `${GRAPH_VERSION}/${ROLE_MANAGEMENT_ALERTS}`;
/** The only scope Graph has for these alerts: the tenant's directory roles. */
const SCOPE_FILTER = "scopeId eq '/' and scopeType eq 'DirectoryRole'";
const EXPAND_ALERT = 'alertDefinition,alertConfiguration,alertIncidents';

export interface GraphClientOptions extends Omit<ArmClientOptions, 'service'>, PollSettings {}

/** The directory scope, or a validation error naming what this client serves. */
function directoryScope(scope: string): string {
  if (!isDirectoryScope(scope)) {
    throw new PimValidationError(
      PimErrorCode.InvalidScope,
      `Microsoft Graph serves only the ${DIRECTORY_SCOPE} scope (Entra ID directory roles), not ${JSON.stringify(String(scope).slice(0, 80))}: Azure scopes go to Azure Resource Manager.`,
    );
  }
  return DIRECTORY_SCOPE;
}

function incidentId(id: string): string {
  return validateGuid('incident id', id);
}

export class GraphPimAlertsClient implements PimAlertsApi {
  private readonly t: ArmTransport;
  private readonly poll: Required<PollSettings>;

  constructor(options: GraphClientOptions = {}) {
    this.t = new ArmTransport({ ...options, service: 'graph' });
    this.poll = pollSettings(options);
  }

  private u(rest: string, query: Record<string, string> = {}): string {
    return this.t.url(`${ROOT}/${rest}`, query);
  }

  private async getObject(url: string, subject: string): Promise<Record<string, unknown>> {
    const res = await this.t.send({ method: 'GET', url, scope: DIRECTORY_SCOPE, subject });
    if (typeof res.json !== 'object' || res.json === null || Array.isArray(res.json)) throw this.t.invalidResponse(url, DIRECTORY_SCOPE, subject);
    return res.json as Record<string, unknown>;
  }

  /** Maps one object; a body the mapping cannot read (no id) is an invalid response. */
  private mapped<T>(value: T | undefined, url: string, subject: string): T {
    if (value === undefined) throw this.t.invalidResponse(url, DIRECTORY_SCOPE, subject);
    return value;
  }

  private async list<T>(url: string, subject: string, map: (raw: unknown) => T | undefined): Promise<T[]> {
    const raw = await this.t.listAll<unknown>(url, { scope: DIRECTORY_SCOPE, subject });
    return raw.map(map).filter((x): x is T => x !== undefined);
  }

  // ---- alerts ----

  async listAlerts(scope: string): Promise<Alert[]> {
    directoryScope(scope);
    return this.list(this.u('alerts', { $filter: SCOPE_FILTER, $expand: EXPAND_ALERT }), 'directory alerts', alertFromGraph);
  }

  async getAlert(scope: string, alertId: string): Promise<Alert> {
    directoryScope(scope);
    const id = validateDirectoryAlertId(alertId);
    const url = this.u(`alerts/${encodeURIComponent(id)}`, { $expand: EXPAND_ALERT });
    const subject = `the alert ${quoteId(id)}`;
    return this.mapped(alertFromGraph(await this.getObject(url, subject)), url, subject);
  }

  async updateAlert(scope: string, alertId: string, update: { isActive: boolean }): Promise<WriteResult> {
    directoryScope(scope);
    const id = validateDirectoryAlertId(alertId);
    if (typeof update?.isActive !== 'boolean') {
      throw new PimValidationError(PimErrorCode.InvalidUpdate, 'An alert update must set isActive to true or false: dismissing an alert is { isActive: false }.');
    }
    return writeResult(this.t, await this.t.send({
      method: 'PATCH',
      url: this.u(`alerts/${encodeURIComponent(id)}`),
      body: { isActive: update.isActive },
      scope: DIRECTORY_SCOPE,
      subject: `the alert ${quoteId(id)}`,
    }));
  }

  async refreshAlert(scope: string, alertId: string): Promise<OperationHandle> {
    directoryScope(scope);
    const id = validateDirectoryAlertId(alertId);
    // "Do not specify a request body" for one alert.
    return this.startRefresh(this.u(`alerts/${encodeURIComponent(id)}/refresh`), undefined, id);
  }

  async refreshAllAlerts(scope: string): Promise<OperationHandle> {
    directoryScope(scope);
    return this.startRefresh(this.u('alerts/refresh'), { scopeId: '/', scopeType: 'DirectoryRole' }, undefined);
  }

  /** 202 + Location (no body): the handle keeps the Location verbatim, checked to stay on the Graph origin. */
  private async startRefresh(url: string, body: unknown, alertId: string | undefined): Promise<OperationHandle> {
    const res = await this.t.send({ method: 'POST', url, body, scope: DIRECTORY_SCOPE, subject: alertId ? `the alert ${quoteId(alertId)}` : 'the directory alerts' });
    const header = res.headers.get('location');
    if (!header) {
      throw new ArmError({
        service: 'graph',
        status: res.status,
        code: PimErrorCode.MissingLocation,
        scope: DIRECTORY_SCOPE,
        requestId: this.t.requestIdOf(res),
        message: 'Microsoft Graph started the refresh of the directory alerts but gave no Location to follow it: check the alerts again in a few minutes.',
      });
    }
    const location = this.t.sameOriginUrl(header, 'The refresh operation Location');
    const operationId = decodeURIComponent(new URL(location).pathname.split('/').pop() ?? '');
    const initial = asOperationResult(res.json);
    return {
      service: 'graph',
      location,
      scope: DIRECTORY_SCOPE,
      ...(alertId !== undefined ? { alertId } : {}),
      ...(operationId !== '' ? { operationId } : {}),
      startedAt: new Date(this.t.clock.now()).toISOString(),
      ...writeResult(this.t, res),
      ...(initial !== undefined ? { initial } : {}),
    };
  }

  // ---- configurations ----

  async listAlertConfigurations(scope: string): Promise<AlertConfiguration[]> {
    directoryScope(scope);
    return this.list(this.u('alertConfigurations', { $filter: SCOPE_FILTER, $expand: 'alertDefinition' }), 'directory alert configurations', configurationFromGraph);
  }

  async getAlertConfiguration(scope: string, alertId: string): Promise<AlertConfiguration> {
    directoryScope(scope);
    const id = validateDirectoryAlertId(alertId);
    const url = this.u(`alertConfigurations/${encodeURIComponent(id)}`, { $expand: 'alertDefinition' });
    const subject = `the configuration of alert ${quoteId(id)}`;
    return this.mapped(configurationFromGraph(await this.getObject(url, subject)), url, subject);
  }

  /** PATCH with the kind as `@odata.type` (Graph requires it) and the changed members as they are. */
  async updateAlertConfiguration(scope: string, alertId: string, update: AlertConfigurationUpdate): Promise<WriteResult> {
    directoryScope(scope);
    const id = validateDirectoryAlertId(alertId);
    // Callers may hold data from JSON (card actions), so the kind is checked at run time too.
    const { alertConfigurationType: kind, ...members } = (update ?? {}) as { alertConfigurationType?: unknown } & Record<string, unknown>;
    if (typeof kind !== 'string' || !(GRAPH_CONFIGURATION_TYPES as readonly string[]).includes(kind)) {
      throw new PimValidationError(
        PimErrorCode.InvalidUpdate,
        'A directory alert configuration update must name its Graph kind (for example tooManyGlobalAdminsAssignedToTenantAlertConfiguration): read the configuration first and send its kind back.',
      );
    }
    return writeResult(this.t, await this.t.send({
      method: 'PATCH',
      url: this.u(`alertConfigurations/${encodeURIComponent(id)}`),
      body: { '@odata.type': `${GRAPH_TYPE_PREFIX}${kind}`, ...members },
      scope: DIRECTORY_SCOPE,
      subject: `the configuration of alert ${quoteId(id)}`,
    }));
  }

  // ---- definitions ----

  async listAlertDefinitions(scope: string): Promise<AlertDefinition[]> {
    directoryScope(scope);
    return this.list(this.u('alertDefinitions', { $filter: SCOPE_FILTER }), 'directory alert definitions', (raw) => definitionFromGraph(raw));
  }

  async getAlertDefinition(scope: string, alertDefinitionId: string): Promise<AlertDefinition> {
    directoryScope(scope);
    const id = validateDirectoryAlertId(alertDefinitionId);
    const url = this.u(`alertDefinitions/${encodeURIComponent(id)}`);
    const subject = `the alert definition ${quoteId(id)}`;
    return this.mapped(definitionFromGraph(await this.getObject(url, subject)), url, subject);
  }

  // ---- incidents ----

  async listAlertIncidents(scope: string, alertId: string): Promise<AlertIncident[]> {
    directoryScope(scope);
    const id = validateDirectoryAlertId(alertId);
    return this.list(this.u(`alerts/${encodeURIComponent(id)}/alertIncidents`), `incidents of alert ${quoteId(id)}`, (raw) => incidentFromGraph(raw, id));
  }

  async getAlertIncident(scope: string, alertId: string, incident: string): Promise<AlertIncident> {
    directoryScope(scope);
    const id = validateDirectoryAlertId(alertId);
    const inc = incidentId(incident);
    const url = this.u(`alerts/${encodeURIComponent(id)}/alertIncidents/${inc}`);
    const subject = `the incident ${quoteId(inc)} of alert ${quoteId(id)}`;
    return this.mapped(incidentFromGraph(await this.getObject(url, subject), id), url, subject);
  }

  /** Graph answers 200 with no body (400 when the alert's definition is not remediatable). */
  async remediateAlertIncident(scope: string, alertId: string, incident: string): Promise<WriteResult> {
    directoryScope(scope);
    const id = validateDirectoryAlertId(alertId);
    const inc = incidentId(incident);
    return writeResult(this.t, await this.t.send({
      method: 'POST',
      url: this.u(`alerts/${encodeURIComponent(id)}/alertIncidents/${inc}/remediate`),
      scope: DIRECTORY_SCOPE,
      subject: `the incident ${quoteId(inc)} of alert ${quoteId(id)}`,
    }));
  }

  // ---- operations ----

  async getAlertOperation(scope: string, operationId: string): Promise<AlertOperationResult> {
    directoryScope(scope);
    const id = validateGraphOperationId(operationId);
    // ':' is allowed in a path segment and is how Graph writes these ids.
    const url = this.u(`operations/${encodeURIComponent(id).replace(/%3A/gi, ':')}`);
    const subject = `the refresh operation ${quoteId(id)}`;
    return this.mapped(operationFromGraph(await this.getObject(url, subject)), url, subject);
  }

  async pollOperation(handle: OperationHandle, options: PollOptions = {}): Promise<OperationResult> {
    return pollLocation(this.t, this.poll, handle, options);
  }
}

/** Reads a person's directory role assignments (RoleManagement.Read.Directory), direct and through groups. */
export class GraphDirectoryRolesClient implements DirectoryRolesApi {
  private readonly t: ArmTransport;

  constructor(options: Omit<ArmClientOptions, 'service'> = {}) {
    this.t = new ArmTransport({ ...options, service: 'graph' });
  }

  async listTransitiveRoleAssignments(principalObjectId: string): Promise<DirectoryRoleAssignment[]> {
    const principal = validateGuid('principal object id', principalObjectId);
    const url = this.t.url(`${GRAPH_VERSION}/roleManagement/directory/transitiveRoleAssignments`, { $count: 'true', $filter: `principalId eq '${principal}'` });
    // Without ConsistencyLevel: eventual this listing answers 404.
    const raw = await this.t.listAll<Record<string, unknown>>(url, { subject: 'directory role assignments', headers: { ConsistencyLevel: 'eventual' } });
    return raw.filter(
      (a): a is DirectoryRoleAssignment =>
        typeof a.id === 'string' && typeof a.principalId === 'string' && typeof a.roleDefinitionId === 'string' && typeof a.directoryScopeId === 'string',
    );
  }
}
