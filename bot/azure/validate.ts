// Input checks that run before any request is built. Scopes and ids come from chat messages and
// card actions, so they are untrusted: only the exact shapes ARM and Microsoft Graph use for PIM
// alerts are accepted, which rules out path traversal, query/fragment injection and encoded variants
// of both by construction rather than by a list of bad patterns.
import { PimErrorCode, PimValidationError } from './errors';
import { serviceInfo, type ServiceKind } from './service';

export { PimValidationError } from './errors';

export type ScopeKind = 'subscription' | 'resourceGroup' | 'managementGroup' | 'directory';

/**
 * The one scope key of the Entra ID directory: the tenant's directory-role PIM alerts, served by
 * Microsoft Graph (scopeId '/', scopeType 'DirectoryRole'). Every other scope is an ARM scope.
 */
export const DIRECTORY_SCOPE = 'directory';

/** True for the directory scope (any case, with or without a leading slash). */
export function isDirectoryScope(scope: string): boolean {
  return typeof scope === 'string' && scope.replace(/^\//, '').toLowerCase() === DIRECTORY_SCOPE;
}

export interface ParsedScope {
  kind: ScopeKind;
  /** Canonical form, no leading slash: `subscriptions/<guid>[/resourceGroups/<name>]`, `providers/Microsoft.Management/managementGroups/<id>` or `directory`. */
  scope: string;
  subscriptionId?: string;
  resourceGroup?: string;
  managementGroupId?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// ARM resource group names: 1-90 of letters, digits, _ - . ( ), not ending in a period. ARM also
// accepts non-ASCII letters and digits, so \p{L}/\p{N} rather than A-Z.
const RESOURCE_GROUP = /^[\p{L}\p{N}_\-.()]{1,90}$/u;
// Management group ids: 1-90 of letters, digits, - _ ( ) ., not ending in a period.
const MANAGEMENT_GROUP = /^[A-Za-z0-9_\-.()]{1,90}$/;
const PLAIN_ID = /^[A-Za-z0-9_.-]+$/;
export const MAX_ID_LENGTH = 128;

const SCOPE_FORMS =
  'use subscriptions/<subscription-id>, subscriptions/<subscription-id>/resourceGroups/<name>, providers/Microsoft.Management/managementGroups/<id> or directory (Entra ID directory roles)';

/** Quotes user input for an error message without letting control characters or huge strings through. */
function quote(input: unknown): string {
  const s = typeof input === 'string' ? input : String(input);
  const cut = s.length > 80 ? `${s.slice(0, 77)}…` : s;
  return JSON.stringify(cut);
}

function badScope(input: unknown, why: string): PimValidationError {
  return new PimValidationError(PimErrorCode.InvalidScope, `The scope ${quote(input)} ${why}: ${SCOPE_FORMS}.`);
}

/**
 * Parses a scope as typed by a person or stored in config. Accepts it with or without a leading
 * slash and with any casing of the fixed segment names; returns the canonical form (segment names
 * in ARM casing, subscription id in lower case, no leading slash).
 */
export function parseScope(input: string): ParsedScope {
  if (typeof input !== 'string' || input.length === 0) throw badScope(input ?? '', 'is empty');
  if (input.length > 300) throw badScope(input, 'is too long');
  const body = input.startsWith('/') ? input.slice(1) : input;
  if (body.toLowerCase() === DIRECTORY_SCOPE) return { kind: 'directory', scope: DIRECTORY_SCOPE };
  const parts = body.split('/');
  const seg = (i: number) => parts[i] ?? '';

  if (seg(0).toLowerCase() === 'subscriptions') {
    if (parts.length !== 2 && parts.length !== 4) throw badScope(input, 'is not a subscription or resource group');
    const sub = seg(1);
    if (!GUID.test(sub)) throw badScope(input, 'does not name the subscription by its GUID');
    const subscriptionId = sub.toLowerCase();
    if (parts.length === 2) return { kind: 'subscription', scope: `subscriptions/${subscriptionId}`, subscriptionId };
    if (seg(2).toLowerCase() !== 'resourcegroups') throw badScope(input, 'is not a subscription or resource group');
    const rg = seg(3);
    if (!RESOURCE_GROUP.test(rg) || rg.endsWith('.')) throw badScope(input, 'has a resource group name ARM would not accept');
    return { kind: 'resourceGroup', scope: `subscriptions/${subscriptionId}/resourceGroups/${rg}`, subscriptionId, resourceGroup: rg };
  }

  if (seg(0).toLowerCase() === 'providers') {
    if (parts.length !== 4 || seg(1).toLowerCase() !== 'microsoft.management' || seg(2).toLowerCase() !== 'managementgroups') {
      throw badScope(input, 'is not a management group');
    }
    const mg = seg(3);
    if (!MANAGEMENT_GROUP.test(mg) || mg.endsWith('.')) throw badScope(input, 'has a management group id ARM would not accept');
    return { kind: 'managementGroup', scope: `providers/Microsoft.Management/managementGroups/${mg}`, managementGroupId: mg };
  }

  throw badScope(input, 'is not one this bot understands');
}

/** Canonical scope without a leading slash; throws PimValidationError (InvalidScope) otherwise. */
export function normalizeScope(input: string): string {
  return parseScope(input).scope;
}

/** An ARM scope (not the directory, which Microsoft Graph serves); canonical, no leading slash. */
export function normalizeArmScope(input: string): string {
  const parsed = parseScope(input);
  if (parsed.kind === 'directory') {
    throw new PimValidationError(PimErrorCode.InvalidScope, 'The directory scope is served by Microsoft Graph, not Azure Resource Manager: send it to the Graph client.');
  }
  return parsed.scope;
}

export type IdKind = 'alert' | 'incident' | 'operation' | 'alertDefinition';

const ID_LABEL: Record<IdKind, string> = {
  alert: 'alert id',
  incident: 'incident id',
  operation: 'operation id',
  alertDefinition: 'alert definition id',
};

/**
 * Accepts only a plain identifier (letters, digits, `-`, `_`, `.`; never `.` or `..` sequences;
 * at most 128 characters) and returns it unchanged. Anything URL-ish — `/`, `\`, `?`, `#`, `%`
 * escapes, whitespace, control characters — is refused, so an id can never reshape the request path.
 */
export function validateId(kind: IdKind, id: string): string {
  const label = ID_LABEL[kind];
  const fail = (why: string) =>
    new PimValidationError(
      PimErrorCode.InvalidId,
      `The ${label} ${quote(id ?? '')} ${why}: use the plain id (letters, digits, '-', '_' or '.', up to ${MAX_ID_LENGTH} characters), not a path or URL.`,
    );
  if (typeof id !== 'string' || id.length === 0) throw fail('is empty');
  if (id.length > MAX_ID_LENGTH) throw fail('is too long');
  if (!PLAIN_ID.test(id)) throw fail('contains characters that are not allowed');
  if (id === '.' || id.includes('..')) throw fail('contains a relative path segment');
  return id;
}

// Graph's directory-role alert ids (= definition and configuration ids): DirectoryRole_{tenantId}_{AlertName}.
const DIRECTORY_ALERT_ID = /^DirectoryRole_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}_[A-Za-z0-9]{1,80}$/i;
// Graph operation ids are opaque (a GUID-like id, or `refresh:DirectoryRole_…`): plain characters and ':' only.
const GRAPH_OPERATION_ID = /^[A-Za-z0-9_.:-]{1,200}$/;

/** A Microsoft Graph directory-role alert id, `DirectoryRole_{tenantId}_{AlertName}`, returned unchanged. */
export function validateDirectoryAlertId(id: string): string {
  if (typeof id !== 'string' || !DIRECTORY_ALERT_ID.test(id)) {
    throw new PimValidationError(
      PimErrorCode.InvalidId,
      `The directory alert id ${quote(id ?? '')} is not one Microsoft Graph issues: use DirectoryRole_<tenant id>_<alert name>, as the alert card shows it.`,
    );
  }
  return id;
}

/** A Microsoft Graph operation id (opaque, may contain ':'), returned unchanged. */
export function validateGraphOperationId(id: string): string {
  if (typeof id !== 'string' || !GRAPH_OPERATION_ID.test(id) || id.includes('..')) {
    throw new PimValidationError(PimErrorCode.InvalidId, `The operation id ${quote(id ?? '')} is not one Microsoft Graph issues: follow the refresh's Location instead.`);
  }
  return id;
}

/** A GUID such as a principal object id; returned in lower case. */
export function validateGuid(label: string, value: string): string {
  if (typeof value !== 'string' || !GUID.test(value)) {
    throw new PimValidationError(PimErrorCode.InvalidId, `The ${label} ${quote(value ?? '')} is not a GUID: use the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.`);
  }
  return value.toLowerCase();
}

/**
 * Whether `ancestor` is the same scope as `descendant` or contains it, judged from the ids alone.
 *
 * A subscription contains itself and its resource groups; a resource group contains itself. A
 * management group contains only itself here: which subscriptions and child groups sit under a
 * management group is not encoded in their ids (it needs a Microsoft.Management lookup), so this
 * function never claims it. Callers authorising a person must treat `false` as "not known to be
 * contained", not as "known to be outside". Names compare case-insensitively, as ARM does.
 * Invalid scopes are never contained in anything.
 */
export function scopeContains(ancestor: string, descendant: string): boolean {
  let a: ParsedScope;
  let d: ParsedScope;
  try {
    a = parseScope(ancestor);
    d = parseScope(descendant);
  } catch {
    return false;
  }
  const as = a.scope.toLowerCase();
  const ds = d.scope.toLowerCase();
  // The directory and the Azure resource hierarchy are separate worlds: neither contains the other.
  if (a.kind === 'directory' || d.kind === 'directory') return a.kind === d.kind;
  if (a.kind === 'managementGroup') return d.kind === 'managementGroup' && as === ds;
  if (a.kind === 'resourceGroup') return as === ds;
  // subscription
  return d.kind !== 'managementGroup' && (ds === as || ds.startsWith(`${as}/`));
}

export interface ArmEndpoint {
  /** e.g. https://management.azure.com or https://graph.microsoft.com (no trailing slash). */
  origin: string;
  /** True for an http:// endpoint on this machine (the local simulator). */
  insecureLoopback: boolean;
}

const LOOPBACK_V4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || LOOPBACK_V4.test(h);
}

