// The PimAlertsApi the handlers, the refresh tracker and the digests see: one object that sends the
// `directory` scope to the Microsoft Graph client and every other scope to the ARM client. Built in
// the composition root; nothing else needs to know that there are two APIs. A refresh handle says
// which API started it (`service`), so the durable tracker polls the right one after a restart.
import type { OperationHandle, PimAlertsApi, PollOptions } from './api';
import { PimErrorCode, PimValidationError } from './errors';
import { isDirectoryScope } from './validate';

export interface ScopedApis {
  /** Azure resource scopes (subscriptions, resource groups, management groups). */
  arm: PimAlertsApi;
  /** The `directory` scope; undefined when the directory is not watched. */
  graph?: PimAlertsApi;
}

export function createScopedApi(apis: ScopedApis): PimAlertsApi {
  const graph = (): PimAlertsApi => {
    if (!apis.graph) {
      throw new PimValidationError(PimErrorCode.InvalidScope, 'The directory scope is not watched by this bot: add directory to PIM_SCOPES to read Entra ID directory-role alerts.');
    }
    return apis.graph;
  };
  const by = (scope: string): PimAlertsApi => (isDirectoryScope(scope) ? graph() : apis.arm);
  const byHandle = (handle: OperationHandle): PimAlertsApi => (handle?.service === 'graph' ? graph() : apis.arm);
  // async: a scope this bot cannot serve is a rejected promise, like any other failed call.
  return {
    listAlerts: async (scope) => by(scope).listAlerts(scope),
    getAlert: async (scope, alertId) => by(scope).getAlert(scope, alertId),
    updateAlert: async (scope, alertId, update) => by(scope).updateAlert(scope, alertId, update),
    refreshAlert: async (scope, alertId) => by(scope).refreshAlert(scope, alertId),
    refreshAllAlerts: async (scope) => by(scope).refreshAllAlerts(scope),
    listAlertConfigurations: async (scope) => by(scope).listAlertConfigurations(scope),
    getAlertConfiguration: async (scope, alertId) => by(scope).getAlertConfiguration(scope, alertId),
    updateAlertConfiguration: async (scope, alertId, update) => by(scope).updateAlertConfiguration(scope, alertId, update),
    listAlertDefinitions: async (scope) => by(scope).listAlertDefinitions(scope),
    getAlertDefinition: async (scope, id) => by(scope).getAlertDefinition(scope, id),
    listAlertIncidents: async (scope, alertId) => by(scope).listAlertIncidents(scope, alertId),
    getAlertIncident: async (scope, alertId, incidentId) => by(scope).getAlertIncident(scope, alertId, incidentId),
    remediateAlertIncident: async (scope, alertId, incidentId) => by(scope).remediateAlertIncident(scope, alertId, incidentId),
    getAlertOperation: async (scope, operationId) => by(scope).getAlertOperation(scope, operationId),
    pollOperation: async (handle: OperationHandle, options?: PollOptions) => byHandle(handle).pollOperation(handle, options),
  };
}
