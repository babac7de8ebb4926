// Pure authorization decisions over Azure RBAC data: may this person change PIM alerts on a scope?
// The bot acts under its own managed identity, so without this check anyone in the channel could
// borrow the bot's rights. The rule mirrors what the Azure portal lets a person do with PIM alerts:
// they need a role that permits Microsoft.Authorization/roleAssignments/write on the alert's scope
// (Owner, User Access Administrator, or a custom role granting it), and no deny assignment at or
// above the scope may block that action for them — as ARM evaluates it, a deny wins over any role.
//
// Whom a deny assignment names is matched against the person, All Principals, and the groups the
// bot knows the person belongs to: those through which they hold a role assignment visible at the
// scope (assignedTo() lists them). The bot reads no directory, so a deny assignment naming another
// group of theirs is missed (the bot may allow what ARM would refuse), and one that excludes
// another group of theirs still applies (the bot refuses what ARM would allow).
import type { DenyAssignment, RolePermission, RoleAssignment, RoleDefinition } from '../azure/api';

export const ROLE_ASSIGNMENTS_WRITE = 'Microsoft.Authorization/roleAssignments/write';
/** The principal id of All Principals (type SystemDefined, formerly Everyone) in deny assignments. */
export const ALL_PRINCIPALS = '00000000-0000-0000-0000-000000000000';

/**
 * Management group name → the subscription ids and management group names below it, at any depth
 * (as ARM's managementGroups/{id}/descendants lists them). Without it an assignment on a
 * management group is only known to cover that management group itself.
 */
export type ManagementGroupDescendants = ReadonlyMap<string, readonly string[]>;

export interface Decision {
  allowed: boolean;
  /** One sentence for the person: which role allowed it, or what they lack. */
  reason: string;
  via?: { roleName: string; scope: string; principalType?: string };
  /** Set when a role would allow it but a deny assignment refuses. */
  deniedBy?: { name: string; scope: string };
}

export interface DecideInput {
  /** The person's assignments as ARM lists them with assignedTo(): direct ones and their groups'. */
  assignments: readonly RoleAssignment[];
  /** Role definitions by id (full resource id as in the assignments; GUID-only ids also match). */
  definitions: ReadonlyMap<string, RoleDefinition>;
  targetScope: string;
  /** The person's Entra object id. */
  principalId: string;
  /** Milliseconds since the epoch: assignments with a start/end window outside it do not count. */
  now: number;
  descendants?: ManagementGroupDescendants;
  action?: string;
  /** Deny assignments at or above the target scope (as listed with atScope()). */
  denyAssignments?: readonly DenyAssignment[];
}

/**
 * ARM action wildcard match: `*` matches any run of characters (including `/`) wherever it stands,
 * and comparison ignores case. Written as a linear-backtracking glob rather than a RegExp so that a
 * pattern with many stars cannot make matching explode.
 */
export function actionMatches(pattern: string, action: string): boolean {
  const p = pattern.toLowerCase();
  const s = action.toLowerCase();
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (j < s.length) {
    if (i < p.length && p[i] === '*') {
      star = i++;
      mark = j;
    } else if (i < p.length && p[i] === s[j]) {
      i++;
      j++;
    } else if (star !== -1) {
      i = star + 1;
      j = ++mark;
    } else {
      return false;
    }
  }
  while (i < p.length && p[i] === '*') i++;
  return i === p.length;
}

/**
 * True if the role definition grants the control-plane action. A block allows an action that
 * matches one of its `actions` and none of ITS OWN `notActions` (a notAction subtracts only from
 * its block, as ARM computes effective permissions); any allowing block is enough. Data actions
 * never grant control-plane actions, so they are ignored.
 */
export function permits(definition: RoleDefinition, action: string = ROLE_ASSIGNMENTS_WRITE): boolean {
  return blocksCover(definition.properties?.permissions, action);
}

