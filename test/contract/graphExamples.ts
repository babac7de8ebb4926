// Microsoft's Graph examples for the directory-role PIM alerts and the directory role assignment
// listings (test/fixtures/graph/examples), each tied to the request the docs show and to the client
// call that performs it. Both Graph contract tests (client and simulator) iterate this one table,
// and both check that it uses every example file on disk. The example files hold bodies (and, for
// header-only answers, transcriptions), not requests: the requests below are the docs' (see
// test/fixtures/graph/SOURCES.md), with the alert a docs page leaves unnamed filled in and noted.
import fs from 'node:fs';
import path from 'node:path';
import type { GraphDirectoryRolesClient, GraphPimAlertsClient } from '../../bot/azure/graph';

const EXAMPLES_DIR = path.join(__dirname, '..', 'fixtures', 'graph', 'examples');

/** The tenants the examples come from; the simulator serves the first. */
export const TENANTS = {
  definitions: '19356be4-7e93-4ed6-a7c6-0ae28454d125',
  howTo: '3b0e753b-22fa-4c16-9bf2-470b80be80d6',
  updates: '67b47f38-0f0b-4e62-a3be-859140c2061f',
  disabled: '38d49456-54d4-455d-a8d6-c383c71e0a6d',
} as const;

const R = 'identityGovernance/roleManagementAlerts';
const SCOPE_FILTER = "scopeId eq '/' and scopeType eq 'DirectoryRole'";
const EXPAND = 'alertDefinition,alertConfiguration,alertIncidents';
const alert = (tenant: string, name: string) => `DirectoryRole_${tenant}_${name}`;
const T = TENANTS;
const TGA = 'TooManyGlobalAdminsAssignedToTenantAlert';

export interface GraphContractCase {
  /** The example files this case uses (a request and its answer may be two files). */
  files: string[];
  title: string;
  method: 'GET' | 'PATCH' | 'POST';
  /** After `/beta/`, tenant ids as in the example. */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  requestBody?: unknown;
  status: number;
  responseBody?: unknown;
  responseHeaders?: Record<string, string>;
  /** The client call that performs this operation. */
  call(alerts: GraphPimAlertsClient, roles: GraphDirectoryRolesClient): Promise<unknown>;
  /** True when the client sends exactly this request (query and body); otherwise `why` says how it differs. */
  exact: boolean;
  why?: string;
  /** The path the client asks instead, when it differs (after `/beta/`). */
  clientPath?: string;
  /** For the simulator: refresh this alert first and read its operation this long after (ms, of a 3 s scan). */
  afterRefreshOf?: { alert: string; waitMs: number };
}

function load(file: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, file), 'utf8'));
}

/** A header-only answer transcribed as { status, headers, body: null }. */
function headersOf(file: string): { status: number; headers: Record<string, string> } {
  const h = load(file) as { status: number; headers: Record<string, string> };
  return { status: h.status, headers: h.headers };
}

