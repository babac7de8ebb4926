// Errors of the Azure clients (ARM and Microsoft Graph share them: one error type for people to
// read). Callers branch on `code` (bolt-js style string codes) and show `message` to people: it is
// one plain sentence saying what went wrong and what to do. The service's raw details stay on the
// error for logs and support tickets.
import { serviceInfo, type ServiceKind } from './service';

/** Codes of failures detected by this client itself (ARM's own codes are passed through as sent). */
export const PimErrorCode = {
  /** A scope that is not a subscription, resource group, management group or the directory. */
  InvalidScope: 'InvalidScope',
  /** An alert/incident/operation/definition id that is not a plain identifier. */
  InvalidId: 'InvalidId',
  /** An ARM or Graph endpoint that is not an https origin (or http on loopback). */
  InvalidEndpoint: 'InvalidEndpoint',
  /** A plain-http endpoint that is not on this machine. */
  InsecureEndpoint: 'InsecureEndpoint',
  /** A credential mode that is not allowed with the configured endpoint. */
  CredentialNotAllowed: 'CredentialNotAllowed',
  /** A request (nextLink, Location, …) whose origin is not the configured endpoint of its service. */
  ForeignHost: 'ForeignHost',
  /** A list that kept returning nextLinks past the page cap. */
  TooManyPages: 'TooManyPages',
  /** A 2xx whose body is not what the API documents. */
  InvalidResponse: 'InvalidResponse',
  /** A 202 without a usable Location to poll. */
  MissingLocation: 'MissingLocation',
  /** An update body the service would reject (e.g. configuration update without its type). */
  InvalidUpdate: 'InvalidUpdate',
  /** The request never got an HTTP answer (DNS, connection, TLS, timeout). */
  RequestFailed: 'RequestFailed',
  /** No token could be obtained for ARM or Graph. */
  AuthenticationFailed: 'AuthenticationFailed',
} as const;
export type PimErrorCodeValue = (typeof PimErrorCode)[keyof typeof PimErrorCode];

/** Input refused before any request was made. */
export class PimValidationError extends Error {
  override readonly name = 'PimValidationError';
  constructor(
    readonly code: PimErrorCodeValue,
    message: string,
  ) {
    super(message);
  }
}

export interface ArmErrorInit {
  /** The API that failed; default 'arm'. */
  service?: ServiceKind;
  /** HTTP status, or 0 when the failure happened before/without an HTTP answer. */
  status: number;
  /** The service's error code (e.g. AuthorizationFailed, Authorization_RequestDenied) or one of PimErrorCode. */
  code: string;
  /** The service's own error message, as sent. */
  armMessage?: string;
  /** The service's request id of the failed response (x-ms-request-id; Graph: request-id). */
  requestId?: string;
  /** Its correlation id (x-ms-correlation-request-id; Graph: client-request-id). */
  correlationId?: string;
  method?: string;
  /** Request URL; stored redacted (only api-version kept in the query). */
  url?: string;
  /** Scope the request was about (no leading slash), for the message. */
  scope?: string;
  /** What was asked for, e.g. "alert 'DuplicateRoleCreated'", for the message. */
  subject?: string;
  /** Overrides the generated friendly message. */
  message?: string;
  cause?: unknown;
}

/** A failed request to ARM or to Microsoft Graph (`service` says which). */
export class ArmError extends Error {
  override readonly name = 'ArmError';
  readonly service: ServiceKind;
  readonly status: number;
  readonly code: string;
  readonly armMessage?: string;
  readonly requestId?: string;
  readonly correlationId?: string;
  readonly method?: string;
  readonly url?: string;
  readonly scope?: string;

  constructor(init: ArmErrorInit) {
    const url = init.url === undefined ? undefined : redactUrl(init.url);
    super(init.message ?? friendlyMessage({ ...init, url }), init.cause === undefined ? undefined : { cause: init.cause });
    this.service = init.service ?? 'arm';
    this.status = init.status;
    this.code = init.code;
    this.armMessage = init.armMessage;
    this.requestId = init.requestId;
    this.correlationId = init.correlationId;
    this.method = init.method;
    this.url = url;
    this.scope = init.scope;
  }
}

export function isArmError(e: unknown): e is ArmError {
  return e instanceof ArmError;
}

/**
 * A failure that says nothing about the request itself and may pass if it is sent again later:
 * throttling (429), a timeout (408, or a request the transport timed out), a server error (5xx),
 * no answer at all, or no token from the identity endpoint. Call it only after ruling out your
 * own abort signal, since a timed-out request ends with the same AbortError.
 */
export function isTransientFailure(e: unknown): boolean {
  if (e instanceof Error && e.name === 'AbortError') return true;
  if (!isArmError(e)) return false;
  if (e.status === 0) return e.code === PimErrorCode.RequestFailed || e.code === PimErrorCode.AuthenticationFailed;
  return e.status === 408 || e.status === 429 || e.status >= 500;
}

