// Wire shapes of the PIM alerts resources, exactly as the service's examples show them: ids with a
// leading slash, `scope` without, member order properties/name/id/type.
import { armTimestamp } from './arm';
import { ALERT_API_VERSION, ALERT_KINDS, type IncidentRecord, type SeedDefinition } from './model';
import type { AlertRecord, OperationView, ScopeState } from './state';

const PROVIDER = 'providers/Microsoft.Authorization';

export const TYPES = {
  alert: 'Microsoft.Authorization/roleManagementAlerts',
  definition: 'Microsoft.Authorization/roleManagementAlertDefinitions',
  configuration: 'Microsoft.Authorization/roleManagementAlertConfigurations',
  incident: 'Microsoft.Authorization/roleManagementAlerts/alertIncidents',
} as const;

type Json = Record<string, unknown>;

/** The outside-PIM alert's description counts the alert's current incidents, as the service's text does. */
function describe(definition: SeedDefinition, alert: AlertRecord | undefined): string {
  const text = definition.properties.description;
  if (definition.name !== 'AzureRolesAssignedOutsidePimAlert' || !alert) return text;
  return text.replace(/^\d+(?= privileged assignment\(s\))/, String(alert.incidents.length));
}

export function renderDefinition(scope: ScopeState, definition: SeedDefinition): Json {
  const alert = scope.alerts.find((a) => a.alertId === definition.name);
  const p = definition.properties;
  return {
    properties: {
      displayName: p.displayName,
      scope: scope.scope.id,
      description: describe(definition, alert),
      severityLevel: p.severityLevel,
      securityImpact: p.securityImpact,
      mitigationSteps: p.mitigationSteps,
      howToPrevent: p.howToPrevent,
      isRemediatable: p.isRemediatable,
      isConfigurable: p.isConfigurable,
    },
    name: definition.name,
    id: `/${scope.scope.id}/${PROVIDER}/roleManagementAlertDefinitions/${definition.name}`,
    type: TYPES.definition,
  };
}

export function renderConfiguration(scope: ScopeState, alert: AlertRecord): Json {
  return {
    properties: {
      alertConfigurationType: ALERT_KINDS[alert.alertId].configurationType,
      alertDefinitionId: alert.alertId,
      scope: scope.scope.id,
      isEnabled: alert.configuration.isEnabled,
      ...alert.configuration.settings,
    },
    name: alert.alertId,
    id: `/${scope.scope.id}/${PROVIDER}/roleManagementAlertConfigurations/${alert.alertId}`,
    type: TYPES.configuration,
  };
}

export function renderIncident(scope: ScopeState, alert: AlertRecord, incident: IncidentRecord): Json {
  return {
    properties: { ...incident.properties },
    name: incident.name,
    id: `/${scope.scope.id}/${PROVIDER}/roleManagementAlerts/${alert.alertId}/alertIncidents/${incident.name}`,
    type: TYPES.incident,
  };
}

export function renderAlert(scope: ScopeState, alert: AlertRecord): Json {
  const definition = scope.definitions.find((d) => d.name === alert.alertId);
  return {
    properties: {
      scope: scope.scope.id,
      incidentCount: alert.incidents.length,
      lastModifiedDateTime: alert.lastModifiedDateTime,
      lastScannedDateTime: alert.lastScannedDateTime,
      isActive: alert.isActive,
      ...(definition ? { alertDefinition: renderDefinition(scope, definition) } : {}),
      alertIncidents: alert.incidents.map((i) => renderIncident(scope, alert, i)),
      alertConfiguration: renderConfiguration(scope, alert),
    },
    name: alert.alertId,
    id: `/${scope.scope.id}/${PROVIDER}/roleManagementAlerts/${alert.alertId}`,
    type: TYPES.alert,
  };
}

/** The URL of an operation, as the 202's Location carries it. */
export function operationUrl(origin: string, view: OperationView, apiVersion: string): string {
  return `${origin}/${view.record.scope.id}/${PROVIDER}/roleManagementAlertOperations/${view.record.id}?api-version=${apiVersion}`;
}

/**
 * An operation result. `resourceLocation` keeps the service's odd
 * `/providers/Microsoft.Subscription/` prefix (RefreshAlert.json), on the simulator's origin.
 * `initialCasing` reproduces the refresh-all example's lower-case `notStarted`.
 */
export function renderOperation(origin: string, view: OperationView, options: { lowerCamelNotStarted?: boolean } = {}): Json {
  const { record } = view;
  const target = record.alertId ? `roleManagementAlerts/${record.alertId}` : 'roleManagementAlerts';
  const status = view.phase === 'NotStarted' && options.lowerCamelNotStarted ? 'notStarted' : view.phase;
  return {
    id: record.id,
    status,
    statusDetail: JSON.stringify({ result: view.details }),
    lastActionDateTime: armTimestamp(view.lastActionAt),
    createdDateTime: armTimestamp(record.createdAt),
    resourceLocation: `${origin}/providers/Microsoft.Subscription/${record.scope.id}/${PROVIDER}/${target}?api-version=${ALERT_API_VERSION}`,
  };
}
