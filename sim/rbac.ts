// Azure RBAC reads (role assignments, role definitions and deny assignments, api-version
// 2022-04-01) over the seeded principals, so per-person authorization can be exercised locally.
// Visibility rules follow ARM: a listing at a scope shows assignments at, above and below it;
// `atScope()` keeps at-or-above; `assignedTo('{id}')` includes the groups the principal belongs to
// (transitively). Deny assignments are listed for everyone they name (the bot reads them with
// `atScope()` and matches principals itself).
import { ArmError, isGuid } from './arm';
import type { SeedData, SeedDenyAssignment, SeedRoleAssignment, SeedRoleDefinition, SimPrincipal } from './model';
import type { ParsedScope } from './paths';

const PROVIDER = 'providers/Microsoft.Authorization';
// The Playground's user ids are GUID-like but not GUIDs, so principal ids are checked loosely.
const OBJECT_ID = /^[0-9a-f-]{1,64}$/i;

type Json = Record<string, unknown>;

export interface AssignmentFilter {
  atScopeOnly: boolean;
  principalId?: string;
  includeGroups: boolean;
}

function unsupported(filter: string): ArmError {
  return new ArmError(
    400,
    'UnsupportedQuery',
    `The filter '${filter}' is not supported; use atScope(), assignedTo('{objectId}') or principalId eq '{objectId}'.`,
  );
}

