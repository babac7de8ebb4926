// Parsing of ARM request paths: `/{scope}/providers/Microsoft.Authorization/{type}/{name}/...`.
// Pure functions; every rejection is an ArmError so the server can answer it as ARM would.
import { ArmError, isGuid, sameName } from './arm';

export type ScopeKind = 'tenant' | 'managementGroup' | 'subscription' | 'resourceGroup' | 'resource';

export interface ParsedScope {
  kind: ScopeKind;
  /** The scope as requested (decoded), without a leading slash; '' for the tenant root. */
  path: string;
  subscriptionId?: string;
  resourceGroup?: string;
  managementGroup?: string;
}

export interface ParsedPath {
  scope: ParsedScope;
  /** Decoded segments after `providers/Microsoft.Authorization`. */
  resource: string[];
}

const RESOURCE_GROUP_NAME = /^[-\p{L}\p{N}_.()]{1,90}$/u;
const RESOURCE_NAME = /^[-\p{L}\p{N}_.()]{1,260}$/u;
// Anything that could step out of a path segment once decoded.
const FORBIDDEN_IN_SEGMENT = /[/\\\u0000-\u001f\u007f]/;

function badPath(message: string): ArmError {
  return new ArmError(400, 'InvalidRequestUri', message);
}

/** Splits and decodes a raw request path, refusing anything that is not a plain ARM path. */
export function pathSegments(rawPath: string): string[] {
  if (!rawPath.startsWith('/')) throw badPath('The request path must start with a slash; send an absolute ARM resource path.');
  const raw = rawPath.slice(1).split('/');
  return raw.map((segment) => {
    if (segment === '') throw badPath('The request path has an empty segment; remove the doubled or trailing slash.');
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw badPath(`The path segment '${segment}' is not valid percent-encoding; encode the path correctly.`);
    }
    if (decoded === '.' || decoded === '..' || FORBIDDEN_IN_SEGMENT.test(decoded)) {
      throw badPath(`The path segment '${segment}' is not allowed in an ARM resource path; use plain resource names.`);
    }
    return decoded;
  });
}

/** Recognises the scope syntaxes ARM accepts for Microsoft.Authorization resources. */
export function parseScope(segments: string[]): ParsedScope {
  const path = segments.join('/');
  const [a, b, c, d, ...rest] = segments;
  if (segments.length === 0) return { kind: 'tenant', path };
  if (a !== undefined && sameName(a, 'subscriptions') && b !== undefined) {
    if (!isGuid(b)) {
      throw new ArmError(400, 'InvalidSubscriptionId', `The provided subscription identifier '${b}' is malformed or invalid; use the subscription's GUID.`);
    }
    if (segments.length === 2) return { kind: 'subscription', path, subscriptionId: b };
    if (c !== undefined && sameName(c, 'resourceGroups') && d !== undefined) {
      if (!RESOURCE_GROUP_NAME.test(d) || d.endsWith('.')) {
        throw new ArmError(400, 'InvalidResourceGroupName', `The resource group name '${d}' is not valid; use letters, digits, '-', '_', '.', '(' and ')'.`);
      }
      if (segments.length === 4) return { kind: 'resourceGroup', path, subscriptionId: b, resourceGroup: d };
      // .../providers/{namespace}/{type}/{name}[/{type}/{name}]...
      const [p, ns, ...typeNames] = rest;
      if (p !== undefined && sameName(p, 'providers') && ns !== undefined && typeNames.length >= 2 && typeNames.length % 2 === 0) {
        if (typeNames.every((s) => RESOURCE_NAME.test(s)) && RESOURCE_NAME.test(ns)) {
          return { kind: 'resource', path, subscriptionId: b, resourceGroup: d };
        }
      }
    }
  }
  if (a !== undefined && sameName(a, 'providers') && b !== undefined && sameName(b, 'Microsoft.Management') && c !== undefined && sameName(c, 'managementGroups') && d !== undefined && segments.length === 4) {
    return { kind: 'managementGroup', path, managementGroup: d };
  }
  throw new ArmError(400, 'InvalidScope', `The scope '${path}' is not a valid ARM scope; use subscriptions/{id} or subscriptions/{id}/resourceGroups/{name}.`);
}

/**
 * Splits `/{scope}/providers/Microsoft.Authorization/...` at the last Microsoft.Authorization
 * provider segment (a resource scope has its own `providers/` segment before it). Returns
 * undefined when the path is not a Microsoft.Authorization path at all.
 */
export function parseArmPath(rawPath: string): ParsedPath | undefined {
  let segments = pathSegments(rawPath);
  // The operation's `resourceLocation` points at /providers/Microsoft.Subscription/subscriptions/...
  // (as the service's examples show); that prefix names the same subscription scope.
  if (segments.length > 2 && sameName(segments[0]!, 'providers') && sameName(segments[1]!, 'Microsoft.Subscription') && sameName(segments[2]!, 'subscriptions')) {
    segments = segments.slice(2);
  }
  let at = -1;
  for (let i = segments.length - 2; i >= 0; i--) {
    if (sameName(segments[i]!, 'providers') && sameName(segments[i + 1]!, 'Microsoft.Authorization')) {
      at = i;
      break;
    }
  }
  if (at < 0) return undefined;
  return { scope: parseScope(segments.slice(0, at)), resource: segments.slice(at + 2) };
}

/** Validates a resource name taken from the path (alert id, incident id, operation id). */
export function checkName(kind: string, value: string): string {
  if (!RESOURCE_NAME.test(value)) {
    throw new ArmError(400, 'InvalidResourceName', `The ${kind} '${value}' is not a valid resource name; use the id exactly as the service returned it.`);
  }
  return value;
}
