// Errors of the ARM client. Callers branch on `code` (bolt-js style string codes) and show
// `message` to people: it is one plain sentence saying what went wrong and what to do. The raw ARM
// details stay on the error for logs and support tickets.

/** Codes of failures detected by this client itself (ARM's own codes are passed through as sent). */
export const PimErrorCode = {
  /** A scope that is not a subscription, resource group or management group. */
  InvalidScope: 'InvalidScope',
  /** An alert/incident/operation/definition id that is not a plain identifier. */
  InvalidId: 'InvalidId',
  /** An ARM endpoint that is not an https origin (or http on loopback). */
  InvalidEndpoint: 'InvalidEndpoint',
  /** A plain-http endpoint that is not on this machine. */
  InsecureEndpoint: 'InsecureEndpoint',
  /** A credential mode that is not allowed with the configured endpoint. */
  CredentialNotAllowed: 'CredentialNotAllowed',
  /** A request (nextLink, Location, …) whose origin is not the configured ARM endpoint. */
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
  /** No token could be obtained for ARM. */
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
  /** HTTP status, or 0 when the failure happened before/without an HTTP answer. */
  status: number;
  /** ARM's error code (e.g. AuthorizationFailed) or one of PimErrorCode. */
  code: string;
  /** ARM's own error message, as sent. */
  armMessage?: string;
  /** x-ms-request-id of the failed response. */
  requestId?: string;
  /** x-ms-correlation-request-id of the failed response. */
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

export class ArmError extends Error {
  override readonly name = 'ArmError';
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

function friendlyMessage(init: ArmErrorInit): string {
  const where = init.scope ?? scopeFromUrl(init.url) ?? 'the requested scope';
  const what = init.subject ?? 'The requested resource';
  const ref = init.requestId ? ` (ARM request id ${init.requestId})` : '';
  const arm = init.armMessage ? ` ARM said: ${oneLine(init.armMessage)}` : '';
  const s = init.status;
  if (s === 401) {
    return `Azure Resource Manager refused the bot's token for ${where} (${init.code}): check that the bot's managed identity belongs to this tenant and the endpoint matches its cloud${ref}.`;
  }
  if (s === 403) {
    const permission = requiredPermission(init.method, init.url);
    const remedy = permission.endsWith('/write')
      ? 'give it Owner or User Access Administrator there'
      : 'give it Reader (or any built-in role) there';
    return `The bot's identity lacks ${permission} at ${where}: ${remedy}${ref}.`;
  }
  if (s === 404) {
    return `${capitalise(what)} was not found at ${where}: check the id and the scope${ref}.`;
  }
  if (s === 409) {
    return `Azure Resource Manager refused the change at ${where} because of a conflict (${init.code}): try again once the current operation finishes${ref}.${arm}`;
  }
  if (s === 429) {
    return `Azure Resource Manager throttled the bot's requests at ${where} and retries ran out: try again in a few minutes${ref}.`;
  }
  if (s >= 500) {
    return `Azure Resource Manager failed with ${s} (${init.code}) at ${where} even after retries: try again later${ref}.`;
  }
  if (s >= 400) {
    return `Azure Resource Manager rejected the request at ${where} with ${s} (${init.code}): check the input${ref}.${arm}`;
  }
  if (s > 0) {
    return `Azure Resource Manager answered ${s} (${init.code}) at ${where}, which the bot did not expect${ref}.`;
  }
  return `The request to Azure Resource Manager for ${where} failed (${init.code})${init.armMessage ? `: ${oneLine(init.armMessage)}` : '.'}`;
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}…` : flat;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
