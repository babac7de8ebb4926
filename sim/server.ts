// A local simulator of the Azure PIM role management alerts ARM API (2022-08-01-preview) and the
// RBAC reads the bot needs, and of the Microsoft Graph (beta) PIM alerts of Entra ID directory
// roles and directory role assignments (sim/graph.ts), on plain node:http, one origin for both:
// Graph paths start with /beta. It behaves like the services as far as the bot can observe: same
// paths and shapes, ARM or Graph error bodies, 202 + Location refreshes that progress with the
// (injectable) clock, nextLink / @odata.nextLink paging, bearer tokens, and injectable
// latency/throttling/failures on both.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { ArmError, sameName, seededRandom } from './arm';
import { ALERT_API_VERSION, DIRECTORY_SCOPE_ID, OPERATION_LOCATION_API_VERSION, RBAC_API_VERSION, type SeedData, type SimClock, type SimPrincipal, type SimScope } from './model';
import { DirectoryState } from './directory';
import { createGraphRoutes, isGraphPath } from './graph';
import { checkName, parseArmPath } from './paths';
import { RbacDirectory, parseAssignmentFilter } from './rbac';
import { renderAlert, renderConfiguration, renderDefinition, renderIncident, renderOperation, operationUrl } from './render';
import { defaultSeed } from './seed';
import { SimState } from './state';
import { parseJsonBody, validateAlertUpdate, validateConfigurationUpdate } from './validation';

export interface SimFaults {
  /** Delay before every response, in ms. */
  latencyMs?: number;
  /** Share (0..1) of requests answered 429 with Retry-After. */
  rate429?: number;
  /** Share (0..1) of requests answered 500. */
  rate500?: number;
  /** Retry-After seconds on a 429 (default 1). */
  retryAfter429Seconds?: number;
  /** Alert ids whose scans fail from now on (refresh ends 'Failed'); directory alerts by id or AlertName. */
  failRefreshFor?: string[];
}

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** true: any non-empty bearer token; a string: exactly that token; false/undefined: none needed. */
  requireToken?: boolean | string;
  /** Time from a refresh to Succeeded/Failed; NotStarted for the first third. Default 3000. */
  refreshDurationMs?: number;
  /** Retry-After seconds on a refresh's 202. Default 1. */
  refreshRetryAfterSeconds?: number;
  /** api-version written into the 202's Location. Default 2022-08-01-preview. */
  operationLocationApiVersion?: string;
  faults?: SimFaults;
  /** Random source for faults (0 <= x < 1); default a generator seeded with `randomSeed`. */
  random?: () => number;
  /** Seed of the default random source (default 1), so fault sequences repeat. */
  randomSeed?: number;
  /** Items per page before a nextLink. Default 50. */
  pageSize?: number;
  /** Default { now: () => Date.now() }. */
  clock?: SimClock;
  /** The world to serve; default defaultSeed(). */
  seed?: SeedData;
  /** Called after every response (no headers, no tokens). */
  onRequest?: (entry: RecordedRequest) => void;
  /**
   * Called when a request has arrived, before it is handled: the answer waits until the returned
   * promise settles, so a test can hold one write open (e.g. to stop the bot while ARM answers).
   */
  beforeReply?: (request: { method: string; url: string }) => Promise<void> | void;
}

export interface RecordedRequest {
  method: string;
  /** Path and query as requested. */
  url: string;
  status: number;
  requestId: string;
  /** Error code when the answer was an error. */
  code?: string;
}

