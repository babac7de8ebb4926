// Who may press the buttons that make the bot write to Azure. The bot's managed identity holds the
// rights; this decides, per person and scope, whether to lend them. Three modes:
//   rbac      — the person's own rights on the scope (production): Azure RBAC on an Azure scope,
//               read through RbacApi (their role assignments, those roles' definitions and the
//               deny assignments at or above the scope); active Entra directory roles on the
//               `directory` scope, read from Microsoft Graph through DirectoryRolesApi. Every read
//               is cached for the same time (PIM_AUTHZ_CACHE_SECONDS), so a role narrowed or a
//               deny assignment added takes effect within that time;
//   allowlist — a fixed list of Entra object ids (PIM_OPERATORS), for tenants that cannot grant
//               the bot Reader on role assignments;
//   everyone  — no check, for a local run against the simulator only.
import type { DenyAssignment, DirectoryRolesApi, RbacApi, RoleAssignment, RoleDefinition } from '../azure/api';
import { isDirectoryScope } from '../azure/validate';
import { systemClock, type Clock } from './clock';
import { decideDirectory } from './directory';
import { decide, displayScope, inheritedManagementGroups, normaliseScope, scopeCovers, ROLE_ASSIGNMENTS_WRITE, type Decision, type ManagementGroupDescendants } from './rbac';

export type { Decision } from './rbac';

export type AuthorizationMode = 'rbac' | 'allowlist' | 'everyone';

export interface Person {
  /** Entra object id (Teams `from.aadObjectId`). */
  objectId?: string;
  name?: string;
  tenantId?: string;
}

export interface AuthorizerOptions {
  mode: AuthorizationMode;
  /** Required in 'rbac' mode. */
  rbac?: RbacApi;
  /** Required in 'rbac' mode when the directory scope is watched. */
  directory?: DirectoryRolesApi;
  /** Object ids allowed in 'allowlist' mode (see parseOperators for PIM_OPERATORS). */
  operators?: readonly string[];
  /**
   * How long an RBAC read is reused: a decision for the same person and scope, a role definition,
   * the deny assignments of a scope. Default 5 minutes; 0 reads Azure on every click.
   */
  cacheTtlMs?: number;
  clock?: Clock;
  descendants?: ManagementGroupDescendants;
  /** The control-plane action a person must hold; default roleAssignments/write. */
  action?: string;
}

export interface Authorizer {
  readonly mode: AuthorizationMode;
  canAct(person: Person, scope: string): Promise<Decision>;
  /** Drops cached decisions, e.g. after someone says their rights just changed. */
  clearCache(): void;
}

export const DEFAULT_CACHE_TTL_MS = 5 * 60 * 1000;

const NO_OBJECT_ID: Decision = {
  allowed: false,
  reason: 'I could not tell who you are because Teams did not send your Microsoft Entra object id, so I cannot let you change anything.',
};

/** Parses PIM_OPERATORS: object ids separated by commas, semicolons or whitespace. */
export function parseOperators(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(/[\s,;]+/)
    .map(normaliseGuid)
    .filter((s) => s !== '');
}

function normaliseGuid(id: string): string {
  return id.trim().replace(/^\{|\}$/g, '').toLowerCase();
}

/** True if a request from this tenant may be served; an unknown tenant passes only with 'any'. */
export function tenantAllowed(tenantId: string | undefined, allowed: readonly string[] | 'any'): boolean {
  if (allowed === 'any') return true;
  if (!tenantId) return false;
  const t = normaliseGuid(tenantId);
  return allowed.some((a) => normaliseGuid(a) === t);
}

export function createAuthorizer(opts: AuthorizerOptions): Authorizer {
  const clock = opts.clock ?? systemClock;
  switch (opts.mode) {
    case 'everyone':
      return {
        mode: 'everyone',
        async canAct(person) {
          if (!person.objectId) return NO_OBJECT_ID;
          return { allowed: true, reason: 'Allowed: this bot is set up for a local run, where everyone may act.' };
        },
        clearCache() {},
      };
    case 'allowlist': {
      const operators = new Set((opts.operators ?? []).map(normaliseGuid).filter(Boolean));
      return {
        mode: 'allowlist',
        async canAct(person) {
          if (!person.objectId) return NO_OBJECT_ID;
          if (operators.has(normaliseGuid(person.objectId))) {
            return { allowed: true, reason: 'Allowed: you are listed in PIM_OPERATORS.' };
          }
          return {
            allowed: false,
            reason: `Only the people listed in PIM_OPERATORS may do this; ask the bot's administrator to add your object id ${person.objectId}.`,
          };
        },
        clearCache() {},
      };
    }
    case 'rbac': {
      if (!opts.rbac) throw new Error("The authorizer's rbac mode needs an RbacApi; pass one or choose the allowlist mode.");
      return createRbacAuthorizer(opts.rbac, opts, clock);
    }
    default: {
      const mode: never = opts.mode;
      throw new Error(`Unknown authorization mode "${String(mode)}"; use rbac, allowlist or everyone.`);
    }
  }
}