/** The permission blocks of a role or a deny assignment cover the action (see permits). */
function blocksCover(permissions: readonly RolePermission[] | undefined, action: string): boolean {
  const blocks: readonly RolePermission[] = Array.isArray(permissions) ? permissions : [];
  return blocks.some((block) => {
    if (!block || typeof block !== 'object') return false;
    const actions: readonly unknown[] = Array.isArray(block.actions) ? block.actions : [];
    const notActions: readonly unknown[] = Array.isArray(block.notActions) ? block.notActions : [];
    return (
      actions.some((a) => typeof a === 'string' && actionMatches(a, action)) &&
      !notActions.some((n) => typeof n === 'string' && actionMatches(n, action))
    );
  });
}

/** Scope without leading/trailing slashes, as the rest of the bot writes it; the root is ''. */
export function normaliseScope(scope: string): string {
  return scope.trim().replace(/^\/+/, '').replace(/\/+$/, '');
}

/** How a scope is shown to a person: normalised, with the root shown as `/`. */
export function displayScope(scope: string): string {
  const s = normaliseScope(scope);
  return s === '' ? '/' : s;
}

const MANAGEMENT_GROUP = /^providers\/microsoft\.management\/managementgroups\/([^/]+)$/;
const MANAGEMENT_GROUP_ROOTED = /^providers\/microsoft\.management\/managementgroups\/([^/]+)(?:\/|$)/;
const SUBSCRIPTION_ROOTED = /^subscriptions\/([^/]+)(?:\/|$)/;

/**
 * True if an assignment at `assignmentScope` applies at `targetScope`. ARM inherits assignments
 * downwards: the root covers everything, a subscription covers its resource groups and resources,
 * a resource group covers its resources but not its subscription or sibling groups. What lies
 * below a management group is not visible in the scope string, so a management group assignment
 * covers other scopes only through the optional `descendants` map.
 */
export function scopeCovers(assignmentScope: string, targetScope: string, descendants?: ManagementGroupDescendants): boolean {
  const a = normaliseScope(assignmentScope).toLowerCase();
  const t = normaliseScope(targetScope).toLowerCase();
  if (a === '') return true;
  if (t === a || t.startsWith(`${a}/`)) return true;
  const mg = MANAGEMENT_GROUP.exec(a)?.[1];
  if (mg === undefined || descendants === undefined) return false;
  const below = lookupInsensitive(descendants, mg);
  if (below === undefined) return false;
  const targetRoot = SUBSCRIPTION_ROOTED.exec(t)?.[1] ?? MANAGEMENT_GROUP_ROOTED.exec(t)?.[1];
  if (targetRoot === undefined) return false;
  return below.some((d) => normaliseScope(d).toLowerCase() === targetRoot);
}

/**
 * What a role assignment list says about management groups. The list is made at the target scope
 * and ARM answers with the assignments at, above and below it; a management group is never below a
 * subscription or resource group, so every management group assignment in that answer is an
 * ancestor of the target, and its rights are inherited there (as the portal shows them). For a
 * management group target nothing is inferred: the answer also holds child groups' assignments.
 */
export function inheritedManagementGroups(assignments: readonly RoleAssignment[], targetScope: string, known?: ManagementGroupDescendants): ManagementGroupDescendants {
  const subscription = SUBSCRIPTION_ROOTED.exec(normaliseScope(targetScope).toLowerCase())?.[1];
  const out = new Map<string, readonly string[]>(known ?? []);
  if (subscription === undefined) return out;
  for (const a of assignments) {
    const scope = a?.properties?.scope;
    if (typeof scope !== 'string') continue;
    const mg = MANAGEMENT_GROUP.exec(normaliseScope(scope).toLowerCase())?.[1];
    if (mg === undefined) continue;
    const key = [...out.keys()].find((k) => k.toLowerCase() === mg) ?? mg;
    out.set(key, [...(out.get(key) ?? []), subscription]);
  }
  return out;
}

