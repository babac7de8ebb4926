// Facts about Azure that the templates in infra/ depend on, checked in with where each came from,
// so a template cannot drift to an invented API version or role id without a test failing.
// All were looked up on 2026-12-01 through a stored index of public sources (no live web).

export interface Sourced<T> {
  value: T;
  source: string;
}

const SPECS = 'github.com/Azure/azure-rest-api-specs, specification/';

/**
 * The API version every resource type in infra/ is deployed with. Policy: a *stable* version (a
 * `stable/<version>` folder of the REST API specs, never `-preview`) that has been public for
 * at least a year; where a newer stable one exists, it is named, so an upgrade is a deliberate change.
 */
export const API_VERSIONS: Record<string, Sourced<string>> = {
  'Microsoft.ManagedIdentity/userAssignedIdentities': {
    value: '2024-11-30',
    source: `${SPECS}msi/resource-manager/Microsoft.ManagedIdentity/stable/2024-11-30/ManagedIdentity.json (newest stable; 2023-01-31 before it)`,
  },
  'Microsoft.OperationalInsights/workspaces': {
    value: '2025-02-01',
    source: `${SPECS}operationalinsights/resource-manager/Microsoft.OperationalInsights/stable/2025-02-01/Workspaces.json`,
  },
  'Microsoft.Insights/components': {
    value: '2020-02-02',
    source: `${SPECS}applicationinsights/resource-manager/Microsoft.Insights/stable/2020-02-02/components_API.json (newest stable for components; workspace-based via WorkspaceResourceId)`,
  },
  'Microsoft.Storage/storageAccounts': {
    value: '2025-01-01',
    source: `${SPECS}storage/resource-manager/Microsoft.Storage/stable/2025-01-01/storage.json`,
  },
  'Microsoft.KeyVault/vaults': {
    value: '2024-11-01',
    source: `${SPECS}keyvault/resource-manager/Microsoft.KeyVault/stable/2024-11-01/keyvault.json (a newer stable 2025-05-01 exists)`,
  },
  'Microsoft.KeyVault/vaults/secrets': {
    value: '2024-11-01',
    source: `${SPECS}keyvault/resource-manager/Microsoft.KeyVault/stable/2024-11-01/secrets.json`,
  },
  'Microsoft.Web/serverfarms': {
    value: '2024-11-01',
    source: `${SPECS}web/resource-manager/Microsoft.Web/stable/2024-11-01/AppServicePlans.json (a newer stable 2025-05-01 exists)`,
  },
  'Microsoft.Web/sites': {
    value: '2024-11-01',
    source: `${SPECS}web/resource-manager/Microsoft.Web/stable/2024-11-01/WebApps.json (a newer stable 2025-05-01 exists)`,
  },
  'Microsoft.Web/sites/basicPublishingCredentialsPolicies': {
    value: '2024-11-01',
    source: `${SPECS}web/resource-manager/Microsoft.Web/stable/2024-11-01/WebApps.json (same file as sites)`,
  },
  'Microsoft.BotService/botServices': {
    value: '2022-09-15',
    source: `${SPECS}botservice/resource-manager/Microsoft.BotService/stable/2022-09-15/botservice.json (newest stable; 2023-09-15 is only -preview). msaAppType, msaAppMSIResourceId, msaAppTenantId are in its BotProperties`,
  },
  'Microsoft.BotService/botServices/channels': {
    value: '2022-09-15',
    source: `${SPECS}botservice/resource-manager/Microsoft.BotService/stable/2022-09-15/botservice.json, MsTeamsChannel / MsTeamsChannelProperties (isEnabled required)`,
  },
  'Microsoft.Authorization/roleAssignments': {
    value: '2022-04-01',
    source: `${SPECS}authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/authorization-RoleAssignmentsCalls.json (principalType, description)`,
  },
};

const BUILT_IN_ROLES_DOC = 'learn.microsoft.com/azure/role-based-access-control/built-in-roles (the role id column), cross-checked against public templates that assign the role by id';

/** Azure built-in role definition ids (the same in every tenant and cloud). */
export const BUILT_IN_ROLES: Record<string, Sourced<string>> = {
  Owner: { value: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', source: BUILT_IN_ROLES_DOC },
  'User Access Administrator': { value: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9', source: BUILT_IN_ROLES_DOC },
  Reader: { value: 'acdd72a7-3385-48ef-bd42-f606fba81ae7', source: BUILT_IN_ROLES_DOC },
  'Storage Table Data Contributor': { value: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3', source: `${BUILT_IN_ROLES_DOC} (Storage category)` },
  'Key Vault Secrets User': { value: '4633458b-17de-408a-b874-0445c86b69e6', source: `${BUILT_IN_ROLES_DOC} (Security category)` },
};

/** The one resource type the templates name without deploying it. */
export const EXTERNAL_TYPES = ['Microsoft.Authorization/roleDefinitions'] as const;
