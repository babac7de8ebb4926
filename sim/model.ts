// The simulator's data model: what a seed describes and what the state holds. Plain data only.

export const ALERT_API_VERSION = '2022-08-01-preview';
/** The api-version the service writes into the refresh Location header (see RefreshAlert.json). */
export const OPERATION_LOCATION_API_VERSION = '2022-04-01-preview';
export const RBAC_API_VERSION = '2022-04-01';

export const ALERT_KINDS = {
  TooManyOwnersAssignedToResource: {
    configurationType: 'TooManyOwnersAssignedToResourceAlertConfiguration',
    incidentType: 'TooManyOwnersAssignedToResourceAlertIncident',
    settings: { thresholdNumberOfOwners: 'count', thresholdPercentageOfOwnersOutOfAllRoleMembers: 'percentage' },
  },
  TooManyPermanentOwnersAssignedToResource: {
    configurationType: 'TooManyPermanentOwnersAssignedToResourceAlertConfiguration',
    incidentType: 'TooManyPermanentOwnersAssignedToResourceAlertIncident',
    settings: { thresholdNumberOfPermanentOwners: 'count', thresholdPercentageOfPermanentOwnersOutOfAllOwners: 'percentage' },
  },
  DuplicateRoleCreated: {
    configurationType: 'DuplicateRoleCreatedAlertConfiguration',
    incidentType: 'DuplicateRoleCreatedAlertIncident',
    settings: {},
  },
  AzureRolesAssignedOutsidePimAlert: {
    configurationType: 'AzureRolesAssignedOutsidePimAlertConfiguration',
    incidentType: 'AzureRolesAssignedOutsidePimAlertIncident',
    settings: {},
  },
} as const satisfies Record<string, { configurationType: string; incidentType: string; settings: Record<string, SettingKind> }>;

export type SettingKind = 'count' | 'percentage';
export type AlertKind = keyof typeof ALERT_KINDS;
export const ALERT_KIND_NAMES = Object.keys(ALERT_KINDS) as AlertKind[];

export function isAlertKind(name: string): name is AlertKind {
  return Object.prototype.hasOwnProperty.call(ALERT_KINDS, name);
}

export interface SimClock {
  now(): number;
}

// ---- seed ----

export interface SeedDefinition {
  name: AlertKind;
  /** Definition properties without `scope` (set per scope). */
  properties: {
    displayName: string;
    description: string;
    severityLevel: string;
    securityImpact: string;
    mitigationSteps: string;
    howToPrevent: string;
    isRemediatable: boolean;
    isConfigurable: boolean;
  };
}

export interface IncidentRecord {
  /** The incident id (a GUID). */
  name: string;
  properties: { alertIncidentType: string; [key: string]: unknown };
}

export interface ConfigurationRecord {
  isEnabled: boolean;
  /** Kind-specific settings, e.g. thresholdNumberOfOwners. */
  settings: Record<string, number>;
}

export interface SeedAlert {
  alertId: AlertKind;
  isActive: boolean;
  lastModifiedDateTime: string;
  lastScannedDateTime: string;
  configuration: ConfigurationRecord;
  incidents: IncidentRecord[];
}

export interface SimScope {
  /** ARM scope without a leading slash, e.g. `subscriptions/<guid>`. */
  id: string;
  displayName: string;
}

export interface SeedScope extends SimScope {
  alerts: SeedAlert[];
}

export type PrincipalType = 'User' | 'Group' | 'ServicePrincipal';

export interface SimPrincipal {
  id: string;
  displayName: string;
  type: PrincipalType;
  userPrincipalName?: string;
  /** Object ids of the groups this principal is a direct member of. */
  memberOf?: string[];
}

export interface SeedRoleDefinition {
  /** The role definition GUID. */
  name: string;
  roleName: string;
  type: 'BuiltInRole' | 'CustomRole';
  description: string;
  /** With leading slash, `/` for built-in roles. */
  assignableScopes: string[];
  permissions: Array<{ actions: string[]; notActions: string[]; dataActions: string[]; notDataActions: string[] }>;
  createdOn: string;
  updatedOn: string;
}

export interface SeedRoleAssignment {
  /** The assignment GUID. */
  name: string;
  /** ARM scope with leading slash, e.g. `/subscriptions/<guid>`. */
  scope: string;
  /** GUID of a role definition in the seed. */
  roleDefinitionName: string;
  principalId: string;
  createdOn: string;
}

export interface SeedPrincipalRef {
  id: string;
  /** User, Group, ServicePrincipal, or SystemDefined for All Principals (the all-zero id). */
  type: string;
}