/**
 * Checks a configured endpoint (ARM_ENDPOINT, or GRAPH_ENDPOINT with service 'graph'): an https
 * origin (any cloud), or http only on loopback (the local simulator). No path, query, fragment or
 * user info, since every request URL and the token audience are derived from its origin.
 */
export function parseArmEndpoint(endpoint: string, service: ServiceKind = 'arm'): ArmEndpoint {
  const info = serviceInfo(service);
  const label = `The ${info.short} endpoint`;
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    throw new PimValidationError(PimErrorCode.InvalidEndpoint, `${label} ${quote(endpoint)} is not a URL: use an origin such as ${info.defaultOrigin}.`);
  }
  if (u.username || u.password || u.search || u.hash || (u.pathname !== '/' && u.pathname !== '')) {
    throw new PimValidationError(
      PimErrorCode.InvalidEndpoint,
      `${label} ${quote(endpoint)} has a path, query or credentials: use only the origin, such as ${info.defaultOrigin}.`,
    );
  }
  if (u.protocol === 'https:') return { origin: u.origin, insecureLoopback: false };
  if (u.protocol === 'http:') {
    if (!isLoopbackHostname(u.hostname)) {
      throw new PimValidationError(
        PimErrorCode.InsecureEndpoint,
        `${label} ${quote(endpoint)} uses plain http on another machine: use https, or http only for a simulator on 127.0.0.1, ::1 or localhost.`,
      );
    }
    return { origin: u.origin, insecureLoopback: true };
  }
  throw new PimValidationError(PimErrorCode.InvalidEndpoint, `${label} ${quote(endpoint)} is not an http(s) URL: use an origin such as ${info.defaultOrigin}.`);
}
