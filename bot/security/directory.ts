// Pure authorization decisions for the Entra ID directory: may this person change the directory's
// PIM alerts? The rule mirrors Entra: managing PIM alerts for directory roles needs an active,
// tenant-wide assignment of Privileged Role Administrator or Global Administrator, held directly or
// through a role-assignable group. Role ids are the built-in roles' template ids (which is what a
// built-in role's roleDefinitionId is in Graph), from Microsoft's Entra permissions reference.
import type { DirectoryRoleAssignment } from '../azure/api';
import { joinNames, type Decision } from './rbac';

export const GLOBAL_ADMINISTRATOR = '62e90394-69f5-4237-9190-012177145e10';
export const PRIVILEGED_ROLE_ADMINISTRATOR = 'e8611ab8-c189-46e8-94e1-60213ab1f814';

/** Roles that may manage PIM alerts of directory roles, by template id. */
export const DIRECTORY_ALERT_MANAGERS: ReadonlyMap<string, string> = new Map([
  [PRIVILEGED_ROLE_ADMINISTRATOR, 'Privileged Role Administrator'],
  [GLOBAL_ADMINISTRATOR, 'Global Administrator'],
]);

/** Other roles named in a refusal so people see what they hold (read-only roles for PIM alerts). */
const OTHER_ROLE_NAMES: ReadonlyMap<string, string> = new Map([
  ['f2ef992c-3afb-46b9-b7cf-a126ee74c451', 'Global Reader'],
  ['194ae4cb-b126-40b2-bd5b-6091b380977d', 'Security Administrator'],
  ['5d6b6bb7-de71-4623-b4af-96380a352509', 'Security Reader'],
  ['fe930be7-5e62-47db-91af-98c3a49a38b1', 'User Administrator'],
  ['729827e3-9c14-49f7-bb1b-9608f156bbb8', 'Helpdesk Administrator'],
]);

/** The directory scope of a tenant-wide assignment. */
const TENANT_WIDE = '/';

export interface DirectoryDecideInput {
  /** The person's transitive role assignments, as Graph lists them for principalId eq '{id}'. */
  assignments: readonly DirectoryRoleAssignment[];
  /** The person's Entra object id. */
  principalId: string;
}

function roleName(id: string): string {
  const key = id.toLowerCase();
  return DIRECTORY_ALERT_MANAGERS.get(key) ?? OTHER_ROLE_NAMES.get(key) ?? `a directory role (${key})`;
}

export function decideDirectory(input: DirectoryDecideInput): Decision {
  const person = input.principalId.toLowerCase();
  let grant: { roleName: string; group: boolean } | undefined;
  const held: string[] = [];
  const narrow: string[] = [];
  for (const a of input.assignments) {
    if (!a || typeof a.roleDefinitionId !== 'string' || typeof a.directoryScopeId !== 'string' || typeof a.principalId !== 'string') continue;
    const name = roleName(a.roleDefinitionId);
    if (a.directoryScopeId !== TENANT_WIDE) {
      // An administrative unit or a single object: not the tenant's PIM alerts.
      if (DIRECTORY_ALERT_MANAGERS.has(a.roleDefinitionId.toLowerCase()) && !narrow.includes(name)) narrow.push(name);
      continue;
    }
    if (!held.includes(name)) held.push(name);
    if (!DIRECTORY_ALERT_MANAGERS.has(a.roleDefinitionId.toLowerCase())) continue;
    // Graph lists a group's assignment under the group's id: a row that is not the person's own came through a group.
    const group = a.principalId.toLowerCase() !== person;
    if (!grant || (grant.group && !group)) grant = { roleName: name, group };
  }
  if (grant) {
    return {
      allowed: true,
      reason: `Allowed: ${grant.roleName} in the directory${grant.group ? ' (through a group)' : ''}.`,
      via: { roleName: grant.roleName, scope: 'directory', ...(grant.group ? { principalType: 'Group' } : {}) },
    };
  }
  const have = held.length === 0 ? 'you have no active directory role' : `you have ${joinNames(held)}`;
  const scoped = narrow.length === 0 ? '' : `, and ${joinNames(narrow)} only on part of the directory, which is not enough`;
  return {
    allowed: false,
    reason: `You need an active Privileged Role Administrator or Global Administrator assignment for the whole directory; ${have}${scoped}.`,
  };
}