/** The docs' `POST …/remediate` transcription, its URL kept verbatim (with the docs' `/incident/` typo in one). */
function remediation(file: string): { path: string; status: number } {
  const h = load(file) as { request: { url: string }; response: { status: number } };
  const url = new URL(h.request.url, 'https://graph.microsoft.com');
  return { path: url.pathname.replace(/^\/beta\//, '').replace('/incident/', '/alertIncidents/'), status: h.response.status };
}

function cases(): GraphContractCase[] {
  const remediate = remediation('remediate-incident.http.json');
  const howtoRemediate = remediation('howto-remediate-incident.http.json');
  const seg = (p: string, i: number) => p.split('/')[i]!;
  return [
    {
      files: ['list-alerts-expand.response.json'],
      title: 'List alerts with their definitions, configurations and incidents',
      method: 'GET',
      path: `${R}/alerts`,
      query: { $filter: SCOPE_FILTER, $expand: EXPAND },
      status: 200,
      responseBody: load('list-alerts-expand.response.json'),
      call: (a) => a.listAlerts('directory'),
      exact: true,
    },
    {
      files: ['list-alerts-disabled-expand-all.response.json'],
      title: 'List disabled alerts, everything expanded',
      method: 'GET',
      path: `${R}/alerts`,
      query: { $filter: `${SCOPE_FILTER} and alertConfiguration/isEnabled eq false`, $expand: '*' },
      status: 200,
      responseBody: load('list-alerts-disabled-expand-all.response.json'),
      call: (a) => a.listAlerts('directory'),
      exact: false,
      why: 'the bot lists every alert (disabled ones too) with the three relationships named',
    },
    {
      files: ['get-alert-expand.response.json'],
      title: 'Get an alert with its relationships',
      method: 'GET',
      path: `${R}/alerts/${alert(T.definitions, TGA)}`,
      query: { $expand: EXPAND },
      status: 200,
      responseBody: load('get-alert-expand.response.json'),
      call: (a) => a.getAlert('directory', alert(T.definitions, TGA)),
      exact: true,
    },
    {
      files: ['update-alert.request.json', 'update-alert.response-headers.json'],
      title: 'Dismiss an alert',
      method: 'PATCH',
      path: `${R}/alerts/${alert(T.updates, 'StaleSignInAlert')}`,
      requestBody: load('update-alert.request.json'),
      ...responseHeadersOf('update-alert.response-headers.json'),
      call: (a) => a.updateAlert('directory', alert(T.updates, 'StaleSignInAlert'), { isActive: false }),
      exact: true,
    },
    {
      files: ['refresh-all-alerts.request.json', 'refresh-all-alerts.response-headers.json'],
      title: 'Refresh all alerts',
      method: 'POST',
      path: `${R}/alerts/refresh`,
      requestBody: load('refresh-all-alerts.request.json'),
      ...responseHeadersOf('refresh-all-alerts.response-headers.json'),
      call: (a) => a.refreshAllAlerts('directory'),
      exact: true,
    },
    {
      files: ['refresh-alert.response-headers.json'],
      // The refresh page's second example does not name its alert in the transcription: any alert refreshes alike.
      title: 'Refresh one alert',
      method: 'POST',
      path: `${R}/alerts/${alert(T.definitions, TGA)}/refresh`,
      ...responseHeadersOf('refresh-alert.response-headers.json'),
      call: (a) => a.refreshAlert('directory', alert(T.definitions, TGA)),
      exact: true,
    },
    {
      files: ['get-operation-running.response.json'],
      title: 'Get a refresh operation while it runs',
      method: 'GET',
      path: `${R}/operations/refresh:${alert(T.definitions, 'StaleSignInAlert')}`,
      status: 200,
      responseBody: load('get-operation-running.response.json'),
      call: (a) => a.getAlertOperation('directory', `refresh:${alert(T.definitions, 'StaleSignInAlert')}`),
      exact: true,
      afterRefreshOf: { alert: alert(T.definitions, 'StaleSignInAlert'), waitMs: 1_500 },
    },
    {
      files: ['get-operation-succeeded.response.json'],
      title: 'Get a refresh operation that succeeded',
      method: 'GET',
      path: `${R}/operations/refresh:${alert(T.definitions, 'StaleSignInAlert')}`,
      status: 200,
      responseBody: load('get-operation-succeeded.response.json'),
      call: (a) => a.getAlertOperation('directory', `refresh:${alert(T.definitions, 'StaleSignInAlert')}`),
      exact: true,
      afterRefreshOf: { alert: alert(T.definitions, 'StaleSignInAlert'), waitMs: 4_000 },
    },
    {
      files: ['list-configurations.response.json'],
      title: 'List alert configurations with their definitions',
      method: 'GET',
      path: `${R}/alertConfigurations`,
      query: { $filter: SCOPE_FILTER, $expand: 'alertDefinition' },
      status: 200,
      responseBody: load('list-configurations.response.json'),
      call: (a) => a.listAlertConfigurations('directory'),
      exact: true,
    },
    {
      files: ['get-configuration.response.json'],
      title: 'Get an alert configuration with its definition',
      method: 'GET',
      path: `${R}/alertConfigurations/${alert(T.definitions, TGA)}`,
      query: { $expand: 'alertDefinition' },
      status: 200,
      responseBody: load('get-configuration.response.json'),
      call: (a) => a.getAlertConfiguration('directory', alert(T.definitions, TGA)),
      exact: true,
    },
    {
      files: ['update-configuration.request.json', 'update-configuration.response-headers.json'],
      // The update page does not name the configuration in the transcription; the example's @odata.type is the global admins one.
      title: 'Update an alert configuration',
      method: 'PATCH',
      path: `${R}/alertConfigurations/${alert(T.definitions, TGA)}`,
      requestBody: load('update-configuration.request.json'),
      ...responseHeadersOf('update-configuration.response-headers.json'),
      call: (a) =>
        a.updateAlertConfiguration('directory', alert(T.definitions, TGA), {
          alertConfigurationType: 'tooManyGlobalAdminsAssignedToTenantAlertConfiguration',
          isEnabled: true,
          globalAdminCountThreshold: 7,
          percentageOfGlobalAdminsOutOfRolesThreshold: 70,
        }),
      exact: false,
      why: 'the example sends isEnabled as the string "true"; the property is a Boolean, which the bot sends',
    },
    {
      files: ['list-definitions.response.json'],
      title: 'List alert definitions',
      method: 'GET',
      path: `${R}/alertDefinitions`,
      query: { $filter: SCOPE_FILTER },
      status: 200,
      responseBody: load('list-definitions.response.json'),
      call: (a) => a.listAlertDefinitions('directory'),
      exact: true,
    },
    {
      files: ['get-definition.response.json'],
      title: 'Get an alert definition',
      method: 'GET',
      path: `${R}/alertDefinitions/${alert(T.definitions, TGA)}`,
      status: 200,
      responseBody: load('get-definition.response.json'),
      call: (a) => a.getAlertDefinition('directory', alert(T.definitions, TGA)),
      exact: true,
    },
    {
      files: ['list-incidents.response.json'],
      title: "List an alert's incidents, five per page",
      method: 'GET',
      path: `${R}/alerts/${alert(T.updates, TGA)}/alertIncidents`,
      query: { $top: '5' },
      status: 200,
      responseBody: load('list-incidents.response.json'),
      call: (a) => a.listAlertIncidents('directory', alert(T.updates, TGA)),
      exact: false,
      why: 'the bot asks without $top and follows every @odata.nextLink',
    },
    {
      files: ['get-incident.response.json'],
      // The docs' request names a9f38501-… but answers 13d5df6a-…: the answer's id is used.
      title: 'Get an incident',
      method: 'GET',
      path: `${R}/alerts/${alert(T.definitions, TGA)}/alertIncidents/13d5df6a-3d2e-4dcb-9dab-486df2cf5c8e`,
      status: 200,
      responseBody: load('get-incident.response.json'),
      call: (a) => a.getAlertIncident('directory', alert(T.definitions, TGA), '13d5df6a-3d2e-4dcb-9dab-486df2cf5c8e'),
      exact: true,
    },
    {
      files: ['remediate-incident.http.json'],
      title: 'Remediate an incident (the docs URL with /incident/ corrected to /alertIncidents/)',
      method: 'POST',
      path: remediate.path,
      status: remediate.status,
      call: (a) => a.remediateAlertIncident('directory', seg(remediate.path, 3), seg(remediate.path, 5)),
      exact: true,
    },
    {
      files: ['howto-list-alerts.response.json'],
      title: 'How-to: list alerts',
      method: 'GET',
      path: `${R}/alerts`,
      query: { $filter: SCOPE_FILTER },
      status: 200,
      responseBody: load('howto-list-alerts.response.json'),
      call: (a) => a.listAlerts('directory'),
      exact: false,
      why: 'the bot expands the three relationships',
    },
    {
      files: ['howto-get-alert.response.json'],
      title: 'How-to: get an alert',
      method: 'GET',
      path: `${R}/alerts/${alert(T.howTo, TGA)}`,
      status: 200,
      responseBody: load('howto-get-alert.response.json'),
      call: (a) => a.getAlert('directory', alert(T.howTo, TGA)),
      exact: false,
      why: 'the bot expands the three relationships',
    },
    {
      files: ['howto-get-alert-expand-all.response.json'],
      title: 'How-to: get an alert with $expand=*',
      method: 'GET',
      path: `${R}/alerts/${alert(T.howTo, TGA)}`,
      query: { $expand: '*' },
      status: 200,
      responseBody: load('howto-get-alert-expand-all.response.json'),
      call: (a) => a.getAlert('directory', alert(T.howTo, TGA)),
      exact: false,
      why: 'the bot names the three relationships rather than *',
    },
    {
      files: ['howto-list-incidents.response.json'],
      title: "How-to: list an alert's incidents",
      method: 'GET',
      path: `${R}/alerts/${alert(T.howTo, TGA)}/alertIncidents`,
      status: 200,
      responseBody: load('howto-list-incidents.response.json'),
      call: (a) => a.listAlertIncidents('directory', alert(T.howTo, TGA)),
      exact: true,
    },
    {
      files: ['howto-dismiss-alert.request.json'],
      // The how-to does not name the alert it dismisses; its only active alert is the global admins one. Status from the update page.
      title: 'How-to: dismiss an alert',
      method: 'PATCH',
      path: `${R}/alerts/${alert(T.howTo, TGA)}`,
      requestBody: load('howto-dismiss-alert.request.json'),
      status: 204,
      call: (a) => a.updateAlert('directory', alert(T.howTo, TGA), { isActive: false }),
      exact: true,
    },
    {
      files: ['howto-refresh-alert.response-headers.json'],
      title: 'How-to: refresh one alert',
      method: 'POST',
      path: `${R}/alerts/${alert(T.howTo, 'RolesAssignedOutsidePimAlert')}/refresh`,
      ...responseHeadersOf('howto-refresh-alert.response-headers.json'),
      call: (a) => a.refreshAlert('directory', alert(T.howTo, 'RolesAssignedOutsidePimAlert')),
      exact: true,
    },
    {
      files: ['howto-refresh-all-alerts.request.json', 'howto-refresh-all-alerts.response-headers.json'],
      title: 'How-to: refresh all alerts',
      method: 'POST',
      path: `${R}/alerts/refresh`,
      requestBody: load('howto-refresh-all-alerts.request.json'),
      ...responseHeadersOf('howto-refresh-all-alerts.response-headers.json'),
      call: (a) => a.refreshAllAlerts('directory'),
      exact: true,
    },
    {
      files: ['howto-update-configuration.request.json'],
      title: 'How-to: update an alert configuration',
      method: 'PATCH',
      path: `${R}/alertConfigurations/${alert(T.howTo, TGA)}`,
      requestBody: load('howto-update-configuration.request.json'),
      status: 204,
      call: (a) =>
        a.updateAlertConfiguration('directory', alert(T.howTo, TGA), {
          alertConfigurationType: 'tooManyGlobalAdminsAssignedToTenantAlertConfiguration',
          isEnabled: true,
          globalAdminCountThreshold: 4,
          percentageOfGlobalAdminsOutOfRolesThreshold: 10,
        }),
      exact: true,
    },
    {
      files: ['howto-remediate-incident.http.json'],
      title: 'How-to: remediate an incident',
      method: 'POST',
      path: howtoRemediate.path,
      status: howtoRemediate.status,
      call: (a) => a.remediateAlertIncident('directory', seg(howtoRemediate.path, 3), seg(howtoRemediate.path, 5)),
      exact: true,
    },
    {
      files: ['list-transitive-role-assignments.response.json'],
      title: "A person's directory roles, direct and through groups",
      method: 'GET',
      path: 'roleManagement/directory/transitiveRoleAssignments',
      query: { $count: 'true', $filter: "principalId eq '2c7936bc-3517-40f3-8eda-4806637b6516'" },
      headers: { ConsistencyLevel: 'eventual' },
      status: 200,
      responseBody: load('list-transitive-role-assignments.response.json'),
      call: (_a, roles) => roles.listTransitiveRoleAssignments('2c7936bc-3517-40f3-8eda-4806637b6516'),
      exact: true,
    },
    {
      files: ['list-role-assignments-by-principal.response.json'],
      title: "A person's direct directory roles",
      method: 'GET',
      path: 'roleManagement/directory/roleAssignments',
      query: { $filter: "principalId eq 'f1847572-48aa-47aa-96a3-2ec61904f41f'" },
      status: 200,
      responseBody: load('list-role-assignments-by-principal.response.json'),
      call: (_a, roles) => roles.listTransitiveRoleAssignments('f1847572-48aa-47aa-96a3-2ec61904f41f'),
      exact: false,
      why: 'the bot reads the transitive listing (same unifiedRoleAssignment items), which also counts roles held through groups',
      clientPath: 'roleManagement/directory/transitiveRoleAssignments',
    },
  ];
}

function responseHeadersOf(file: string): { status: number; responseHeaders: Record<string, string> } {
  const h = headersOf(file);
  return { status: h.status, responseHeaders: h.headers };
}

export function loadGraphContractCases(): GraphContractCase[] {
  return cases();
}

/** Every example file on disk: the contract tests assert each one is used by the table above. */
export function graphExampleFilesOnDisk(): string[] {
  return fs.readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.json')).sort();
}

/** The docs' URL of a case: `https://graph.microsoft.com/beta/{path}?{query}` (decoded). */
export function docsUrl(c: GraphContractCase, origin = 'https://graph.microsoft.com'): string {
  const qs = Object.entries(c.query ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return `${origin}/beta/${c.path}${qs ? `?${qs}` : ''}`;
}
