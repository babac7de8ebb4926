// Typed models of the Microsoft.Authorization role management alerts API, api-version
// 2022-08-01-preview (test/fixtures/arm/RoleManagementAlerts.json). ARM flattens nothing on the
// wire: every resource is { id, name, type, properties }. The models keep that shape so that what
// the client returns is exactly what the service sent, and the discriminated unions below give
// callers the typed fields of each kind.
//
// One model for both halves of PIM: the Microsoft Graph client (bot/azure/graph.ts) maps Graph's
// flat directory-role objects (test/fixtures/graph) into these same types, with `name` = the Graph
// id, `properties.scope` = `directory`, severities in ARM's casing, and the Graph kinds below named
// by their Graph type (`@odata.type` without `#microsoft.graph.`).

import { isDirectoryScope } from './validate';

export const API_VERSION = '2022-08-01-preview';

export type SeverityLevel = 'Low' | 'Medium' | 'High';

/** The two worlds PIM raises alerts in: Azure resource roles (ARM) and Entra ID directory roles (Graph). */
export type PimWorld = 'azure' | 'directory';

/** Which world a scope belongs to: `directory` is the Entra ID directory, every other scope an Azure one. */
export function worldOf(scope: string | undefined): PimWorld {
  return typeof scope === 'string' && isDirectoryScope(scope) ? 'directory' : 'azure';
}

export interface ArmResource<P> {
  id: string;
  name: string;
  type: string;
  properties: P;
}

export interface AlertDefinitionProperties {
  displayName?: string;
  scope?: string;
  description?: string;
  /** The spec says Low | Medium | High, modelled as a string: another value is kept as-is. */
  severityLevel?: SeverityLevel | string;
  securityImpact?: string;
  mitigationSteps?: string;
  howToPrevent?: string;
  isRemediatable?: boolean;
  isConfigurable?: boolean;
}
export type AlertDefinition = ArmResource<AlertDefinitionProperties>;

// ---- Alert configurations: discriminated on alertConfigurationType ----

interface AlertConfigurationBase {
  alertDefinitionId?: string;
  scope?: string;
  isEnabled?: boolean;
  alertDefinition?: AlertDefinition;
}

export interface TooManyOwnersConfigurationProperties extends AlertConfigurationBase {
  alertConfigurationType: 'TooManyOwnersAssignedToResourceAlertConfiguration';
  thresholdNumberOfOwners?: number;
  thresholdPercentageOfOwnersOutOfAllRoleMembers?: number;
}
export interface TooManyPermanentOwnersConfigurationProperties extends AlertConfigurationBase {
  alertConfigurationType: 'TooManyPermanentOwnersAssignedToResourceAlertConfiguration';
  thresholdNumberOfPermanentOwners?: number;
  thresholdPercentageOfPermanentOwnersOutOfAllOwners?: number;
}
export interface DuplicateRoleCreatedConfigurationProperties extends AlertConfigurationBase {
  alertConfigurationType: 'DuplicateRoleCreatedAlertConfiguration';
}
export interface AzureRolesAssignedOutsidePimConfigurationProperties extends AlertConfigurationBase {
  alertConfigurationType: 'AzureRolesAssignedOutsidePimAlertConfiguration';
}
// Microsoft Graph (Entra ID directory roles). Durations are ISO 8601 (e.g. P30D, PT10S).
export interface TooManyGlobalAdminsConfigurationProperties extends AlertConfigurationBase {
  alertConfigurationType: 'tooManyGlobalAdminsAssignedToTenantAlertConfiguration';
  globalAdminCountThreshold?: number;
  percentageOfGlobalAdminsOutOfRolesThreshold?: number;
}
export interface SequentialActivationRenewalsConfigurationProperties extends AlertConfigurationBase {
  alertConfigurationType: 'sequentialActivationRenewalsAlertConfiguration';
  timeIntervalBetweenActivations?: string;
  sequentialActivationCounterThreshold?: number;
}
export interface StaleSignInConfigurationProperties extends AlertConfigurationBase {
  alertConfigurationType: 'staleSignInAlertConfiguration';
  /** Days without sign-in, as an ISO 8601 duration. */
  duration?: string;
}
export interface RedundantAssignmentConfigurationProperties extends AlertConfigurationBase {
  alertConfigurationType: 'redundantAssignmentAlertConfiguration';
  /** Days without activation, as an ISO 8601 duration. */
  duration?: string;
}
export interface InvalidLicenseConfigurationProperties extends AlertConfigurationBase {
  alertConfigurationType: 'invalidLicenseAlertConfiguration';
}
export interface NoMfaOnRoleActivationConfigurationProperties extends AlertConfigurationBase {
  alertConfigurationType: 'noMfaOnRoleActivationAlertConfiguration';
}
export interface RolesAssignedOutsidePimConfigurationProperties extends AlertConfigurationBase {
  alertConfigurationType: 'rolesAssignedOutsidePrivilegedIdentityManagementAlertConfiguration';
}

/** A kind this version of the bot does not know: kept whole and shown generically. */
export interface UnknownConfigurationProperties extends AlertConfigurationBase {
  alertConfigurationType: string & { readonly __unknownConfiguration?: never };
  [key: string]: unknown;
}

