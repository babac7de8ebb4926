// The contract between the bot and the PIM alerts API. Handlers, the scheduler and tests depend on
// this interface, never on the HTTP client, so a test can hand them a fake and the composition root
// decides what is real.
import type {
  Alert,
  AlertConfiguration,
  AlertConfigurationUpdate,
  AlertDefinition,
  AlertIncident,
  AlertOperationResult,
} from './models';
import type { ServiceKind } from './service';

/**
 * A started refresh, as plain serialisable data: it can be written to the store and handed back to
 * `pollOperation` after a restart.
 */
export interface OperationHandle {
  /** The API that started the refresh and is polled for it; absent (handles stored before Graph) means 'arm'. */
  service?: ServiceKind;
  /** The `Location` URL of the 202, followed exactly as given (it may carry another api-version). */
  location: string;
  /** Normalised scope the refresh was started on (no leading slash; `directory` for Graph). */
  scope: string;
  /** The alert refreshed, or undefined for refresh-all. */
  alertId?: string;
  /** Operation id from the 202 body when it had one. */
  operationId?: string;
  /** ISO time the 202 was received. */
  startedAt: string;
  /** The service's request id of the 202 (x-ms-request-id; Graph: request-id), for the audit log. */
  requestId?: string;
  /** The body of the 202, as first status. */
  initial?: AlertOperationResult;
}

export type OperationOutcome = 'succeeded' | 'failed' | 'canceled' | 'timedOut';

export interface StatusDetailEntry {
  name?: string;
  statusDetail?: string;
}

export interface OperationResult {
  outcome: OperationOutcome;
  /** The last status string the service reported (as sent, any case). */
  status?: string;
  /** `statusDetail` parsed leniently: the `result` entries when it was JSON, else one entry with the raw text. */
  details: StatusDetailEntry[];
  /** Raw last body. */
  last?: AlertOperationResult;
  /** Milliseconds from `startedAt` to the terminal state (or to giving up). */
  durationMs: number;
  /** Number of GETs made by this poll. */
  polls: number;
}

export interface PollOptions {
  /** Give up at this absolute time (ms since epoch); default startedAt + configured deadline. */
  deadline?: number;
  /** Called after every GET with the current status, e.g. to persist progress. */
  onProgress?: (last: AlertOperationResult) => void;
  abortSignal?: AbortSignal;
}

/** What a write returns: the service's request id, for the audit log. */
export interface WriteResult {
  requestId?: string;
}

/**
 * The PIM alerts of one scope, whichever API serves it: ARM for Azure resource scopes, Microsoft
 * Graph for the `directory` scope. Both clients return the same model (bot/azure/models.ts).
 */
export interface PimAlertsApi {
  // alerts
  listAlerts(scope: string): Promise<Alert[]>;
  getAlert(scope: string, alertId: string): Promise<Alert>;
  /** PATCH the alert; the service answers 204. Dismiss is `{ isActive: false }`. */
  updateAlert(scope: string, alertId: string, update: { isActive: boolean }): Promise<WriteResult>;
  refreshAlert(scope: string, alertId: string): Promise<OperationHandle>;
  refreshAllAlerts(scope: string): Promise<OperationHandle>;
  // configurations
  listAlertConfigurations(scope: string): Promise<AlertConfiguration[]>;
  getAlertConfiguration(scope: string, alertId: string): Promise<AlertConfiguration>;
  updateAlertConfiguration(scope: string, alertId: string, update: AlertConfigurationUpdate): Promise<WriteResult>;
  // definitions
  listAlertDefinitions(scope: string): Promise<AlertDefinition[]>;
  getAlertDefinition(scope: string, alertDefinitionId: string): Promise<AlertDefinition>;
  // incidents
  listAlertIncidents(scope: string, alertId: string): Promise<AlertIncident[]>;
  getAlertIncident(scope: string, alertId: string, incidentId: string): Promise<AlertIncident>;
  remediateAlertIncident(scope: string, alertId: string, incidentId: string): Promise<WriteResult>;
  // operations
  getAlertOperation(scope: string, operationId: string): Promise<AlertOperationResult>;
  /** Polls a handle's Location until a terminal status or the deadline. Never throws for a failed
   *  or timed-out operation: that is an outcome. Throws ArmError only for a request that fails. */
  pollOperation(handle: OperationHandle, options?: PollOptions): Promise<OperationResult>;
}

