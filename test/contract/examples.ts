// Microsoft's official examples for the PIM alerts API (test/fixtures/arm/examples), each tied to
// the operation it documents and to the PimAlertsApi call that performs it. The client contract
// test and the simulator contract test both iterate this one table, so a new example is exercised
// against both or neither.
import fs from 'node:fs';
import path from 'node:path';
import type { PimAlertsApi } from '../../bot/azure/api';
import type { AlertConfigurationUpdate } from '../../bot/azure/models';

export interface ExampleFile {
  parameters: Record<string, unknown> & { scope: string; 'api-version': string; parameters?: unknown };
  responses: Record<string, { body?: unknown; headers?: Record<string, string> }>;
}

export interface ContractCase {
  file: string;
  operationId: string;
  method: 'GET' | 'PATCH' | 'POST';
  /** Path template from the spec, `{scope}` without its leading slash. */
  pathTemplate: string;
  example: ExampleFile;
  /** The path the example's parameters describe (leading slash, no query). */
  path: string;
  /** The body the example sends, if any. */
  requestBody?: unknown;
  status: number;
  responseBody?: unknown;
  responseHeaders?: Record<string, string>;
  /** Performs the example's request through the client, with the example's parameters or the
   *  given ones (some examples carry placeholders such as `{operationId}` that no real id matches). */
  call(api: PimAlertsApi, parameters?: Record<string, unknown>): Promise<unknown>;
}

const EXAMPLES_DIR = path.join(__dirname, '..', 'fixtures', 'arm', 'examples');
const P = '/{scope}/providers/Microsoft.Authorization';

interface Def {
  file: string;
  operationId: string;
  method: ContractCase['method'];
  pathTemplate: string;
  call(api: PimAlertsApi, p: Record<string, any>): Promise<unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const DEFS: Def[] = [
  { file: 'GetAlerts.json', operationId: 'Alerts_ListForScope', method: 'GET', pathTemplate: `${P}/roleManagementAlerts`, call: (a, p) => a.listAlerts(p.scope) },
  { file: 'GetAlertById.json', operationId: 'Alerts_Get', method: 'GET', pathTemplate: `${P}/roleManagementAlerts/{alertId}`, call: (a, p) => a.getAlert(p.scope, p.alertId) },
  {
    file: 'UpdateAlert.json',
    operationId: 'Alerts_Update',
    method: 'PATCH',
    pathTemplate: `${P}/roleManagementAlerts/{alertId}`,
    call: (a, p) => a.updateAlert(p.scope, p.alertId, p.parameters.properties),
  },
  { file: 'RefreshAlert.json', operationId: 'Alerts_Refresh', method: 'POST', pathTemplate: `${P}/roleManagementAlerts/{alertId}/refresh`, call: (a, p) => a.refreshAlert(p.scope, p.alertId) },
  { file: 'RefreshAllAlerts.json', operationId: 'Alerts_RefreshAll', method: 'POST', pathTemplate: `${P}/roleManagementAlerts/refresh`, call: (a, p) => a.refreshAllAlerts(p.scope) },
  { file: 'GetAlertConfigurations.json', operationId: 'AlertConfigurations_ListForScope', method: 'GET', pathTemplate: `${P}/roleManagementAlertConfigurations`, call: (a, p) => a.listAlertConfigurations(p.scope) },
  {
    file: 'GetAlertConfigurationById.json',
    operationId: 'AlertConfigurations_Get',
    method: 'GET',
    pathTemplate: `${P}/roleManagementAlertConfigurations/{alertId}`,
    call: (a, p) => a.getAlertConfiguration(p.scope, p.alertId),
  },
  {
    file: 'UpdateAlertConfiguration.json',
    operationId: 'AlertConfigurations_Update',
    method: 'PATCH',
    pathTemplate: `${P}/roleManagementAlertConfigurations/{alertId}`,
    call: (a, p) => a.updateAlertConfiguration(p.scope, p.alertId, p.parameters.properties as AlertConfigurationUpdate),
  },
  { file: 'GetAlertDefinitions.json', operationId: 'AlertDefinitions_ListForScope', method: 'GET', pathTemplate: `${P}/roleManagementAlertDefinitions`, call: (a, p) => a.listAlertDefinitions(p.scope) },
  {
    file: 'GetAlertDefinitionById.json',
    operationId: 'AlertDefinitions_Get',
    method: 'GET',
    pathTemplate: `${P}/roleManagementAlertDefinitions/{alertDefinitionId}`,
    call: (a, p) => a.getAlertDefinition(p.scope, p.alertDefinitionId),
  },
  {
    file: 'GetAlertIncidents.json',
    operationId: 'AlertIncidents_ListForScope',
    method: 'GET',
    pathTemplate: `${P}/roleManagementAlerts/{alertId}/alertIncidents`,
    call: (a, p) => a.listAlertIncidents(p.scope, p.alertId),
  },
  {
    file: 'GetAlertIncidentById.json',
    operationId: 'AlertIncidents_Get',
    method: 'GET',
    pathTemplate: `${P}/roleManagementAlerts/{alertId}/alertIncidents/{alertIncidentId}`,
    call: (a, p) => a.getAlertIncident(p.scope, p.alertId, p.alertIncidentId),
  },
  {
    file: 'RemediateAlertIncident.json',
    operationId: 'AlertIncidents_Remediate',
    method: 'POST',
    pathTemplate: `${P}/roleManagementAlerts/{alertId}/alertIncidents/{alertIncidentId}/remediate`,
    call: (a, p) => a.remediateAlertIncident(p.scope, p.alertId, p.alertIncidentId),
  },
  {
    file: 'GetAlertOperationById.json',
    operationId: 'AlertOperation_Get',
    method: 'GET',
    pathTemplate: `${P}/roleManagementAlertOperations/{operationId}`,
    call: (a, p) => a.getAlertOperation(p.scope, p.operationId),
  },
];

/** Fills a spec path template (`{name}` placeholders) from example parameters. */
export function fillPath(template: string, params: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => String(params[name]));
}

export function loadContractCases(): ContractCase[] {
  return DEFS.map((d) => {
    const example = JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, d.file), 'utf8')) as ExampleFile;
    const [statusText, response] = Object.entries(example.responses)[0]!;
    return {
      file: d.file,
      operationId: d.operationId,
      method: d.method,
      pathTemplate: d.pathTemplate,
      example,
      path: fillPath(d.pathTemplate, example.parameters),
      requestBody: example.parameters.parameters,
      status: Number(statusText),
      responseBody: response.body,
      responseHeaders: response.headers,
      call: (api, parameters) => d.call(api, parameters ?? example.parameters),
    };
  });
}

/** Every example file on disk: the contract tests assert each one is in the table above. */
export function exampleFilesOnDisk(): string[] {
  return fs.readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.json')).sort();
}