/** Parses the `$filter` of a role assignment listing (terms joined by `and`). */
export function parseAssignmentFilter(filter: string | null | undefined): AssignmentFilter {
  const result: AssignmentFilter = { atScopeOnly: false, includeGroups: false };
  if (filter === null || filter === undefined || filter.trim() === '') return result;
  for (const term of filter.split(/\s+and\s+/i).map((t) => t.trim())) {
    let m: RegExpMatchArray | null;
    if (/^atScope\(\s*\)$/i.test(term)) {
      result.atScopeOnly = true;
    } else if ((m = term.match(/^assignedTo\(\s*'([^']*)'\s*\)$/i)) && result.principalId === undefined) {
      result.principalId = m[1]!;
      result.includeGroups = true;
    } else if ((m = term.match(/^principalId\s+eq\s+'([^']*)'$/i)) && result.principalId === undefined) {
      result.principalId = m[1]!;
    } else {
      throw unsupported(filter);
    }
  }
  if (result.principalId !== undefined && !OBJECT_ID.test(result.principalId)) {
    throw new ArmError(400, 'InvalidPrincipalId', `The principal id '${result.principalId}' is not a valid object id; use the person's Entra object id.`);
  }
  return result;
}

/** Lower-cased scope with a leading slash and no trailing one; the tenant root is ''. */
function normalise(scope: string): string {
  const s = scope.toLowerCase().replace(/\/+$/, '');
  return s === '' ? '' : s.startsWith('/') ? s : `/${s}`;
}

/** Whether `outer` is `inner` or one of its ancestors. */
export function isAtOrAbove(outer: string, inner: string): boolean {
  const o = normalise(outer);
  const i = normalise(inner);
  return o === '' || o === i || i.startsWith(`${o}/`);
}

function subscriptionOf(scope: string): string | undefined {
  return scope.match(/^\/?subscriptions\/([^/]+)/i)?.[1];
}

function roleDefinitionResourceId(scope: string, roleGuid: string): string {
  const sub = subscriptionOf(scope);
  return sub ? `/subscriptions/${sub}/${PROVIDER}/roleDefinitions/${roleGuid}` : `/${PROVIDER}/roleDefinitions/${roleGuid}`;
}

export interface ScopeDirectory {
  knowsSubscription(subscriptionId: string): boolean;
  knowsResourceGroup(subscriptionId: string, resourceGroup: string): boolean;
}

export class RbacDirectory {
  private readonly principals: Map<string, SimPrincipal>;
  private readonly definitions: SeedRoleDefinition[];
  private readonly assignments: SeedRoleAssignment[];
  private readonly denials: SeedDenyAssignment[];

  constructor(
    seed: Pick<SeedData, 'principals' | 'roleDefinitions' | 'roleAssignments' | 'denyAssignments'>,
    private readonly scopes: ScopeDirectory,
  ) {
    this.principals = new Map(seed.principals.map((p) => [p.id.toLowerCase(), structuredClone(p)]));
    this.definitions = structuredClone(seed.roleDefinitions);
    this.assignments = structuredClone(seed.roleAssignments);
    this.denials = structuredClone(seed.denyAssignments);
  }

  principalList(): SimPrincipal[] {
    return [...this.principals.values()].map((p) => structuredClone(p));
  }

  /** Role names by lower-case role definition GUID. */
  roleNames(): Map<string, string> {
    return new Map(this.definitions.map((d) => [d.name.toLowerCase(), d.roleName]));
  }

  /** Adds an assignment at runtime, e.g. a test granting someone a role. */
  addAssignment(assignment: SeedRoleAssignment): void {
    this.assignments.push(structuredClone(assignment));
  }

  removeAssignment(name: string): boolean {
    const index = this.assignments.findIndex((a) => a.name.toLowerCase() === name.toLowerCase());
    if (index < 0) return false;
    this.assignments.splice(index, 1);
    return true;
  }

  /** Adds a role definition at runtime, e.g. a custom role a test assigns. */
  addRoleDefinition(definition: SeedRoleDefinition): void {
    this.definitions.push(structuredClone(definition));
  }

  /** Changes what a role allows, e.g. a test narrowing a custom role; false if there is no such role. */
  updateRoleDefinition(roleGuid: string, permissions: SeedRoleDefinition['permissions'], updatedOn: string): boolean {
    const found = this.definitions.find((d) => d.name.toLowerCase() === roleGuid.toLowerCase());
    if (!found) return false;
    found.permissions = structuredClone(permissions);
    found.updatedOn = updatedOn;
    return true;
  }

  addDenyAssignment(deny: SeedDenyAssignment): void {
    this.denials.push(structuredClone(deny));
  }

  removeDenyAssignment(name: string): boolean {
    const index = this.denials.findIndex((d) => d.name.toLowerCase() === name.toLowerCase());
    if (index < 0) return false;
    this.denials.splice(index, 1);
    return true;
  }

  /** Deny assignments at, above and below the scope; with atScope() at or above it only. */
  listDenyAssignments(scope: string, filter: string | null): Json[] {
    let atScopeOnly = false;
    if (filter !== null && filter.trim() !== '') {
      if (!/^atScope\(\s*\)$/i.test(filter.trim())) {
        throw new ArmError(400, 'UnsupportedQuery', `The filter '${filter}' is not supported; use atScope().`);
      }
      atScopeOnly = true;
    }
    return this.denials
      .filter((d) => isAtOrAbove(d.scope, scope) || (!atScopeOnly && isAtOrAbove(scope, d.scope)))
      .map((d) => ({
        properties: {
          denyAssignmentName: d.denyAssignmentName,
          description: d.description,
          permissions: structuredClone(d.permissions),
          scope: d.scope,
          doNotApplyToChildScopes: d.doNotApplyToChildScopes,
          principals: d.principals.map((p) => ({ ...p })),
          excludePrincipals: d.excludePrincipals.map((p) => ({ ...p })),
          isSystemProtected: true,
        },
        id: `${d.scope}/${PROVIDER}/denyAssignments/${d.name}`,
        type: 'Microsoft.Authorization/denyAssignments',
        name: d.name,
      }));
  }

  /** Checks a requested scope exists in the seeded world; returns it with a leading slash. */
  resolveScope(parsed: ParsedScope): string {
    if (parsed.kind === 'tenant') return '/';
    if (parsed.kind === 'managementGroup') {
      throw new ArmError(404, 'ManagementGroupNotFound', `The management group '${parsed.managementGroup}' could not be found; the simulator serves subscription scopes.`);
    }
    if (!this.scopes.knowsSubscription(parsed.subscriptionId!)) {
      throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${parsed.subscriptionId}' could not be found; check the scope.`);
    }
    if (parsed.resourceGroup !== undefined && !this.scopes.knowsResourceGroup(parsed.subscriptionId!, parsed.resourceGroup)) {
      throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${parsed.resourceGroup}' could not be found; check the scope.`);
    }
    return `/${parsed.path}`;
  }

  /** The principal plus every group it belongs to, directly or through other groups (lower case). */
  memberships(principalId: string): Set<string> {
    return this.identities(principalId, true);
  }

  /** The principal plus every group it belongs to, directly or through other groups. */
  private identities(principalId: string, includeGroups: boolean): Set<string> {
    const ids = new Set([principalId.toLowerCase()]);
    if (!includeGroups) return ids;
    const queue = [principalId.toLowerCase()];
    while (queue.length > 0) {
      const current = this.principals.get(queue.shift()!);
      for (const group of current?.memberOf ?? []) {
        const g = group.toLowerCase();
        if (!ids.has(g)) {
          ids.add(g);
          queue.push(g);
        }
      }
    }
    return ids;
  }

  listAssignments(scope: string, filter: AssignmentFilter): Json[] {
    const identities = filter.principalId !== undefined ? this.identities(filter.principalId, filter.includeGroups) : undefined;
    return this.assignments
      .filter((a) => isAtOrAbove(a.scope, scope) || (!filter.atScopeOnly && isAtOrAbove(scope, a.scope)))
      .filter((a) => !identities || identities.has(a.principalId.toLowerCase()))
      .map((a) => this.renderAssignment(a));
  }

  private renderAssignment(a: SeedRoleAssignment): Json {
    const principal = this.principals.get(a.principalId.toLowerCase());
    return {
      properties: {
        roleDefinitionId: roleDefinitionResourceId(a.scope, a.roleDefinitionName),
        principalId: a.principalId,
        principalType: principal?.type ?? 'User',
        scope: a.scope,
        condition: null,
        conditionVersion: null,
        createdOn: a.createdOn,
        updatedOn: a.createdOn,
        createdBy: null,
        updatedBy: null,
        delegatedManagedIdentityResourceId: null,
        description: null,
      },
      id: `${a.scope}/${PROVIDER}/roleAssignments/${a.name}`,
      type: 'Microsoft.Authorization/roleAssignments',
      name: a.name,
    };
  }

  private visibleDefinitions(scope: string): SeedRoleDefinition[] {
    return this.definitions.filter((d) => d.assignableScopes.some((s) => isAtOrAbove(s, scope)));
  }

  getRoleDefinition(scope: string, roleGuid: string): Json {
    if (!isGuid(roleGuid)) {
      throw new ArmError(400, 'InvalidRoleDefinitionId', `The role definition ID '${roleGuid}' is not valid; use the GUID of a role definition.`);
    }
    const found = this.visibleDefinitions(scope).find((d) => d.name.toLowerCase() === roleGuid.toLowerCase());
    if (!found) {
      throw new ArmError(404, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${roleGuid}' does not exist at scope '${scope}'.`);
    }
    return this.renderDefinition(scope, found);
  }

  listRoleDefinitions(scope: string, filter: string | null): Json[] {
    let roleName: string | undefined;
    if (filter !== null && filter.trim() !== '') {
      const m = filter.trim().match(/^roleName\s+eq\s+'([^']*)'$/i);
      if (!m) throw new ArmError(400, 'UnsupportedQuery', `The filter '${filter}' is not supported; use roleName eq '{name}'.`);
      roleName = m[1]!;
    }
    return this.visibleDefinitions(scope)
      .filter((d) => roleName === undefined || d.roleName.toLowerCase() === roleName.toLowerCase())
      .map((d) => this.renderDefinition(scope, d));
  }

  private renderDefinition(scope: string, d: SeedRoleDefinition): Json {
    return {
      properties: {
        roleName: d.roleName,
        type: d.type,
        description: d.description,
        assignableScopes: [...d.assignableScopes],
        permissions: structuredClone(d.permissions),
        createdOn: d.createdOn,
        updatedOn: d.updatedOn,
        createdBy: null,
        updatedBy: null,
      },
      id: roleDefinitionResourceId(scope, d.name),
      type: 'Microsoft.Authorization/roleDefinitions',
      name: d.name,
    };
  }
}