export interface Simulator {
  /** http://127.0.0.1:<port> (no trailing slash): the ARM endpoint and, for paths under /beta, the Graph endpoint. */
  url: string;
  port: number;
  /** The ARM scopes, then the directory (`directory`) when the seed has one. */
  scopes: SimScope[];
  principals: SimPrincipal[];
  /** Live alert state: read or change alerts, incidents, definitions, operations. */
  state: SimState;
  /** Live RBAC data: add or remove role assignments. */
  rbac: RbacDirectory;
  /** The live Entra ID directory (Graph routes), when the seed has one. */
  directory?: DirectoryState;
  /** The last 1000 requests, oldest first. */
  requests: RecordedRequest[];
  /** Replaces the active faults. */
  setFaults(faults: SimFaults): void;
  faults(): SimFaults;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

interface Route {
  name: string;
  pattern: string[];
  method: 'GET' | 'PATCH' | 'POST';
  apiVersions: readonly string[];
}

const ALERTS = [ALERT_API_VERSION];
// The refresh example's Location carries 2022-04-01-preview; a client follows it as given.
const OPERATIONS = [ALERT_API_VERSION, OPERATION_LOCATION_API_VERSION];
const RBAC = [RBAC_API_VERSION];

const ROUTES: Route[] = [
  { name: 'listAlerts', pattern: ['roleManagementAlerts'], method: 'GET', apiVersions: ALERTS },
  { name: 'refreshAll', pattern: ['roleManagementAlerts', 'refresh'], method: 'POST', apiVersions: ALERTS },
  { name: 'getAlert', pattern: ['roleManagementAlerts', ':alertId'], method: 'GET', apiVersions: ALERTS },
  { name: 'updateAlert', pattern: ['roleManagementAlerts', ':alertId'], method: 'PATCH', apiVersions: ALERTS },
  { name: 'refreshAlert', pattern: ['roleManagementAlerts', ':alertId', 'refresh'], method: 'POST', apiVersions: ALERTS },
  { name: 'listIncidents', pattern: ['roleManagementAlerts', ':alertId', 'alertIncidents'], method: 'GET', apiVersions: ALERTS },
  { name: 'getIncident', pattern: ['roleManagementAlerts', ':alertId', 'alertIncidents', ':incidentId'], method: 'GET', apiVersions: ALERTS },
  { name: 'remediate', pattern: ['roleManagementAlerts', ':alertId', 'alertIncidents', ':incidentId', 'remediate'], method: 'POST', apiVersions: ALERTS },
  { name: 'listConfigurations', pattern: ['roleManagementAlertConfigurations'], method: 'GET', apiVersions: ALERTS },
  { name: 'getConfiguration', pattern: ['roleManagementAlertConfigurations', ':alertId'], method: 'GET', apiVersions: ALERTS },
  { name: 'updateConfiguration', pattern: ['roleManagementAlertConfigurations', ':alertId'], method: 'PATCH', apiVersions: ALERTS },
  { name: 'listDefinitions', pattern: ['roleManagementAlertDefinitions'], method: 'GET', apiVersions: ALERTS },
  { name: 'getDefinition', pattern: ['roleManagementAlertDefinitions', ':alertDefinitionId'], method: 'GET', apiVersions: ALERTS },
  { name: 'getOperation', pattern: ['roleManagementAlertOperations', ':operationId'], method: 'GET', apiVersions: OPERATIONS },
  { name: 'listRoleAssignments', pattern: ['roleAssignments'], method: 'GET', apiVersions: RBAC },
  { name: 'listRoleDefinitions', pattern: ['roleDefinitions'], method: 'GET', apiVersions: RBAC },
  { name: 'getRoleDefinition', pattern: ['roleDefinitions', ':roleDefinitionId'], method: 'GET', apiVersions: RBAC },
  { name: 'listDenyAssignments', pattern: ['denyAssignments'], method: 'GET', apiVersions: RBAC },
];

const KNOWN_TYPES = new Set(ROUTES.map((r) => r.pattern[0]!.toLowerCase()));
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_RECORDED = 1000;

function matches(route: Route, resource: string[]): Record<string, string> | undefined {
  if (route.pattern.length !== resource.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < resource.length; i++) {
    const p = route.pattern[i]!;
    const value = resource[i]!;
    if (p.startsWith(':')) params[p.slice(1)] = value;
    else if (!sameName(p, value)) return undefined;
  }
  return params;
}

function findRoute(resource: string[], method: string, path: string): { route: Route; params: Record<string, string> } {
  const candidates = ROUTES.map((route) => ({ route, params: matches(route, resource) })).filter(
    (c): c is { route: Route; params: Record<string, string> } => c.params !== undefined,
  );
  const hit = candidates.find((c) => c.route.method === method);
  if (hit) return hit;
  if (candidates.length > 0) {
    const allow = [...new Set(candidates.map((c) => c.route.method))].join(', ');
    throw new ArmError(405, 'MethodNotAllowed', `The method '${method}' is not supported for '${path}'; use ${allow}.`, { Allow: allow });
  }
  const type = resource[0];
  if (type === undefined || !KNOWN_TYPES.has(type.toLowerCase())) {
    throw new ArmError(400, 'InvalidResourceType', `The resource type '${type ?? ''}' could not be found in the namespace 'Microsoft.Authorization'; check the path.`);
  }
  throw new ArmError(404, 'NotFound', `The path '${path}' does not name a ${type} resource or action; check the path.`);
}

function checkApiVersion(query: URLSearchParams, supported: readonly string[]): void {
  const version = query.get('api-version');
  if (version === null || version === '') {
    throw new ArmError(400, 'MissingApiVersionParameter', `The api-version query parameter (?api-version=) is required for all requests; use '${supported[0]}'.`);
  }
  if (!supported.includes(version)) {
    throw new ArmError(400, 'InvalidApiVersionParameter', `The api-version '${version}' is invalid; the supported versions are '${supported.join("', '")}'.`);
  }
}

/** Opaque continuation token: the offset of the next page. */
function encodeSkipToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset }), 'utf8').toString('base64url');
}