function lookupInsensitive<V>(map: ReadonlyMap<string, V>, key: string): V | undefined {
  const exact = map.get(key);
  if (exact !== undefined) return exact;
  for (const [k, v] of map) if (k.toLowerCase() === key.toLowerCase()) return v;
  return undefined;
}

/** Role definitions are found by full id, and by their GUID because built-in roles carry the same
 *  GUID under every subscription prefix. */
function definitionIndex(definitions: ReadonlyMap<string, RoleDefinition>): (id: string) => RoleDefinition | undefined {
  const byId = new Map<string, RoleDefinition>();
  const byGuid = new Map<string, RoleDefinition>();
  for (const [key, def] of definitions) {
    byId.set(key.toLowerCase(), def);
    if (typeof def.id === 'string') byId.set(def.id.toLowerCase(), def);
    const guid = lastSegment(typeof def.id === 'string' ? def.id : key);
    if (guid) byGuid.set(guid, def);
    if (typeof def.name === 'string' && def.name) byGuid.set(def.name.toLowerCase(), def);
  }
  return (id) => byId.get(id.toLowerCase()) ?? byGuid.get(lastSegment(id));
}

function lastSegment(id: string): string {
  const parts = id.toLowerCase().split('/').filter(Boolean);
  return parts[parts.length - 1] ?? '';
}

function isGroup(a: RoleAssignment): boolean {
  return (a.properties.principalType ?? '').toLowerCase() === 'group';
}

/** A condition narrows what an assignment grants (typically: which roles may be assigned to whom).
 *  The bot cannot evaluate it for "manage PIM alerts", so a conditioned assignment never grants. */
function hasCondition(a: RoleAssignment): boolean {
  const c = a.properties.condition;
  return typeof c === 'string' && c.trim() !== '';
}

/** PIM schedule instances carry start/end times; plain role assignments do not (always active). */
function activeAt(a: RoleAssignment, now: number): boolean {
  const start = parseTime(a.properties['startDateTime']);
  const end = parseTime(a.properties['endDateTime']);
  if (start !== undefined && now < start) return false;
  if (end !== undefined && now >= end) return false;
  return true;
}

function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Only the person's own assignments and those of groups count: assignedTo() returns both, and a
 * stray assignment of someone else (a different user or service principal) must never grant.
 */
function belongsToPerson(a: RoleAssignment, principalId: string): boolean {
  return isGroup(a) || (a.properties.principalId ?? '').toLowerCase() === principalId.toLowerCase();
}

/** "A", "A and B", "A, B and C". */
export function joinNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function sameId(a: unknown, b: string): boolean {
  return typeof a === 'string' && a.trim().toLowerCase() === b.toLowerCase();
}

/**
 * The deny assignment that blocks the action for this person at the target scope, if any: one at
 * or above the scope (at it only, with doNotApplyToChildScopes), whose permissions cover the
 * action (wildcards as in actionMatches, minus the block's notActions), naming the person, one of
 * `groupIds` or All Principals, and excluding none of them. A condition on a deny assignment cannot
 * be evaluated here, so a conditioned one is taken to apply: the bot refuses rather than guess.
 */