export type KnownAlertConfigurationProperties =
  | TooManyOwnersConfigurationProperties
  | TooManyPermanentOwnersConfigurationProperties
  | DuplicateRoleCreatedConfigurationProperties
  | AzureRolesAssignedOutsidePimConfigurationProperties
  | TooManyGlobalAdminsConfigurationProperties
  | SequentialActivationRenewalsConfigurationProperties
  | StaleSignInConfigurationProperties
  | RedundantAssignmentConfigurationProperties
  | InvalidLicenseConfigurationProperties
  | NoMfaOnRoleActivationConfigurationProperties
  | RolesAssignedOutsidePimConfigurationProperties;
export type AlertConfigurationProperties = KnownAlertConfigurationProperties | UnknownConfigurationProperties;
export type AlertConfiguration = ArmResource<AlertConfigurationProperties>;

/** The Graph configuration kinds (Graph's own type names, lower camel case). */
export const GRAPH_CONFIGURATION_TYPES = [
  'tooManyGlobalAdminsAssignedToTenantAlertConfiguration',
  'sequentialActivationRenewalsAlertConfiguration',
  'staleSignInAlertConfiguration',
  'redundantAssignmentAlertConfiguration',
  'invalidLicenseAlertConfiguration',
  'noMfaOnRoleActivationAlertConfiguration',
  'rolesAssignedOutsidePrivilegedIdentityManagementAlertConfiguration',
] as const;

export const KNOWN_CONFIGURATION_TYPES = [
  'TooManyOwnersAssignedToResourceAlertConfiguration',
  'TooManyPermanentOwnersAssignedToResourceAlertConfiguration',
  'DuplicateRoleCreatedAlertConfiguration',
  'AzureRolesAssignedOutsidePimAlertConfiguration',
  ...GRAPH_CONFIGURATION_TYPES,
] as const;
export type KnownConfigurationType = (typeof KNOWN_CONFIGURATION_TYPES)[number];

export function isKnownConfiguration(p: AlertConfigurationProperties): p is KnownAlertConfigurationProperties {
  return (KNOWN_CONFIGURATION_TYPES as readonly string[]).includes(p.alertConfigurationType);
}

/** Body of AlertConfigurations_Update: the discriminator is required by the service. */
export type AlertConfigurationUpdate =
  | { alertConfigurationType: 'TooManyOwnersAssignedToResourceAlertConfiguration'; isEnabled?: boolean; thresholdNumberOfOwners?: number; thresholdPercentageOfOwnersOutOfAllRoleMembers?: number }
  | { alertConfigurationType: 'TooManyPermanentOwnersAssignedToResourceAlertConfiguration'; isEnabled?: boolean; thresholdNumberOfPermanentOwners?: number; thresholdPercentageOfPermanentOwnersOutOfAllOwners?: number }
  | { alertConfigurationType: 'DuplicateRoleCreatedAlertConfiguration'; isEnabled?: boolean }
  | { alertConfigurationType: 'AzureRolesAssignedOutsidePimAlertConfiguration'; isEnabled?: boolean }
  // Graph: the client sends the kind as `@odata.type` (#microsoft.graph.<kind>), the other members as they are.
  | { alertConfigurationType: 'tooManyGlobalAdminsAssignedToTenantAlertConfiguration'; isEnabled?: boolean; globalAdminCountThreshold?: number; percentageOfGlobalAdminsOutOfRolesThreshold?: number }
  | { alertConfigurationType: 'sequentialActivationRenewalsAlertConfiguration'; isEnabled?: boolean; timeIntervalBetweenActivations?: string; sequentialActivationCounterThreshold?: number }
  | { alertConfigurationType: 'staleSignInAlertConfiguration'; isEnabled?: boolean; duration?: string }
  | { alertConfigurationType: 'redundantAssignmentAlertConfiguration'; isEnabled?: boolean; duration?: string }
  | { alertConfigurationType: 'invalidLicenseAlertConfiguration'; isEnabled?: boolean }
  | { alertConfigurationType: 'noMfaOnRoleActivationAlertConfiguration'; isEnabled?: boolean }
  | { alertConfigurationType: 'rolesAssignedOutsidePrivilegedIdentityManagementAlertConfiguration'; isEnabled?: boolean };

// ---- Alert incidents: discriminated on alertIncidentType ----

