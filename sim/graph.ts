// The simulator's Microsoft Graph routes (beta): the PIM alerts of Entra ID directory roles under
// /beta/identityGovernance/roleManagementAlerts, and the directory role assignment listings the bot
// reads to decide who may act on the directory. Shapes follow Microsoft's examples
// (test/fixtures/graph): flat objects, `@odata.context`, `@odata.type` on configurations and
// incidents, `@odata.nextLink` paging with $top/$skip, 202 + Location refreshes with lower-case
// operation statuses, remediation answering 200. Pure request → reply functions; the server adds
// tokens, faults, latency and the Graph error shape.
import { ArmError, sameName } from './arm';
import type { DirectoryIncidentRecord } from './model';
import { graphTimestamp, validateDirectoryAlertUpdate, validateDirectoryConfigurationUpdate, type DirectoryAlertRecord, type DirectoryOperationView, type DirectoryState } from './directory';
import { pathSegments } from './paths';
import { parseJsonBody } from './validation';

type Json = Record<string, unknown>;

export interface GraphReply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface GraphRequest {
  method: string;
  rawPath: string;
  query: URLSearchParams;
  bodyText: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface GraphContext {
  /** Undefined when the seed has no directory. */
  directory?: DirectoryState;
  /** The principal and every group it is in (transitively), lower case. */
  memberships(principalId: string): Set<string>;
  pageSize: number;
  failRefreshFor(): readonly string[];
  refreshRetryAfterSeconds: string;
}

const ALERTS_ROOT = ['identityGovernance', 'roleManagementAlerts'];
const ROLES_ROOT = ['roleManagement', 'directory'];
const RELATIONSHIPS = ['alertDefinition', 'alertConfiguration', 'alertIncidents'] as const;
type Relationship = (typeof RELATIONSHIPS)[number];
/** The order `$expand=*` answers in (see the how-to's example). */
const EXPAND_ALL: Relationship[] = ['alertConfiguration', 'alertDefinition', 'alertIncidents'];
const OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a path the Graph routes serve (ARM paths never start with a version segment). */
export function isGraphPath(rawPath: string): boolean {
  return /^\/(beta|v1\.0)(\/|$)/i.test(rawPath);
}

function badRequest(message: string): ArmError {
  return new ArmError(400, 'BadRequest', message);
}

function notFound(message: string): ArmError {
  return new ArmError(404, 'ResourceNotFound', message);
}

function startsWith(segments: string[], prefix: string[]): boolean {
  return prefix.every((p, i) => segments[i] !== undefined && sameName(segments[i]!, p));
}

function allowOptions(query: URLSearchParams, allowed: string[]): void {
  for (const key of query.keys()) {
    if (!allowed.some((a) => sameName(a, key))) {
      throw badRequest(`The query option '${key}' is not supported on this request${allowed.length ? `; use ${allowed.join(', ')}` : ''}.`);
    }
  }
}

function option(query: URLSearchParams, name: string): string | null {
  for (const [k, v] of query) if (sameName(k, name)) return v;
  return null;
}

function nonNegative(query: URLSearchParams, name: string): number | undefined {
  const raw = option(query, name);
  if (raw === null) return undefined;
  if (!/^\d{1,6}$/.test(raw)) throw badRequest(`The value of ${name} must be a whole number, not '${raw}'.`);
  return Number(raw);
}

/** `$expand`: the named relationships in the order asked, or all of them for `*`. */
function parseExpand(raw: string | null, allowed: readonly Relationship[]): Relationship[] {
  if (raw === null || raw.trim() === '') return [];
  if (raw.trim() === '*') return EXPAND_ALL.filter((r) => allowed.includes(r));
  return raw.split(',').map((part) => {
    const hit = allowed.find((r) => sameName(r, part.trim()));
    if (!hit) throw badRequest(`'${part.trim()}' is not a relationship that can be expanded here; use ${allowed.join(', ')} or *.`);
    return hit;
  });
}

/**
 * `$filter` of a list: it must name the directory's scope (`scopeId eq '/' and scopeType eq
 * 'DirectoryRole'`, else 400 as the how-to says); alerts may also filter on
 * `alertConfiguration/isEnabled eq true|false`.
 */
function parseScopeFilter(raw: string | null, allowEnabled: boolean): { isEnabled?: boolean } {
  const need = "scopeId eq '/' and scopeType eq 'DirectoryRole'";
  if (raw === null || raw.trim() === '') throw badRequest(`The $filter must name the scope: ${need}.`);
  let scopeId = false;
  let scopeType = false;
  let isEnabled: boolean | undefined;
  for (const term of raw.trim().split(/\s+and\s+/i)) {
    let m: RegExpMatchArray | null;
    if (/^scopeId\s+eq\s+'\/'$/i.test(term)) scopeId = true;
    else if (/^scopeType\s+eq\s+'DirectoryRole'$/i.test(term)) scopeType = true;
    else if (allowEnabled && (m = term.match(/^alertConfiguration\/isEnabled\s+eq\s+(true|false)$/i))) isEnabled = m[1]!.toLowerCase() === 'true';
    else throw badRequest(`The $filter term '${term}' is not supported; use ${need}${allowEnabled ? ' and optionally alertConfiguration/isEnabled eq true|false' : ''}.`);
  }
  if (!scopeId || !scopeType) throw badRequest(`The $filter must name the scope: ${need}.`);
  return isEnabled === undefined ? {} : { isEnabled };
}

function parsePrincipalFilter(raw: string | null): string {
  const m = raw?.trim().match(/^principalId\s+eq\s+'([^']*)'$/i);
  if (!m) throw badRequest("The $filter must be principalId eq '{object id}'.");
  if (!OBJECT_ID.test(m[1]!)) throw badRequest(`The principal id '${m[1]}' is not an object id (a GUID).`);
  return m[1]!;
}

