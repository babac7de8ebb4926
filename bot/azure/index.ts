// Entry point for the composition root: read the ARM and Graph settings once, build every client on
// one credential so the identity's token cache is shared (each pipeline asks it for its own
// origin's token: the ARM token never goes to Graph, nor the Graph token to ARM).
import type { TokenCredential } from '@azure/identity';
import type { DirectoryRolesApi, PimAlertsApi } from './api';
import { PimAlertsClient, type PimAlertsClientOptions } from './client';
import { createCredential, type ArmConfig } from './credentials';
import { GraphDirectoryRolesClient, GraphPimAlertsClient } from './graph';
import { RbacClient } from './rbac';
import { createScopedApi } from './scoped';

export interface AzureClients {
  /** The PIM alerts of every scope: `directory` through Microsoft Graph, the others through ARM. */
  alerts: PimAlertsApi;
  rbac: RbacClient;
  /** Directory role reads for rbac mode; only when the directory is watched. */
  directoryRoles?: DirectoryRolesApi;
  /** The bot's Azure identity (undefined for `none`); Table Storage uses this same object, so one token cache serves every service. */
  credential: TokenCredential | undefined;
}

/**
 * The clients of both APIs on one credential. `graphEndpoint` is given when the directory is
 * watched; without it no Graph client exists and the directory scope is refused.
 */
export function createAzureClients(
  config: ArmConfig & { graphEndpoint?: string },
  options: Omit<PimAlertsClientOptions, 'endpoint' | 'credential'> = {},
): AzureClients {
  const credential = createCredential({ mode: config.credentialMode, clientId: config.clientId, endpoint: config.endpoint });
  const arm = { ...options, endpoint: config.endpoint, credential };
  const graph = config.graphEndpoint === undefined ? undefined : { ...options, endpoint: config.graphEndpoint, credential };
  return {
    alerts: createScopedApi({ arm: new PimAlertsClient(arm), ...(graph ? { graph: new GraphPimAlertsClient(graph) } : {}) }),
    rbac: new RbacClient(arm),
    ...(graph ? { directoryRoles: new GraphDirectoryRolesClient(graph) } : {}),
    credential,
  };
}

export { PimAlertsClient, type PimAlertsClientOptions } from './client';
export { RbacClient, normalizeRoleDefinitionId } from './rbac';
export { readArmConfig, createCredential, type ArmConfig, type CredentialMode } from './credentials';
export { ArmError, PimValidationError, PimErrorCode, isArmError } from './errors';
export { normalizeScope, parseScope, scopeContains, validateId, validateGuid, type ParsedScope, type ScopeKind } from './validate';
export { systemClock, type Clock, type ArmClientOptions } from './transport';
export type { RetryOptions } from './pipeline';
