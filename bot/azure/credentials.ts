// Which identity the bot uses towards ARM and Microsoft Graph (one credential for both; each
// pipeline asks it for its own origin's token). In Azure it is the bot's managed identity
// (user-assigned when AZURE_CLIENT_ID is set); `default` is for a developer machine (az login, VS
// Code, env vars); `none` exists only for the local simulator on loopback, where there is no token
// to get and a token must never be sent over plain http anyway.
import { AzureAuthorityHosts, DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { PimErrorCode, PimValidationError } from './errors';
import { parseArmEndpoint } from './validate';
import { SERVICES, type ServiceKind } from './service';

export type CredentialMode = 'managedIdentity' | 'default' | 'none';
export const CREDENTIAL_MODES: readonly CredentialMode[] = ['managedIdentity', 'default', 'none'];
export const DEFAULT_ARM_ENDPOINT = SERVICES.arm.defaultOrigin;
export const DEFAULT_GRAPH_ENDPOINT = SERVICES.graph.defaultOrigin;

export interface CredentialOptions {
  mode: CredentialMode;
  /** Client id of a user-assigned managed identity (AZURE_CLIENT_ID). */
  clientId?: string;
  /** The endpoint the credential will be used for (ARM's, or Graph's with service 'graph'). */
  endpoint: string;
  service?: ServiceKind;
}

// Entra authority per sovereign cloud, so `default` (az login, environment secrets) signs in to the
// cloud that issues tokens for the endpoint. Managed identity asks the local IMDS and needs none.
const AUTHORITY_BY_ARM_HOST: Record<string, string> = {
  'management.azure.com': AzureAuthorityHosts.AzurePublicCloud,
  'management.chinacloudapi.cn': AzureAuthorityHosts.AzureChina,
  'management.usgovcloudapi.net': AzureAuthorityHosts.AzureGovernment,
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Throws PimValidationError when the mode, client id and endpoint do not go together: `none` only
 * with an http loopback endpoint, a real credential only with https, a client id only as a GUID.
 */
export function checkCredentialOptions(options: CredentialOptions): void {
  const endpoint = parseArmEndpoint(options.endpoint, options.service);
  const clientId = options.clientId?.trim() || undefined;
  if (clientId !== undefined && !GUID.test(clientId)) {
    throw new PimValidationError(
      PimErrorCode.CredentialNotAllowed,
      `AZURE_CLIENT_ID ${JSON.stringify(clientId.slice(0, 60))} is not a GUID: set it to the client id of the bot's user-assigned managed identity, or leave it unset.`,
    );
  }
  if (!CREDENTIAL_MODES.includes(options.mode)) {
    throw new PimValidationError(
      PimErrorCode.CredentialNotAllowed,
      `PIM_CREDENTIAL ${JSON.stringify(String(options.mode).slice(0, 40))} is not known: use managedIdentity, default or none.`,
    );
  }
  if (options.mode === 'none' && !endpoint.insecureLoopback) {
    throw new PimValidationError(
      PimErrorCode.CredentialNotAllowed,
      `PIM_CREDENTIAL=none is only for the local simulator on an http loopback endpoint, not ${endpoint.origin}: use managedIdentity in Azure or default on a developer machine.`,
    );
  }
  if (options.mode !== 'none' && endpoint.insecureLoopback) {
    throw new PimValidationError(
      PimErrorCode.CredentialNotAllowed,
      `A token is never sent over plain http, so ${endpoint.origin} must be used with PIM_CREDENTIAL=none (the simulator) or replaced by an https endpoint.`,
    );
  }
}

/** The TokenCredential for ARM, or undefined for `none`; see checkCredentialOptions for what is refused. */
export function createCredential(options: CredentialOptions): TokenCredential | undefined {
  checkCredentialOptions(options);
  const clientId = options.clientId?.trim() || undefined;
  if (options.mode === 'none') return undefined;
  if (options.mode === 'managedIdentity') {
    return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
  }
  return new DefaultAzureCredential({
    ...(clientId ? { managedIdentityClientId: clientId } : {}),
    ...authorityFor(parseArmEndpoint(options.endpoint).origin),
  });
}

function authorityFor(origin: string): { authorityHost?: string } {
  const host = new URL(origin).hostname.toLowerCase();
  const authorityHost = AUTHORITY_BY_ARM_HOST[host];
  return authorityHost ? { authorityHost } : {};
}

export interface ArmConfig {
  /** Validated ARM origin, e.g. https://management.azure.com. */
  endpoint: string;
  credentialMode: CredentialMode;
  clientId?: string;
}

/**
 * Reads ARM_ENDPOINT (default https://management.azure.com), PIM_CREDENTIAL (default
 * managedIdentity) and AZURE_CLIENT_ID, checking that they fit together; throws PimValidationError
 * with a message naming the variable to fix.
 */
export function readArmConfig(env: Record<string, string | undefined>): ArmConfig {
  const endpoint = parseArmEndpoint(env.ARM_ENDPOINT?.trim() || DEFAULT_ARM_ENDPOINT).origin;
  const rawMode = env.PIM_CREDENTIAL?.trim() || 'managedIdentity';
  const credentialMode = CREDENTIAL_MODES.find((m) => m.toLowerCase() === rawMode.toLowerCase());
  if (!credentialMode) {
    throw new PimValidationError(
      PimErrorCode.CredentialNotAllowed,
      `PIM_CREDENTIAL ${JSON.stringify(rawMode.slice(0, 40))} is not known: use managedIdentity, default or none.`,
    );
  }
  const clientId = env.AZURE_CLIENT_ID?.trim() || undefined;
  // Validates the combination now, at startup, rather than on the first request.
  checkCredentialOptions({ mode: credentialMode, clientId, endpoint });
  return { endpoint, credentialMode, ...(clientId ? { clientId } : {}) };
}

/**
 * Reads GRAPH_ENDPOINT (default https://graph.microsoft.com; sovereign clouds: their Graph origin,
 * e.g. https://microsoftgraph.chinacloudapi.cn). With `checkCredential` (the directory is watched,
 * so the credential will be used there) it must fit PIM_CREDENTIAL as ARM_ENDPOINT must; throws
 * PimValidationError (the caller names GRAPH_ENDPOINT).
 */
export function readGraphEndpoint(env: Record<string, string | undefined>, credentialMode: CredentialMode, checkCredential: boolean): string {
  const endpoint = parseArmEndpoint(env.GRAPH_ENDPOINT?.trim() || DEFAULT_GRAPH_ENDPOINT, 'graph').origin;
  if (checkCredential) checkCredentialOptions({ mode: credentialMode, endpoint, service: 'graph' });
  return endpoint;
}