/** Keeps origin, path and api-version; drops every other query parameter (skip tokens, filters, anything secret). */
export function redactUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return raw.split('?')[0]!.slice(0, 300);
  }
  const apiVersion = u.searchParams.get('api-version');
  const dropped = [...u.searchParams.keys()].some((k) => k !== 'api-version');
  u.search = '';
  u.hash = '';
  u.username = '';
  u.password = '';
  let out = u.toString();
  if (apiVersion !== null) out += `?api-version=${encodeURIComponent(apiVersion)}`;
  if (dropped) out += apiVersion !== null ? '&…' : '?…';
  return out;
}

/** The scope part of an ARM URL: everything before the last `/providers/Microsoft.Authorization/`. */
export function scopeFromUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(new URL(raw).pathname);
  } catch {
    return undefined;
  }
  const marker = '/providers/microsoft.authorization/';
  const i = path.toLowerCase().lastIndexOf(marker);
  if (i < 0) return undefined;
  return path.slice(0, i).replace(/^\//, '') || '/';
}

function isReadMethod(method: string | undefined): boolean {
  return method === undefined || method.toUpperCase() === 'GET' || method.toUpperCase() === 'HEAD';
}

/** The permission ARM checks for this request (PIM alert reads need roleAssignments/read, writes roleAssignments/write). */
export function requiredPermission(method: string | undefined, url: string | undefined): string {
  const path = (url ?? '').toLowerCase();
  if (path.includes('/providers/microsoft.authorization/roledefinitions')) return 'Microsoft.Authorization/roleDefinitions/read';
  return isReadMethod(method) ? 'Microsoft.Authorization/roleAssignments/read' : 'Microsoft.Authorization/roleAssignments/write';
}

/**
 * The Graph application permission this request needs: the directory's role assignments (rbac
 * mode) need RoleManagement.Read.Directory; PIM alert reads RoleManagementAlert.Read.Directory,
 * writes RoleManagementAlert.ReadWrite.Directory.
 */
export function requiredGraphPermission(method: string | undefined, url: string | undefined): string {
  const path = (url ?? '').toLowerCase();
  if (path.includes('/rolemanagement/directory/')) return 'RoleManagement.Read.Directory';
  return isReadMethod(method) ? 'RoleManagementAlert.Read.Directory' : 'RoleManagementAlert.ReadWrite.Directory';
}

function friendlyMessage(init: ArmErrorInit): string {
  const service = serviceInfo(init.service);
  const graph = service.kind === 'graph';
  const where = graph ? 'the directory' : (init.scope ?? scopeFromUrl(init.url) ?? 'the requested scope');
  const at = graph ? 'in the directory' : `at ${where}`;
  const what = init.subject ?? 'The requested resource';
  const ref = init.requestId ? ` (${service.short} request id ${init.requestId})` : '';
  const said = init.armMessage ? ` ${service.short} said: ${oneLine(init.armMessage)}` : '';
  const s = init.status;
  if (s === 401) {
    return `${service.name} refused the bot's token for ${where} (${init.code}): check that the bot's managed identity belongs to this tenant and ${service.endpointVariable} matches its cloud${ref}.`;
  }
  if (s === 403) {
    if (graph) {
      const permission = requiredGraphPermission(init.method, init.url);
      return `The bot's identity lacks ${permission} on Microsoft Graph: grant its managed identity that application permission, with admin consent (see docs/deploy.md)${ref}.`;
    }
    const permission = requiredPermission(init.method, init.url);
    const remedy = permission.endsWith('/write')
      ? 'give it Owner or User Access Administrator there'
      : 'give it Reader (or any built-in role) there';
    return `The bot's identity lacks ${permission} at ${where}: ${remedy}${ref}.`;
  }
  if (s === 404) {
    return `${capitalise(what)} was not found ${at}: check the id${graph ? '' : ' and the scope'}${ref}.`;
  }
  if (s === 409) {
    return `${service.name} refused the change ${at} because of a conflict (${init.code}): try again once the current operation finishes${ref}.${said}`;
  }
  if (s === 429) {
    return `${service.name} throttled the bot's requests ${at} and retries ran out: try again in a few minutes${ref}.`;
  }
  if (s >= 500) {
    return `${service.name} failed with ${s} (${init.code}) ${at} even after retries: try again later${ref}.`;
  }
  if (s >= 400) {
    return `${service.name} rejected the request ${at} with ${s} (${init.code}): check the input${ref}.${said}`;
  }
  if (s > 0) {
    return `${service.name} answered ${s} (${init.code}) ${at}, which the bot did not expect${ref}.`;
  }
  return `The request to ${service.name} for ${where} failed (${init.code})${init.armMessage ? `: ${oneLine(init.armMessage)}` : '.'}`;
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}…` : flat;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