interface Cached<T> {
  value: T;
  until: number;
}

function createRbacAuthorizer(rbac: RbacApi, opts: AuthorizerOptions, clock: Clock): Authorizer {
  const ttl = opts.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
  const action = opts.action ?? ROLE_ASSIGNMENTS_WRITE;
  const decisions = new Map<string, Cached<Decision>>();
  // Two clicks at once by the same person share one RBAC read.
  const inflight = new Map<string, Promise<Decision>>();
  const definitions = new Map<string, Cached<Promise<RoleDefinition>>>();
  const denials = new Map<string, Cached<Promise<DenyAssignment[]>>>();

  /** A read shared until the TTL runs out; a failed read is forgotten so the next click tries again. */
  function cached<T>(map: Map<string, Cached<Promise<T>>>, key: string, read: () => Promise<T>): Cached<Promise<T>> {
    const hit = map.get(key);
    if (hit && hit.until > clock.now()) return hit;
    const p = read();
    const entry = { value: p, until: clock.now() + ttl };
    map.set(key, entry);
    p.catch(() => {
      if (map.get(key)?.value === p) map.delete(key);
    });
    return entry;
  }

  async function evaluateDirectory(objectId: string): Promise<Decision> {
    if (!opts.directory) throw new Error('the bot was not given a way to read directory roles');
    return decideDirectory({ assignments: await opts.directory.listTransitiveRoleAssignments(objectId), principalId: objectId });
  }

  /**
   * The decision and how long it may be reused: no longer than the oldest cached read it rests
   * on, so a change in Azure shows within one TTL of being read, not two.
   */
  async function evaluate(objectId: string, scope: string): Promise<{ decision: Decision; until?: number }> {
    try {
      let until = clock.now() + ttl;
      if (isDirectoryScope(scope)) return { decision: await evaluateDirectory(objectId), until };
      // Deny assignments are per scope, not per person: one read serves everyone clicking there.
      const denyRead = cached(denials, scope.toLowerCase(), () => rbac.listDenyAssignments(scope));
      denyRead.value.catch(() => undefined); // awaited below; a failure is answered there
      until = Math.min(until, denyRead.until);
      const assignments: RoleAssignment[] = await rbac.listRoleAssignmentsForPrincipal(scope, objectId);
      const descendants = inheritedManagementGroups(assignments, scope, opts.descendants);
      // Only the definitions that could matter are read: those of assignments covering the scope.
      const ids = new Set<string>();
      for (const a of assignments) {
        const p = a?.properties;
        if (p && typeof p.scope === 'string' && typeof p.roleDefinitionId === 'string' && scopeCovers(p.scope, scope, descendants)) {
          ids.add(p.roleDefinitionId);
        }
      }
      const defs = new Map<string, RoleDefinition>();
      await Promise.all(
        [...ids].map(async (id) => {
          const read = cached(definitions, id.toLowerCase(), () => rbac.getRoleDefinition(id));
          until = Math.min(until, read.until);
          defs.set(id, await read.value);
        }),
      );
      const denyAssignments = await denyRead.value;
      const decision = decide({ assignments, definitions: defs, targetScope: scope, principalId: objectId, now: clock.now(), descendants, action, denyAssignments });
      return { decision, until };
    } catch (err) {
      // Not cached: the next click reads again.
      return { decision: { allowed: false, reason: `I could not check your rights on ${displayScope(scope)} (${describe(err)}); try again in a minute.` } };
    }
  }

  return {
    mode: 'rbac',
    async canAct(person, rawScope) {
      if (!person.objectId) return NO_OBJECT_ID;
      const scope = normaliseScope(rawScope);
      const key = `${normaliseGuid(person.tenantId ?? '')}|${normaliseGuid(person.objectId)}|${scope.toLowerCase()}`;
      const hit = decisions.get(key);
      if (hit) {
        if (hit.until > clock.now()) return hit.value;
        decisions.delete(key);
      }
      const running = inflight.get(key);
      if (running) return running;
      const objectId = person.objectId;
      const p = evaluate(objectId, scope).then(({ decision, until }) => {
        if (until !== undefined) decisions.set(key, { value: decision, until });
        return decision;
      });
      inflight.set(key, p);
      try {
        return await p;
      } finally {
        inflight.delete(key);
      }
    },
    clearCache() {
      decisions.clear();
      definitions.clear();
      denials.clear();
    },
  };
}

/** A short, token-free description of why the RBAC read failed, for the person's reply. */
function describe(err: unknown): string {
  const raw = err instanceof Error ? err.message : typeof err === 'string' ? err : 'unknown error';
  const oneLine = raw.replace(/\s+/g, ' ').trim().replace(/[.;]+$/, '');
  const short = oneLine.length > 160 ? `${oneLine.slice(0, 157)}...` : oneLine;
  return short === '' ? 'unknown error' : short;
}