export function denyingAssignment(input: {
  denyAssignments: readonly DenyAssignment[];
  targetScope: string;
  principalId: string;
  groupIds: readonly string[];
  action?: string;
  descendants?: ManagementGroupDescendants;
}): { name: string; scope: string } | undefined {
  const action = input.action ?? ROLE_ASSIGNMENTS_WRITE;
  const target = normaliseScope(input.targetScope).toLowerCase();
  const ids = [input.principalId, ...input.groupIds];
  for (const d of input.denyAssignments) {
    const p = d?.properties;
    if (!p || typeof p.scope !== 'string') continue;
    if (!scopeCovers(p.scope, input.targetScope, input.descendants)) continue;
    if (p.doNotApplyToChildScopes === true && normaliseScope(p.scope).toLowerCase() !== target) continue;
    if (!blocksCover(p.permissions, action)) continue;
    const principals = Array.isArray(p.principals) ? p.principals : [];
    if (!principals.some((x) => sameId(x?.id, ALL_PRINCIPALS) || ids.some((id) => sameId(x?.id, id)))) continue;
    const excluded = Array.isArray(p.excludePrincipals) ? p.excludePrincipals : [];
    if (excluded.some((x) => ids.some((id) => sameId(x?.id, id)))) continue;
    const name = (typeof p.denyAssignmentName === 'string' && p.denyAssignmentName.trim()) || (typeof d.name === 'string' ? d.name : 'unnamed');
    return { name: name.length > 120 ? `${name.slice(0, 119)}…` : name, scope: displayScope(p.scope) };
  }
  return undefined;
}

export function decide(input: DecideInput): Decision {
  const action = input.action ?? ROLE_ASSIGNMENTS_WRITE;
  const target = displayScope(input.targetScope);
  const find = definitionIndex(input.definitions);

  let grant: { roleName: string; scope: string; principalType?: string; group: boolean } | undefined;
  const held: string[] = [];
  const conditioned: string[] = [];

  for (const a of input.assignments) {
    if (!a || typeof a !== 'object' || !a.properties) continue;
    const p = a.properties;
    if (typeof p.scope !== 'string' || typeof p.roleDefinitionId !== 'string') continue;
    if (!belongsToPerson(a, input.principalId)) continue;
    if (!activeAt(a, input.now)) continue;
    if (!scopeCovers(p.scope, input.targetScope, input.descendants)) continue;

    const def = find(p.roleDefinitionId);
    const roleName = def?.properties?.roleName ?? (def ? def.name : `an unknown role (${lastSegment(p.roleDefinitionId)})`);
    if (!held.includes(roleName)) held.push(roleName);
    if (!def || !permits(def, action)) continue;
    if (hasCondition(a)) {
      if (!conditioned.includes(roleName)) conditioned.push(roleName);
      continue;
    }
    const group = isGroup(a);
    // A direct assignment explains the decision better than one through a group.
    if (!grant || (grant.group && !group)) {
      grant = { roleName, scope: displayScope(p.scope), principalType: p.principalType, group };
    }
  }

  if (grant) {
    const via: Decision['via'] = { roleName: grant.roleName, scope: grant.scope };
    if (grant.principalType !== undefined) via.principalType = grant.principalType;
    const groupIds = input.assignments.filter((a) => a?.properties && isGroup(a) && typeof a.properties.principalId === 'string').map((a) => a.properties.principalId);
    const denied = denyingAssignment({ denyAssignments: input.denyAssignments ?? [], targetScope: input.targetScope, principalId: input.principalId, groupIds, action, descendants: input.descendants });
    if (denied) {
      return {
        allowed: false,
        reason: `The deny assignment "${denied.name}" at ${denied.scope} blocks this for you, and a deny outweighs your ${grant.roleName} role.`,
        via,
        deniedBy: denied,
      };
    }
    return { allowed: true, reason: `Allowed: ${grant.roleName} at ${grant.scope}${grant.group ? ' (through group)' : ''}.`, via };
  }

  const need =
    action.toLowerCase() === ROLE_ASSIGNMENTS_WRITE.toLowerCase()
      ? `You need Owner or User Access Administrator on ${target}`
      : `You need a role that allows ${action} on ${target}`;
  const have = held.length === 0 ? 'you have no role there' : `you have ${joinNames(held)} there`;
  const cond =
    conditioned.length === 0
      ? ''
      : `, and your ${joinNames(conditioned)} assignment${conditioned.length > 1 ? 's have' : ' has'} a condition, which this bot treats as not enough`;
  return { allowed: false, reason: `${need}; ${have}${cond}.` };
}
