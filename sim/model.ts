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

export interface SeedData {
  definitions: SeedDefinition[];
  scopes: SeedScope[];
  principals: SimPrincipal[];
  roleDefinitions: SeedRoleDefinition[];
  roleAssignments: SeedRoleAssignment[];
}
