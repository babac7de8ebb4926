// Realistic ARM data for card tests, built from the official examples in test/fixtures/arm/examples:
// the same resource shapes, ids and texts, multiplied across scopes and incidents with a seeded
// generator so every run sees the same data.
import fs from 'node:fs';
import path from 'node:path';
import type {
  Alert,
  AlertConfiguration,
  AlertDefinition,
  AlertIncident,
  AlertIncidentProperties,
} from '../../bot/azure/models';
import { plainActionData, type CardContext } from '../../cards/actions';
import { seededRandom } from '../../sim/arm';

const EXAMPLES = path.join(__dirname, '..', 'fixtures', 'arm', 'examples');

export function exampleBody<T>(file: string): T {
  const ex = JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')) as { responses: Record<string, { body: T }> };
  const ok = ex.responses['200'];
  if (!ok) throw new Error(`${file} has no 200 response`);
  return ok.body;
}

export const EXAMPLE_SCOPE = 'subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f';

export const exampleAlerts = (): Alert[] => exampleBody<{ value: Alert[] }>('GetAlerts.json').value;
export const exampleAlert = (): Alert => exampleBody<Alert>('GetAlertById.json');
export const exampleIncidents = (): AlertIncident[] => exampleBody<{ value: AlertIncident[] }>('GetAlertIncidents.json').value;
export const exampleConfigurations = (): AlertConfiguration[] =>
  exampleBody<{ value: AlertConfiguration[] }>('GetAlertConfigurations.json').value;
export const exampleDefinitions = (): AlertDefinition[] => exampleBody<{ value: AlertDefinition[] }>('GetAlertDefinitions.json').value;

/** A fixed context: plain (unsigned) action data, a fixed "now" two days after the examples' scan. */
export function testContext(overrides: Partial<CardContext> = {}): CardContext {
  return { actionData: plainActionData, now: new Date('2022-04-08T09:30:00Z'), ...overrides };
}

/** Deterministic generated data: the same seeded generator the simulator's fault injection uses. */
export const rng = seededRandom;