/** A deny assignment as ARM lists it (Azure creates them: Blueprints, managed apps, deployment stacks). */
export interface SeedDenyAssignment {
  /** The deny assignment GUID. */
  name: string;
  denyAssignmentName: string;
  description: string;
  /** ARM scope with leading slash. */
  scope: string;
  permissions: Array<{ actions: string[]; notActions: string[]; dataActions: string[]; notDataActions: string[] }>;
  principals: SeedPrincipalRef[];
  excludePrincipals: SeedPrincipalRef[];
  doNotApplyToChildScopes: boolean;
  createdOn: string;
}

export interface SeedData {
  definitions: SeedDefinition[];
  scopes: SeedScope[];
  principals: SimPrincipal[];
  roleDefinitions: SeedRoleDefinition[];
  roleAssignments: SeedRoleAssignment[];
  denyAssignments: SeedDenyAssignment[];
  /** The Entra ID directory served over the Graph routes; absent: no directory. */
  directory?: DirectorySeed;
}

// ---- the Entra ID directory (Microsoft Graph beta, identityGovernance/roleManagementAlerts) ----

/** The bot's scope key for the directory; the simulator lists it among its scopes. */
export const DIRECTORY_SCOPE_ID = 'directory';

export type DirectorySettingKind = 'count' | 'percentage' | 'duration';

/** The directory-role alert kinds, by the AlertName at the end of their ids. */
export const DIRECTORY_ALERT_KINDS = {
  InvalidLicenseAlert: { configurationType: 'invalidLicenseAlertConfiguration', incidentType: 'invalidLicenseAlertIncident', settings: {} },
  NoMfaOnRoleActivationAlert: { configurationType: 'noMfaOnRoleActivationAlertConfiguration', incidentType: 'noMfaOnRoleActivationAlertIncident', settings: {} },
  RedundantAssignmentAlert: { configurationType: 'redundantAssignmentAlertConfiguration', incidentType: 'redundantAssignmentAlertIncident', settings: { duration: 'duration' } },
  RolesAssignedOutsidePimAlert: {
    configurationType: 'rolesAssignedOutsidePrivilegedIdentityManagementAlertConfiguration',
    incidentType: 'rolesAssignedOutsidePrivilegedIdentityManagementAlertIncident',
    settings: {},
  },
  SequentialActivationRenewalsAlert: {
    configurationType: 'sequentialActivationRenewalsAlertConfiguration',
    incidentType: 'sequentialActivationRenewalsAlertIncident',
    settings: { timeIntervalBetweenActivations: 'duration', sequentialActivationCounterThreshold: 'count' },
  },
  StaleSignInAlert: { configurationType: 'staleSignInAlertConfiguration', incidentType: 'staleSignInAlertIncident', settings: { duration: 'duration' } },
  TooManyGlobalAdminsAssignedToTenantAlert: {
    configurationType: 'tooManyGlobalAdminsAssignedToTenantAlertConfiguration',
    incidentType: 'tooManyGlobalAdminsAssignedToTenantAlertIncident',
    settings: { globalAdminCountThreshold: 'count', percentageOfGlobalAdminsOutOfRolesThreshold: 'percentage' },
  },
} as const satisfies Record<string, { configurationType: string; incidentType: string; settings: Record<string, DirectorySettingKind> }>;

export type DirectoryAlertKind = keyof typeof DIRECTORY_ALERT_KINDS;

export function isDirectoryAlertKind(name: string): name is DirectoryAlertKind {
  return Object.prototype.hasOwnProperty.call(DIRECTORY_ALERT_KINDS, name);
}

/** An incident as Graph shows it: `@odata.type`, `id` and the kind's fields. */
export interface DirectoryIncidentRecord {
  '@odata.type': string;
  id: string;
  [field: string]: unknown;
}

/** A configuration's `@odata.type`, `isEnabled` and the kind's settings, as Graph shows them. */
export interface DirectoryConfigurationRecord {
  '@odata.type': string;
  isEnabled: boolean;
  [setting: string]: unknown;
}

export interface DirectorySeedAlert {
  /** The AlertName (the id is DirectoryRole_{tenantId}_{alert}). */
  alert: DirectoryAlertKind;
  isActive: boolean;
  /** Graph's `0001-01-01T08:00:00Z` for an alert never raised. */
  lastModifiedDateTime: string;
  lastScannedDateTime: string;
  configuration: DirectoryConfigurationRecord;
  incidents: DirectoryIncidentRecord[];
}

/** A directory role assignment (unifiedRoleAssignment). */
export interface DirectoryRoleAssignmentSeed {
  id: string;
  principalId: string;
  /** For built-in roles, the role template id. */
  roleDefinitionId: string;
  /** `/` for the tenant, `/administrativeUnits/{id}` for an administrative unit. */
  directoryScopeId: string;
}

export interface DirectorySeed {
  tenantId: string;
  displayName: string;
  /** Graph's alert definition objects, as listed by the service. */
  definitions: Array<Record<string, unknown> & { id: string; isRemediatable: boolean }>;
  alerts: DirectorySeedAlert[];
  roleAssignments: DirectoryRoleAssignmentSeed[];
}
