// Typed models of the Microsoft.Authorization role management alerts API, api-version
// 2022-08-01-preview (test/fixtures/arm/RoleManagementAlerts.json). ARM flattens nothing on the
// wire: every resource is { id, name, type, properties }. The models keep that shape so that what
// the client returns is exactly what the service sent, and the discriminated unions below give
// callers the typed fields of each kind.

export const API_VERSION = '2022-08-01-preview';

export type SeverityLevel = 'Low' | 'Medium' | 'High';

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
/** A kind this version of the bot does not know: kept whole and shown generically. */
export interface UnknownConfigurationProperties extends AlertConfigurationBase {
  alertConfigurationType: string & { readonly __unknownConfiguration?: never };
  [key: string]: unknown;
}

export type KnownAlertConfigurationProperties =
  | TooManyOwnersConfigurationProperties
  | TooManyPermanentOwnersConfigurationProperties
  | DuplicateRoleCreatedConfigurationProperties
  | AzureRolesAssignedOutsidePimConfigurationProperties;
export type AlertConfigurationProperties = KnownAlertConfigurationProperties | UnknownConfigurationProperties;
export type AlertConfiguration = ArmResource<AlertConfigurationProperties>;

export const KNOWN_CONFIGURATION_TYPES = [
  'TooManyOwnersAssignedToResourceAlertConfiguration',
  'TooManyPermanentOwnersAssignedToResourceAlertConfiguration',
  'DuplicateRoleCreatedAlertConfiguration',
  'AzureRolesAssignedOutsidePimAlertConfiguration',
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
  | { alertConfigurationType: 'AzureRolesAssignedOutsidePimAlertConfiguration'; isEnabled?: boolean };

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
export interface UnknownIncidentProperties {
  alertIncidentType: string & { readonly __unknownIncident?: never };
  [key: string]: unknown;
}
export type KnownAlertIncidentProperties =
  | AzureRolesAssignedOutsidePimIncidentProperties
  | DuplicateRoleCreatedIncidentProperties
  | TooManyOwnersIncidentProperties
  | TooManyPermanentOwnersIncidentProperties;
export type AlertIncidentProperties = KnownAlertIncidentProperties | UnknownIncidentProperties;
export type AlertIncident = ArmResource<AlertIncidentProperties>;

export const KNOWN_INCIDENT_TYPES = [
  'AzureRolesAssignedOutsidePimAlertIncident',
  'DuplicateRoleCreatedAlertIncident',
  'TooManyOwnersAssignedToResourceAlertIncident',
  'TooManyPermanentOwnersAssignedToResourceAlertIncident',
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