function guid(next: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const PEOPLE = [
  'Megan Bowen', 'Alex Wilber', 'Adele Vance', 'Diego Siciliani', 'Isaiah Langer', 'Johanna Lorenz',
  'Lee Gu', 'Lidia Holloway', 'Lynne Robbins', 'Miriam Graham', 'Nestor Wilke', 'Patti Fernandez',
  'Pradeep Gupta', 'Grady Archie', 'Henrietta Mueller', 'Joni Sherman',
];
const ROLES = ['Owner', 'User Access Administrator', 'Contributor', 'Key Vault Administrator', 'Role Based Access Control Administrator'];

function upn(name: string): string {
  return `${name.split(' ')[0]}${name.split(' ')[1]?.charAt(0) ?? ''}@contoso.onmicrosoft.com`;
}

/**
 * Alert definitions the service may add later (names of Entra PIM alerts), as a bot that knows only
 * the four documented kinds would receive them: unknown incident and configuration kinds.
 */
export const FUTURE_DEFINITIONS: Array<{ name: string; displayName: string; severity: string }> = [
  { name: 'RolesWithoutMfaActivation', displayName: "Roles don't require multi-factor authentication for activation", severity: 'High' },
  { name: 'StaleSignInAlert', displayName: 'Potential stale accounts in a privileged role', severity: 'Medium' },
  { name: 'RolesActivatedTooFrequently', displayName: 'Roles are being activated too frequently', severity: 'Low' },
  { name: 'TooManyGlobalAdmins', displayName: 'There are too many global administrators', severity: 'Low' },
];

export function makeIncident(scope: string, alertId: string, kind: string, next: () => number, i: number): AlertIncident {
  const name = guid(next);
  const who = PEOPLE[Math.floor(next() * PEOPLE.length)] ?? 'Megan Bowen';
  const requestor = PEOPLE[Math.floor(next() * PEOPLE.length)] ?? 'Adele Vance';
  const role = ROLES[Math.floor(next() * ROLES.length)] ?? 'Owner';
  let properties: AlertIncidentProperties;
  switch (kind) {
    case 'AzureRolesAssignedOutsidePimAlertIncident':
      properties = {
        alertIncidentType: kind,
        assigneeDisplayName: who,
        assigneeUserPrincipalName: upn(who),
        assigneeId: guid(next),
        roleDisplayName: role,
        roleTemplateId: guid(next),
        roleDefinitionId: `/${scope}/providers/Microsoft.Authorization/roleDefinitions/${guid(next)}`,
        assignmentActivatedDate: new Date(Date.UTC(2022, 3, 1, 8, 0) + i * 3_600_000).toISOString(),
        requestorId: guid(next),
        requestorDisplayName: requestor,
        requestorUserPrincipalName: upn(requestor),
      };
      break;
    case 'DuplicateRoleCreatedAlertIncident':
      properties = {
        alertIncidentType: kind,
        roleName: `${role} (copy ${i + 1})`,
        duplicateRoles: `${role}, ${role} - custom`,
        reason: 'The custom role has the same permissions as a built-in role.',
      };
      break;
    case 'TooManyOwnersAssignedToResourceAlertIncident':
    case 'TooManyPermanentOwnersAssignedToResourceAlertIncident':
      properties = { alertIncidentType: kind, assigneeName: who, assigneeType: next() < 0.8 ? 'User' : 'Group' };
      break;
    default:
      properties = {
        alertIncidentType: kind,
        assigneeDisplayName: who,
        assigneeUserPrincipalName: upn(who),
        lastSignInDateTime: new Date(Date.UTC(2021, 10, 1) + i * 86_400_000).toISOString(),
        daysSinceLastSignIn: 90 + i,
        isGroupAssignment: next() < 0.3,
        roleIds: [guid(next)],
      } as AlertIncidentProperties;
  }
  return {
    properties,
    name,
    type: 'Microsoft.Authorization/roleManagementAlerts/alertIncidents',
    id: `/${scope}/providers/Microsoft.Authorization/roleManagementAlerts/${alertId}/alertIncidents/${name}`,
  };
}

const INCIDENT_KIND: Record<string, string> = {
  TooManyOwnersAssignedToResource: 'TooManyOwnersAssignedToResourceAlertIncident',
  TooManyPermanentOwnersAssignedToResource: 'TooManyPermanentOwnersAssignedToResourceAlertIncident',
  DuplicateRoleCreated: 'DuplicateRoleCreatedAlertIncident',
  AzureRolesAssignedOutsidePimAlert: 'AzureRolesAssignedOutsidePimAlertIncident',
};

function definitionFor(scope: string, name: string): AlertDefinition {
  const known = exampleDefinitions().find((d) => d.name === name);
  if (known) {
    return { ...known, id: `/${scope}/providers/Microsoft.Authorization/roleManagementAlertDefinitions/${name}`, properties: { ...known.properties, scope } };
  }
  const future = FUTURE_DEFINITIONS.find((d) => d.name === name);
  if (!future) throw new Error(`no definition ${name}`);
  return {
    id: `/${scope}/providers/Microsoft.Authorization/roleManagementAlertDefinitions/${name}`,
    name,
    type: 'Microsoft.Authorization/roleManagementAlertDefinitions',
    properties: {
      displayName: future.displayName,
      scope,
      description: `${future.displayName}. Review the list and take the suggested action.`,
      severityLevel: future.severity,
      securityImpact: 'Privileged access that is not reviewed may be misused.',
      mitigationSteps: 'Review the accounts in the list and remove the access they do not need.',
      howToPrevent: 'Review privileged access regularly with access reviews.',
      isRemediatable: false,
      isConfigurable: true,
    },
  };
}

function configurationFor(scope: string, name: string): AlertConfiguration {
  const known = exampleConfigurations().find((c) => c.name === name);
  const id = `/${scope}/providers/Microsoft.Authorization/roleManagementAlertConfigurations/${name}`;
  if (known) return { ...known, id, properties: { ...known.properties, scope } };
  return {
    id,
    name,
    type: 'Microsoft.Authorization/roleManagementAlertConfigurations',
    properties: { alertConfigurationType: `${name}AlertConfiguration`, alertDefinitionId: name, scope, isEnabled: true, thresholdDays: 90 },
  };
}

export interface MakeAlertOptions {
  incidents?: number;
  active?: boolean;
  seed?: number;
  lastScannedDateTime?: string;
}

/** An alert of the named definition at the scope, shaped like GetAlerts.json's items. */
export function makeAlert(scope: string, definitionName: string, opts: MakeAlertOptions = {}): Alert {
  const next = rng(opts.seed ?? 1);
  const n = opts.incidents ?? 1;
  const kind = INCIDENT_KIND[definitionName] ?? `${definitionName}AlertIncident`;
  const incidents = Array.from({ length: n }, (_, i) => makeIncident(scope, definitionName, kind, next, i));
  return {
    properties: {
      scope,
      incidentCount: n,
      lastModifiedDateTime: '2022-04-05T03:04:06.467+00:00',
      lastScannedDateTime: opts.lastScannedDateTime ?? '2022-04-06T18:25:00.38+00:00',
      isActive: opts.active ?? true,
      alertDefinition: definitionFor(scope, definitionName),
      alertIncidents: incidents,
      alertConfiguration: configurationFor(scope, definitionName),
    },
    name: definitionName,
    id: `/${scope}/providers/Microsoft.Authorization/roleManagementAlerts/${definitionName}`,
    type: 'Microsoft.Authorization/roleManagementAlerts',
  };
}

export const ALL_DEFINITION_NAMES = [
  'AzureRolesAssignedOutsidePimAlert',
  'TooManyOwnersAssignedToResource',
  'TooManyPermanentOwnersAssignedToResource',
  'DuplicateRoleCreated',
  ...FUTURE_DEFINITIONS.map((d) => d.name),
];

export interface GeneratedScope {
  scope: string;
  displayName: string;
  alerts: Alert[];
}

/** `alertCount` active alerts spread evenly over `scopeCount` scopes of mixed kinds. */
export function manyScopes(scopeCount: number, alertCount: number, seed = 7): GeneratedScope[] {
  const next = rng(seed);
  const scopes: GeneratedScope[] = Array.from({ length: scopeCount }, (_, i) => {
    const sub = guid(next);
    const kind = i % 5;
    const scope =
      kind === 3
        ? `subscriptions/${sub}/resourceGroups/rg-app-${i}-prod`
        : kind === 4
          ? `providers/Microsoft.Management/managementGroups/mg-contoso-${i}`
          : `subscriptions/${sub}`;
    return { scope, displayName: kind === 4 ? `Management group ${i}` : `Contoso ${['Production', 'Staging', 'Dev', 'Shared'][i % 4]} ${i}`, alerts: [] };
  });
  for (let k = 0; k < alertCount; k++) {
    const target = scopes[k % scopeCount];
    if (!target) continue;
    const defName = ALL_DEFINITION_NAMES[target.alerts.length % ALL_DEFINITION_NAMES.length] ?? 'DuplicateRoleCreated';
    target.alerts.push(makeAlert(target.scope, defName, { incidents: 1 + Math.floor(next() * 4), seed: k + 1 }));
  }
  return scopes;
}