function decodeSkipToken(token: string | null): number {
  if (token === null) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown };
    if (typeof parsed.offset === 'number' && Number.isInteger(parsed.offset) && parsed.offset >= 0) return parsed.offset;
  } catch {
    // fall through to the error below
  }
  throw new ArmError(400, 'InvalidSkipToken', 'The $skipToken is not valid; follow the nextLink exactly as it was returned.');
}

function formatQuery(entries: Array<[string, string]>): string {
  return entries.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const clock = options.clock ?? { now: () => Date.now() };
  const seed = options.seed ?? defaultSeed();
  const refreshDurationMs = options.refreshDurationMs ?? 3000;
  const state = new SimState(seed, { clock, refreshDurationMs });
  const rbac = new RbacDirectory(seed, state);
  const directory = seed.directory ? new DirectoryState(seed.directory, { clock, refreshDurationMs }) : undefined;
  const random = options.random ?? seededRandom(options.randomSeed ?? 1);
  const pageSize = Math.max(1, options.pageSize ?? 50);
  const refreshRetryAfter = String(options.refreshRetryAfterSeconds ?? 1);
  const locationApiVersion = options.operationLocationApiVersion ?? ALERT_API_VERSION;
  let faults: SimFaults = { ...(options.faults ?? {}) };
  const requests: RecordedRequest[] = [];
  let origin = '';
  const graph = createGraphRoutes({
    directory,
    memberships: (principalId) => rbac.memberships(principalId),
    pageSize,
    failRefreshFor: () => faults.failRefreshFor ?? [],
    refreshRetryAfterSeconds: refreshRetryAfter,
  });

  function page(items: unknown[], rawPath: string, query: URLSearchParams): Reply {
    const offset = decodeSkipToken(query.get('$skipToken'));
    const value = items.slice(offset, offset + pageSize);
    const body: { value: unknown[]; nextLink?: string } = { value };
    if (offset + pageSize < items.length) {
      const kept = [...query.entries()].filter(([k]) => k !== '$skipToken');
      body.nextLink = `${origin}${rawPath}?${formatQuery([...kept, ['$skipToken', encodeSkipToken(offset + pageSize)]])}`;
    }
    return { status: 200, body };
  }

  function checkToken(req: http.IncomingMessage): void {
    if (!options.requireToken) return;
    const header = req.headers.authorization;
    if (header === undefined || header.trim() === '') {
      throw new ArmError(401, 'AuthenticationFailed', "Authentication failed because the 'Authorization' header is missing; send a bearer token.", {
        'WWW-Authenticate': 'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The authentication failed because of missing \'Authorization\' header."',
      });
    }
    const m = header.match(/^Bearer\s+(\S+)\s*$/i);
    if (!m) {
      throw new ArmError(401, 'AuthenticationFailed', "Authentication failed because the 'Authorization' header is not in the 'Bearer <token>' format; send a bearer token.");
    }
    if (typeof options.requireToken === 'string' && m[1] !== options.requireToken) {
      throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid; acquire a new token for the ARM audience.', {
        'WWW-Authenticate': 'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The access token is invalid."',
      });
    }
  }

  function injectFault(): void {
    const r429 = faults.rate429 ?? 0;
    const r500 = faults.rate500 ?? 0;
    if (r429 <= 0 && r500 <= 0) return;
    const draw = random();
    if (draw < r429) {
      throw new ArmError(429, 'TooManyRequests', 'The request is being throttled; retry after the number of seconds in Retry-After.', {
        'Retry-After': String(faults.retryAfter429Seconds ?? 1),
      });
    }
    if (draw < r429 + r500) {
      throw new ArmError(500, 'InternalServerError', 'The server encountered an internal error; retry the request.');
    }
  }

  function handle(req: http.IncomingMessage, bodyText: string): Reply {
    checkToken(req);
    injectFault();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
    const method = (req.method ?? 'GET').toUpperCase();
    if (isGraphPath(rawPath)) return graph.handle({ method, rawPath, query, bodyText, headers: req.headers }, origin);
    const parsed = parseArmPath(rawPath);
    if (!parsed) {
      throw new ArmError(404, 'NotFound', `The path '${rawPath}' is not a Microsoft.Authorization resource; check the URL.`);
    }
    const { route, params } = findRoute(parsed.resource, method, rawPath);
    checkApiVersion(query, route.apiVersions);
    for (const [name, value] of Object.entries(params)) checkName(name, value);

    const contentType = req.headers['content-type'];
    if (bodyText.length > 0 && (method === 'PATCH' || method === 'POST') && contentType !== undefined && !/^application\/json\b/i.test(contentType)) {
      throw new ArmError(415, 'UnsupportedMediaType', `The content type '${contentType}' is not supported; send application/json.`);
    }

    if (route.name === 'listRoleAssignments') {
      const scope = rbac.resolveScope(parsed.scope);
      return page(rbac.listAssignments(scope, parseAssignmentFilter(query.get('$filter'))), rawPath, query);
    }
    if (route.name === 'listRoleDefinitions') {
      return page(rbac.listRoleDefinitions(rbac.resolveScope(parsed.scope), query.get('$filter')), rawPath, query);
    }
    if (route.name === 'getRoleDefinition') {
      return { status: 200, body: rbac.getRoleDefinition(rbac.resolveScope(parsed.scope), params['roleDefinitionId']!) };
    }
    if (route.name === 'listDenyAssignments') {
      return page(rbac.listDenyAssignments(rbac.resolveScope(parsed.scope), query.get('$filter')), rawPath, query);
    }

    const scope = state.resolveAlertScope(parsed.scope);
    switch (route.name) {
      case 'listAlerts':
        return page(scope.alerts.map((a) => renderAlert(scope, a)), rawPath, query);
      case 'getAlert':
        return { status: 200, body: renderAlert(scope, state.findAlert(scope, params['alertId']!)) };
      case 'updateAlert': {
        const alert = state.findAlert(scope, params['alertId']!);
        validateAlertUpdate(parseJsonBody(bodyText));
        state.dismissAlert(alert);
        return { status: 204 };
      }
      case 'refreshAlert':
      case 'refreshAll': {
        const alert = route.name === 'refreshAlert' ? state.findAlert(scope, params['alertId']!) : undefined;
        const view = state.startRefresh(scope, alert, faults.failRefreshFor ?? []);
        return {
          status: 202,
          headers: { Location: operationUrl(origin, view, locationApiVersion), 'Retry-After': refreshRetryAfter },
          // The refresh-all example answers with lower-case 'notStarted'; kept so clients compare status case-insensitively.
          body: renderOperation(origin, view, { lowerCamelNotStarted: !alert }),
        };
      }
      case 'listIncidents': {
        const alert = state.findAlert(scope, params['alertId']!);
        return page(alert.incidents.map((i) => renderIncident(scope, alert, i)), rawPath, query);
      }
      case 'getIncident': {
        const alert = state.findAlert(scope, params['alertId']!);
        return { status: 200, body: renderIncident(scope, alert, state.findIncident(scope, alert, params['incidentId']!)) };
      }
      case 'remediate': {
        const alert = state.findAlert(scope, params['alertId']!);
        state.remediateIncident(scope, alert, params['incidentId']!);
        return { status: 204 };
      }
      case 'listConfigurations':
        return page(scope.alerts.map((a) => renderConfiguration(scope, a)), rawPath, query);
      case 'getConfiguration':
        return { status: 200, body: renderConfiguration(scope, findConfiguration(params['alertId']!)) };
      case 'updateConfiguration': {
        const alert = findConfiguration(params['alertId']!);
        state.updateConfiguration(alert, validateConfigurationUpdate(alert.alertId, scope.scope.id, parseJsonBody(bodyText)));
        return { status: 204 };
      }
      case 'listDefinitions':
        return page(scope.definitions.map((d) => renderDefinition(scope, d)), rawPath, query);
      case 'getDefinition':
        return { status: 200, body: renderDefinition(scope, state.findDefinition(scope, params['alertDefinitionId']!)) };
      case 'getOperation':
        return { status: 200, body: renderOperation(origin, state.findOperation(scope, params['operationId']!)) };
      default:
        throw new Error(`Route '${route.name}' has no handler.`);
    }

    function findConfiguration(alertId: string) {
      try {
        return state.findAlert(scope, alertId);
      } catch {
        throw new ArmError(404, 'RoleManagementAlertConfigurationNotFound', `The alert configuration '${alertId}' was not found at scope '${scope.scope.id}'; list the configurations to see their ids.`);
      }
    }
  }

  function send(req: http.IncomingMessage, res: http.ServerResponse, reply: Reply, requestId: string): void {
    // Graph names its request ids request-id and client-request-id; ARM x-ms-request-id and x-ms-correlation-request-id.
    const headers: Record<string, string> = isGraphPath(req.url ?? '/')
      ? { 'request-id': requestId, 'client-request-id': headerValue(req.headers['client-request-id']) ?? requestId, ...(reply.headers ?? {}) }
      : {
          'x-ms-request-id': requestId,
          'x-ms-correlation-request-id': headerValue(req.headers['x-ms-correlation-request-id']) ?? requestId,
          ...(reply.headers ?? {}),
        };
    const clientRequestId = headerValue(req.headers['x-ms-client-request-id']);
    if (clientRequestId) headers['x-ms-client-request-id'] = clientRequestId;
    let payload: Buffer | undefined;
    if (reply.body !== undefined) {
      payload = Buffer.from(JSON.stringify(reply.body), 'utf8');
      headers['content-type'] = 'application/json; charset=utf-8';
    }
    headers['content-length'] = String(payload?.length ?? 0);
    res.writeHead(reply.status, headers);
    res.end(payload);
    const error = (reply.body as { error?: { code?: string } } | undefined)?.error;
    const entry: RecordedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', status: reply.status, requestId, ...(error?.code ? { code: error.code } : {}) };
    requests.push(entry);
    if (requests.length > MAX_RECORDED) requests.shift();
    options.onRequest?.(entry);
  }

  /** An error in the shape of its world: ARM's `{error:{code,message}}`, or Graph's with an innerError naming the request. */
  function toReply(err: unknown, req: http.IncomingMessage, requestId: string): Reply {
    const e = err instanceof ArmError ? err : new ArmError(500, 'InternalServerError', `The simulator failed: ${(err as Error).message}`);
    if (!isGraphPath(req.url ?? '/')) return { status: e.status, headers: e.headers, body: e.body() };
    const innerError = { date: new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, ''), 'request-id': requestId, 'client-request-id': headerValue(req.headers['client-request-id']) ?? requestId };
    return { status: e.status, headers: e.headers, body: { error: { code: e.code, message: e.message, innerError } } };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const respond = () => {
        const requestId = randomUUID();
        let reply: Reply;
        try {
          if (tooLarge) throw new ArmError(413, 'RequestEntityTooLarge', 'The request body is larger than 1 MiB; send a smaller body.');
          reply = handle(req, Buffer.concat(chunks).toString('utf8'));
        } catch (err) {
          reply = toReply(err, req, requestId);
        }
        send(req, res, reply, requestId);
      };
      const latency = faults.latencyMs ?? 0;
      const delayed = () => (latency > 0 ? void setTimeout(respond, latency) : respond());
      const hold = options.beforeReply?.({ method: req.method ?? 'GET', url: req.url ?? '/' });
      if (hold) hold.then(delayed, delayed);
      else delayed();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  origin = `http://${host}:${address.port}`;

  return {
    url: origin,
    port: address.port,
    scopes: [...state.scopes(), ...(directory ? [{ id: DIRECTORY_SCOPE_ID, displayName: directory.displayName }] : [])],
    principals: rbac.principalList(),
    state,
    rbac,
    ...(directory ? { directory } : {}),
    requests,
    setFaults(next: SimFaults) {
      faults = { ...next };
    },
    faults: () => ({ ...faults }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