// ---- Azure RBAC reads used to decide whether a person may act (issue: per-person authorization) ----
// ARM: GET /{scope}/providers/Microsoft.Authorization/roleAssignments?$filter=assignedTo('{objectId}')
//      &api-version=2022-04-01 — returns the person's assignments at, above and below the scope,
//      including those through group membership.
//      GET {roleDefinitionId}?api-version=2022-04-01 — roleDefinitionId is a full resource id.
//      GET /{scope}/providers/Microsoft.Authorization/denyAssignments?$filter=atScope()
//      &api-version=2022-04-01 — every deny assignment at or above the scope, whoever it names.
//      Not `principalId eq '{id}'`: the spec's DenyAssignmentFilter defines it as the deny
//      assignments where that principal "is listed in the principals list", which leaves out
//      those naming All Principals or a group of the person; the bot matches principals itself.

export const RBAC_API_VERSION = '2022-04-01';

export interface RoleAssignment {
  id: string;
  name: string;
  type: string;
  properties: {
    scope: string;
    roleDefinitionId: string;
    principalId: string;
    principalType?: string;
    condition?: string | null;
    [key: string]: unknown;
  };
}

export interface RolePermission {
  actions?: string[];
  notActions?: string[];
  dataActions?: string[];
  notDataActions?: string[];
}

export interface RoleDefinition {
  id: string;
  name: string;
  type: string;
  properties: {
    roleName?: string;
    type?: string; // BuiltInRole | CustomRole
    description?: string;
    assignableScopes?: string[];
    permissions?: RolePermission[];
    [key: string]: unknown;
  };
}

/** A user, group or service principal a deny assignment names; the all-zero id is All Principals. */
export interface DenyAssignmentPrincipal {
  id?: string;
  /** User, Group, ServicePrincipal, SystemDefined (All Principals), … */
  type?: string;
}

export interface DenyAssignment {
  id: string;
  name: string;
  type: string;
  properties: {
    denyAssignmentName?: string;
    description?: string;
    /** The actions denied: each block denies what its actions match, minus its notActions. */
    permissions?: RolePermission[];
    scope?: string;
    /** true: the deny applies at its scope only, not below it. */
    doNotApplyToChildScopes?: boolean;
    principals?: DenyAssignmentPrincipal[];
    excludePrincipals?: DenyAssignmentPrincipal[];
    isSystemProtected?: boolean;
    condition?: string | null;
    [key: string]: unknown;
  };
}

export interface RbacApi {
  /** Assignments of this principal (directly or via groups) visible at the scope. */
  listRoleAssignmentsForPrincipal(scope: string, principalObjectId: string): Promise<RoleAssignment[]>;
  /** A role definition by its full resource id (as found in an assignment). */
  getRoleDefinition(roleDefinitionId: string): Promise<RoleDefinition>;
  /** Every deny assignment at or above the scope (`atScope()`), for everyone. */
  listDenyAssignments(scope: string): Promise<DenyAssignment[]>;
}

// ---- Entra ID directory roles, read from Microsoft Graph to decide who may act on the directory ----
// GET /beta/roleManagement/directory/transitiveRoleAssignments?$count=true&$filter=principalId eq '{id}'
// with ConsistencyLevel: eventual: the person's active directory role assignments, direct and
// through role-assignable groups (a group-based row carries the group's id as principalId).

export interface DirectoryRoleAssignment {
  id: string;
  principalId: string;
  /** The role definition id; for built-in roles, the role template id. */
  roleDefinitionId: string;
  /** `/` for the whole tenant, `/administrativeUnits/{id}` or an object id for narrower ones. */
  directoryScopeId: string;
  [key: string]: unknown;
}

export interface DirectoryRolesApi {
  /** The principal's active directory role assignments, directly or through groups. */
  listTransitiveRoleAssignments(principalObjectId: string): Promise<DirectoryRoleAssignment[]>;
}
