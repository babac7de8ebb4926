// Entry point for the composition root: read the ARM settings once, build both clients on one
// credential so the identity's token cache is shared.
import { PimAlertsClient, type PimAlertsClientOptions } from './client';
import { createCredential, type ArmConfig } from './credentials';
import { RbacClient } from './rbac';

export interface ArmClients {
  alerts: PimAlertsClient;
  rbac: RbacClient;
}

/** Builds the PIM alerts and RBAC clients from readArmConfig(process.env); `options` tunes retries, paging, polling, the HttpClient and the clock. */
export function createArmClients(config: ArmConfig, options: Omit<PimAlertsClientOptions, 'endpoint' | 'credential'> = {}): ArmClients {
  const credential = createCredential({ mode: config.credentialMode, clientId: config.clientId, endpoint: config.endpoint });
  const common = { ...options, endpoint: config.endpoint, credential };
  return { alerts: new PimAlertsClient(common), rbac: new RbacClient(common) };
}

export { PimAlertsClient, type PimAlertsClientOptions } from './client';
export { RbacClient, normalizeRoleDefinitionId } from './rbac';
export { readArmConfig, createCredential, type ArmConfig, type CredentialMode } from './credentials';
export { ArmError, PimValidationError, PimErrorCode, isArmError } from './errors';
export { normalizeScope, parseScope, scopeContains, validateId, validateGuid, type ParsedScope, type ScopeKind } from './validate';
export { systemClock, type Clock, type ArmClientOptions } from './transport';
export type { RetryOptions } from './pipeline';