export interface AzureRolesAssignedOutsidePimIncidentProperties {
  alertIncidentType: 'AzureRolesAssignedOutsidePimAlertIncident';
  assigneeDisplayName?: string;
  assigneeUserPrincipalName?: string;
  assigneeId?: string;
  roleDisplayName?: string;
  roleTemplateId?: string;
  roleDefinitionId?: string;
  assignmentActivatedDate?: string;
  requestorId?: string;
  requestorDisplayName?: string;
  requestorUserPrincipalName?: string;
}
export interface DuplicateRoleCreatedIncidentProperties {
  alertIncidentType: 'DuplicateRoleCreatedAlertIncident';
  roleName?: string;
  duplicateRoles?: string;
  reason?: string;
}
export interface TooManyOwnersIncidentProperties {
  alertIncidentType: 'TooManyOwnersAssignedToResourceAlertIncident';
  assigneeName?: string;
  assigneeType?: string;
}
export interface TooManyPermanentOwnersIncidentProperties {
  alertIncidentType: 'TooManyPermanentOwnersAssignedToResourceAlertIncident';
  assigneeName?: string;
  assigneeType?: string;
}
// Microsoft Graph (Entra ID directory roles): assignee* = the user, role* = the directory role.
interface DirectoryAssignee {
  assigneeId?: string;
  assigneeDisplayName?: string;
  assigneeUserPrincipalName?: string;
}
interface DirectoryRole {
  roleTemplateId?: string;
  roleDisplayName?: string;
  roleDefinitionId?: string;
}
export interface TooManyGlobalAdminsIncidentProperties extends DirectoryAssignee {
  alertIncidentType: 'tooManyGlobalAdminsAssignedToTenantAlertIncident';
}
export interface StaleSignInIncidentProperties extends DirectoryAssignee, DirectoryRole {
  alertIncidentType: 'staleSignInAlertIncident';
  assignmentCreatedDateTime?: string;
  lastSignInDateTime?: string;
}
export interface RedundantAssignmentIncidentProperties extends DirectoryAssignee, DirectoryRole {
  alertIncidentType: 'redundantAssignmentAlertIncident';
  lastActivationDateTime?: string;
}
export interface SequentialActivationRenewalsIncidentProperties extends DirectoryAssignee, DirectoryRole {
  alertIncidentType: 'sequentialActivationRenewalsAlertIncident';
  activationCount?: number;
  sequenceStartDateTime?: string;
  sequenceEndDateTime?: string;
}
export interface RolesAssignedOutsidePimIncidentProperties extends DirectoryAssignee, DirectoryRole {
  alertIncidentType: 'rolesAssignedOutsidePrivilegedIdentityManagementAlertIncident';
  /** The docs' property table and JSON example disagree on which date it carries; both are kept. */
  assignmentCreatedDateTime?: string;
  lastActivationDateTime?: string;
}
export interface NoMfaOnRoleActivationIncidentProperties {
  alertIncidentType: 'noMfaOnRoleActivationAlertIncident';
  roleTemplateId?: string;
  roleDisplayName?: string;
}
export interface InvalidLicenseIncidentProperties {
  alertIncidentType: 'invalidLicenseAlertIncident';
  tenantLicenseStatus?: string;
}

export interface UnknownIncidentProperties {
  alertIncidentType: string & { readonly __unknownIncident?: never };
  [key: string]: unknown;
}
export type KnownAlertIncidentProperties =
  | AzureRolesAssignedOutsidePimIncidentProperties
  | DuplicateRoleCreatedIncidentProperties
  | TooManyOwnersIncidentProperties
  | TooManyPermanentOwnersIncidentProperties
  | TooManyGlobalAdminsIncidentProperties
  | StaleSignInIncidentProperties
  | RedundantAssignmentIncidentProperties
  | SequentialActivationRenewalsIncidentProperties
  | RolesAssignedOutsidePimIncidentProperties
  | NoMfaOnRoleActivationIncidentProperties
  | InvalidLicenseIncidentProperties;
export type AlertIncidentProperties = KnownAlertIncidentProperties | UnknownIncidentProperties;
export type AlertIncident = ArmResource<AlertIncidentProperties>;

export const KNOWN_INCIDENT_TYPES = [
  'AzureRolesAssignedOutsidePimAlertIncident',
  'DuplicateRoleCreatedAlertIncident',
  'TooManyOwnersAssignedToResourceAlertIncident',
  'TooManyPermanentOwnersAssignedToResourceAlertIncident',
  'tooManyGlobalAdminsAssignedToTenantAlertIncident',
  'staleSignInAlertIncident',
  'redundantAssignmentAlertIncident',
  'sequentialActivationRenewalsAlertIncident',
  'rolesAssignedOutsidePrivilegedIdentityManagementAlertIncident',
  'noMfaOnRoleActivationAlertIncident',
  'invalidLicenseAlertIncident',
] as const;

export function isKnownIncident(p: AlertIncidentProperties): p is KnownAlertIncidentProperties {
  return (KNOWN_INCIDENT_TYPES as readonly string[]).includes(p.alertIncidentType);
}

// ---- Alerts ----

export interface AlertProperties {
  scope?: string;
  isActive?: boolean;
  incidentCount?: number;
  lastModifiedDateTime?: string;
  lastScannedDateTime?: string;
  alertDefinition?: AlertDefinition;
  alertIncidents?: AlertIncident[];
  alertConfiguration?: AlertConfiguration;
}
export type Alert = ArmResource<AlertProperties>;

// ---- Alert operations (refresh) ----

export interface AlertOperationResult {
  id?: string;
  status?: string;
  statusDetail?: string;
  createdDateTime?: string;
  lastActionDateTime?: string;
  resourceLocation?: string;
}

export interface ArmErrorBody {
  error?: { code?: string; message?: string };
}