export function createGraphRoutes(ctx: GraphContext) {
  const context = (origin: string, rest: string) => `${origin}/beta/$metadata#${rest}`;

  function directory(): DirectoryState {
    if (!ctx.directory) throw notFound('This simulator has no directory; start it with a seed that has one.');
    return ctx.directory;
  }

  /** One page of `items` and, when more follow, an @odata.nextLink carrying $top/$skip (as the incidents example shows). */
  function page(items: unknown[], origin: string, rawPath: string, query: URLSearchParams, contextUrl: string): GraphReply {
    const top = nonNegative(query, '$top');
    const skip = nonNegative(query, '$skip') ?? 0;
    const size = top !== undefined ? Math.max(1, top) : ctx.pageSize;
    const value = items.slice(skip, skip + size);
    const body: Json = { '@odata.context': contextUrl, value };
    if (skip + size < items.length) {
      const kept = [...query.entries()].filter(([k]) => !sameName(k, '$skip') && !sameName(k, '$top'));
      const paging: Array<[string, string]> = [...(top !== undefined ? [['$top', String(top)] as [string, string]] : []), ['$skip', String(skip + size)]];
      const qs = [...kept.map(([k, v]) => `${k}=${encodeURIComponent(v)}`), ...paging.map(([k, v]) => `${k}=${v}`)].join('&');
      body['@odata.nextLink'] = `${origin}${rawPath}?${qs}`;
    }
    return { status: 200, body };
  }

  function definitionBody(id: string): Json {
    return { ...directory().findDefinition(id) };
  }

  function configurationBody(a: DirectoryAlertRecord, expandDefinition: boolean): Json {
    const { '@odata.type': type, isEnabled, ...settings } = a.configuration;
    return {
      '@odata.type': type,
      id: a.id,
      alertDefinitionId: a.id,
      scopeType: 'DirectoryRole',
      scopeId: '/',
      isEnabled,
      ...settings,
      ...(expandDefinition ? { alertDefinition: definitionBody(a.id) } : {}),
    };
  }

  function incidentBody(i: DirectoryIncidentRecord): Json {
    return { ...i };
  }

  function alertBody(a: DirectoryAlertRecord, expand: Relationship[], origin: string): Json {
    const body: Json = {
      id: a.id,
      alertDefinitionId: a.id,
      scopeId: '/',
      scopeType: 'DirectoryRole',
      incidentCount: a.incidents.length,
      isActive: a.isActive,
      lastModifiedDateTime: a.lastModifiedDateTime,
      lastScannedDateTime: a.lastScannedDateTime,
    };
    for (const r of expand) {
      if (r === 'alertDefinition') body.alertDefinition = definitionBody(a.id);
      if (r === 'alertConfiguration') body.alertConfiguration = configurationBody(a, false);
      if (r === 'alertIncidents') {
        body['alertIncidents@odata.context'] = context(origin, `identityGovernance/roleManagementAlerts/alerts('${a.id}')/alertIncidents`);
        body.alertIncidents = a.incidents.map(incidentBody);
      }
    }
    return body;
  }

  function alertsContext(origin: string, expand: Relationship[]): string {
    return context(origin, `identityGovernance/roleManagementAlerts/alerts${expand.length ? `(${expand.map((r) => `${r}()`).join(',')})` : ''}`);
  }

  function operationUrl(origin: string, id: string): string {
    return `${origin}/beta/identityGovernance/roleManagementAlerts/operations/${id}`;
  }

  function operationBody(view: DirectoryOperationView, origin: string): Json {
    const { record } = view;
    const failed = record.outcomes.filter((o) => o.failed).map((o) => o.alertId.split('_').pop());
    return {
      '@odata.context': context(origin, 'identityGovernance/roleManagementAlerts/operations/$entity'),
      id: record.id,
      createdDateTime: graphTimestamp(record.createdAt),
      lastActionDateTime: graphTimestamp(view.lastActionAt),
      // The alert's URL once the scan succeeded, else the empty string (as the examples show).
      resourceLocation:
        view.status === 'succeeded' ? `${origin}/beta/identityGovernance/roleManagementAlerts/alerts${record.alertId ? `/${record.alertId}` : ''}` : '',
      status: view.status,
      statusDetail: view.status === 'failed' ? `The scan of ${failed.join(', ')} failed.` : '',
    };
  }

  function alertsRoute(req: GraphRequest, rest: string[], origin: string): GraphReply {
    const d = directory();
    const { method, query } = req;
    const [collection, id, sub, incidentId, action] = rest;
    const alertsBase = 'identityGovernance/roleManagementAlerts';

    if (collection !== undefined && sameName(collection, 'alerts')) {
      if (id === undefined) {
        if (method !== 'GET') throw methodNotAllowed(method, 'GET');
        allowOptions(query, ['$filter', '$expand', '$top', '$skip']);
        const { isEnabled } = parseScopeFilter(option(query, '$filter'), true);
        const expand = parseExpand(option(query, '$expand'), RELATIONSHIPS);
        d.settle();
        const items = d.alerts.filter((a) => isEnabled === undefined || a.configuration.isEnabled === isEnabled).map((a) => alertBody(a, expand, origin));
        return page(items, origin, req.rawPath, query, alertsContext(origin, expand));
      }
      if (sameName(id, 'refresh') && sub === undefined && method === 'POST') {
        allowOptions(query, []);
        const body = parseJsonBody(req.bodyText) as Json;
        if (typeof body !== 'object' || body === null || body['scopeId'] !== '/' || body['scopeType'] !== 'DirectoryRole' || Object.keys(body).length !== 2) {
          throw badRequest('Refreshing every alert needs the body { "scopeId": "/", "scopeType": "DirectoryRole" }.');
        }
        return refreshReply(d.startRefresh(undefined, ctx.failRefreshFor()), origin);
      }
      const alert = d.findAlert(id);
      if (sub === undefined) {
        if (method === 'GET') {
          allowOptions(query, ['$expand']);
          const expand = parseExpand(option(query, '$expand'), RELATIONSHIPS);
          return { status: 200, body: { '@odata.context': `${alertsContext(origin, expand)}/$entity`, ...alertBody(alert, expand, origin) } };
        }
        if (method === 'PATCH') {
          allowOptions(query, []);
          validateDirectoryAlertUpdate(parseJsonBody(req.bodyText));
          d.dismiss(alert);
          return { status: 204 };
        }
        throw methodNotAllowed(method, 'GET, PATCH');
      }
      if (sameName(sub, 'refresh') && incidentId === undefined) {
        if (method !== 'POST') throw methodNotAllowed(method, 'POST');
        allowOptions(query, []);
        if (req.bodyText.trim() !== '') throw badRequest('Refreshing one alert takes no request body.');
        return refreshReply(d.startRefresh(alert, ctx.failRefreshFor()), origin);
      }
      if (sameName(sub, 'alertIncidents')) {
        const incidentsContext = `${alertsBase}/alerts('${alert.id}')/alertIncidents`;
        if (incidentId === undefined) {
          if (method !== 'GET') throw methodNotAllowed(method, 'GET');
          allowOptions(query, ['$top', '$skip']);
          return page(alert.incidents.map(incidentBody), origin, req.rawPath, query, context(origin, incidentsContext));
        }
        const incident = d.findIncident(alert, incidentId);
        if (action === undefined) {
          if (method !== 'GET') throw methodNotAllowed(method, 'GET');
          allowOptions(query, []);
          return { status: 200, body: { '@odata.context': context(origin, `${incidentsContext}/$entity`), ...incidentBody(incident) } };
        }
        if (sameName(action, 'remediate') && rest.length === 5) {
          if (method !== 'POST') throw methodNotAllowed(method, 'POST');
          allowOptions(query, []);
          d.remediate(alert, incident.id);
          return { status: 200 };
        }
      }
      throw notFound(`The path '${req.rawPath}' is not a resource or action of a directory alert.`);
    }

    if (collection !== undefined && sameName(collection, 'alertConfigurations') && rest.length <= 2) {
      if (id === undefined) {
        if (method !== 'GET') throw methodNotAllowed(method, 'GET');
        allowOptions(query, ['$filter', '$expand', '$top', '$skip']);
        parseScopeFilter(option(query, '$filter'), false);
        const expand = parseExpand(option(query, '$expand'), ['alertDefinition']);
        d.settle();
        const suffix = expand.length ? '(alertDefinition())' : '';
        return page(d.alerts.map((a) => configurationBody(a, expand.length > 0)), origin, req.rawPath, query, context(origin, `${alertsBase}/alertConfigurations${suffix}`));
      }
      let alert: DirectoryAlertRecord;
      try {
        alert = d.findAlert(id);
      } catch {
        throw notFound(`The alert configuration '${id}' was not found in this tenant; list the configurations to see their ids.`);
      }
      if (method === 'GET') {
        allowOptions(query, ['$expand']);
        const expand = parseExpand(option(query, '$expand'), ['alertDefinition']);
        const suffix = expand.length ? '(alertDefinition())' : '';
        return { status: 200, body: { '@odata.context': context(origin, `${alertsBase}/alertConfigurations${suffix}/$entity`), ...configurationBody(alert, expand.length > 0) } };
      }
      if (method === 'PATCH') {
        allowOptions(query, []);
        d.updateConfiguration(alert, validateDirectoryConfigurationUpdate(alert.kind, parseJsonBody(req.bodyText)));
        return { status: 204 };
      }
      throw methodNotAllowed(method, 'GET, PATCH');
    }

    if (collection !== undefined && sameName(collection, 'alertDefinitions') && rest.length <= 2) {
      if (method !== 'GET') throw methodNotAllowed(method, 'GET');
      if (id === undefined) {
        allowOptions(query, ['$filter', '$top', '$skip']);
        parseScopeFilter(option(query, '$filter'), false);
        return page(d.definitions.map((x) => ({ ...x })), origin, req.rawPath, query, context(origin, `${alertsBase}/alertDefinitions`));
      }
      allowOptions(query, []);
      return { status: 200, body: { '@odata.context': context(origin, `${alertsBase}/alertDefinitions/$entity`), ...definitionBody(id) } };
    }

    if (collection !== undefined && sameName(collection, 'operations') && id !== undefined && rest.length === 2) {
      if (method !== 'GET') throw methodNotAllowed(method, 'GET');
      allowOptions(query, []);
      return { status: 200, body: operationBody(d.findOperation(id), origin) };
    }

    throw notFound(`The path '${req.rawPath}' is not a resource of identityGovernance/roleManagementAlerts.`);
  }

  function refreshReply(view: DirectoryOperationView, origin: string): GraphReply {
    // 202 with a Location and no body, as the docs show; Retry-After is not documented but harmless.
    return { status: 202, headers: { Location: operationUrl(origin, view.record.id), 'Retry-After': ctx.refreshRetryAfterSeconds } };
  }

  function rolesRoute(req: GraphRequest, rest: string[], origin: string): GraphReply {
    const d = directory();
    const [collection] = rest;
    if (rest.length !== 1 || collection === undefined) throw notFound(`The path '${req.rawPath}' is not a directory role resource this simulator serves.`);
    if (req.method !== 'GET') throw methodNotAllowed(req.method, 'GET');
    if (sameName(collection, 'transitiveRoleAssignments')) {
      // The docs: without ConsistencyLevel: eventual this listing answers 404.
      const consistency = req.headers['consistencylevel'];
      if ((Array.isArray(consistency) ? consistency[0] : consistency)?.toLowerCase() !== 'eventual') {
        throw notFound("transitiveRoleAssignments needs the request header ConsistencyLevel: eventual (and $count=true).");
      }
      allowOptions(req.query, ['$filter', '$count', '$top', '$skip']);
      const principal = parsePrincipalFilter(option(req.query, '$filter'));
      const ids = ctx.memberships(principal);
      const items = d.roleAssignments
        .filter((a) => ids.has(a.principalId.toLowerCase()))
        .map((a) => ({ id: a.id, principalId: a.principalId, directoryScopeId: a.directoryScopeId, roleDefinitionId: a.roleDefinitionId }));
      return page(items, origin, req.rawPath, req.query, context(origin, 'roleManagement/directory/transitiveRoleAssignments'));
    }
    if (sameName(collection, 'roleAssignments')) {
      allowOptions(req.query, ['$filter', '$top', '$skip']);
      const principal = parsePrincipalFilter(option(req.query, '$filter'));
      const items = d.roleAssignments
        .filter((a) => sameName(a.principalId, principal))
        .map((a) => ({ id: a.id, principalId: a.principalId, resourceScope: a.directoryScopeId, directoryScopeId: a.directoryScopeId, roleDefinitionId: a.roleDefinitionId }));
      return page(items, origin, req.rawPath, req.query, context(origin, 'roleManagement/directory/roleAssignments'));
    }
    throw notFound(`The path '${req.rawPath}' is not a directory role resource this simulator serves.`);
  }

  return {
    handle(req: GraphRequest, origin: string): GraphReply {
      const segments = pathSegments(req.rawPath);
      const [version, ...rest] = segments;
      if (version === undefined || version !== 'beta') {
        throw notFound(`The PIM alerts API of directory roles exists only in Graph beta: use /beta, not /${version ?? ''}.`);
      }
      const contentType = req.headers['content-type'];
      const ct = Array.isArray(contentType) ? contentType[0] : contentType;
      if (req.bodyText.length > 0 && ct !== undefined && !/^application\/json\b/i.test(ct)) {
        throw new ArmError(415, 'UnsupportedMediaType', `The content type '${ct}' is not supported; send application/json.`);
      }
      if (startsWith(rest, ALERTS_ROOT)) return alertsRoute(req, rest.slice(ALERTS_ROOT.length), origin);
      if (startsWith(rest, ROLES_ROOT)) return rolesRoute(req, rest.slice(ROLES_ROOT.length), origin);
      throw notFound(`The path '${req.rawPath}' is not a Graph resource this simulator serves.`);
    },
  };
}

function methodNotAllowed(method: string, allow: string): ArmError {
  return new ArmError(405, 'MethodNotAllowed', `The method '${method}' is not allowed here; use ${allow}.`, { Allow: allow });
}
