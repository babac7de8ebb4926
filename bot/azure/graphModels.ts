// Microsoft Graph's PIM alerts for Entra ID directory roles (beta,
// identityGovernance/roleManagementAlerts; examples in test/fixtures/graph) mapped into the bot's one
// model (./models.ts), so that cards, digests, the audit log and the handlers never care which API
// an alert came from. Graph's objects are flat and lower case; the mapping:
// - `name` is the Graph id (`DirectoryRole_{tenantId}_{AlertName}` for alerts, a GUID for
//   incidents), `id` the resource path, `type` the Graph type;
// - `properties.scope` is the bot's scope key `directory` (Graph: scopeId '/', scopeType
//   'DirectoryRole');
// - a configuration's and an incident's kind is its `@odata.type` without `#microsoft.graph.`
//   (`tooManyGlobalAdminsAssignedToTenantAlertConfiguration`), in `alertConfigurationType` /
//   `alertIncidentType`; the client puts it back as `@odata.type` when it writes;
// - severities get ARM's casing (low → Low); others (informational, unknown) are kept as sent;
// - texts are made plain: Graph's `howToPrevent` may hold HTML links, its steps are run together
//   with `·` bullets, and descriptions carry `{0}`/`{1}` placeholders (filled in from the alert's
//   incident count and configured days when the alert brings them);
// - `lastModifiedDateTime` of a never-raised alert is the sentinel 0001-01-01T08:00:00Z: left out.
// Graph data is untrusted like any input: a member of the wrong JSON type is dropped, an item
// without an id is skipped.
import type { Alert, AlertConfiguration, AlertDefinition, AlertIncident, AlertOperationResult } from './models';
import { describeDuration, durationSeconds } from './duration';
import { DIRECTORY_SCOPE } from './validate';

type Json = Record<string, unknown>;

export const GRAPH_TYPE_PREFIX = '#microsoft.graph.';
/** Path of the alerts singleton under the Graph version. */
export const ROLE_MANAGEMENT_ALERTS = 'identityGovernance/roleManagementAlerts';

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Json, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
}

function bool(o: Json, key: string): boolean | undefined {
  const v = o[key];
  return typeof v === 'boolean' ? v : undefined;
}

function int(o: Json, key: string): number | undefined {
  const v = o[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Drops undefined members, so a mapped object carries only what the service sent. */
function defined<T extends Json>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The kind in `@odata.type`, without `#microsoft.graph.`; undefined without one. */
export function graphKind(o: Json): string | undefined {
  const t = str(o, '@odata.type');
  if (t === undefined) return undefined;
  return t.startsWith(GRAPH_TYPE_PREFIX) ? t.slice(GRAPH_TYPE_PREFIX.length) : t.replace(/^#/, '');
}

export function severityFromGraph(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const canonical: Record<string, string> = { low: 'Low', medium: 'Medium', high: 'High' };
  return canonical[value.trim().toLowerCase()] ?? value;
}

/** An ISO time, or undefined for Graph's year-1 "never" sentinel and anything unparsable. */
function time(o: Json, key: string): string | undefined {
  const v = str(o, key);
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) && new Date(t).getUTCFullYear() > 1900 ? v : undefined;
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&nbsp;': ' ' };

/**
 * Plain text from Graph's texts: `<a href="u">text</a>` becomes `text (u)`, other tags go, common
 * entities are decoded, and `·`-separated steps go on lines of their own. A linear scan (no
 * backtracking regex over the whole text), since the text comes from outside.
 */
export function plainText(raw: string): string {
  let out = '';
  let href: string | undefined;
  let i = 0;
  while (i < raw.length) {
    const lt = raw.indexOf('<', i);
    if (lt < 0) {
      out += raw.slice(i);
      break;
    }
    out += raw.slice(i, lt);
    const gt = raw.indexOf('>', lt);
    if (gt < 0) {
      out += raw.slice(lt);
      break;
    }
    const tag = raw.slice(lt + 1, gt).trim();
    if (/^a\s/i.test(tag)) {
      href = /\bhref\s*=\s*"([^"]*)"/i.exec(tag)?.[1] ?? /\bhref\s*=\s*'([^']*)'/i.exec(tag)?.[1];
    } else if (/^\/a$/i.test(tag)) {
      if (href) out += ` (${href})`;
      href = undefined;
    } else if (/^br\s*\/?$/i.test(tag)) {
      out += '\n';
    }
    i = gt + 1;
  }
  out = out.replace(/&(?:amp|lt|gt|quot|#39|nbsp);/g, (e) => ENTITIES[e] ?? e);
  const steps = out.split('·').map((s) => s.trim()).filter((s) => s !== '');
  return steps.length > 1 ? steps.map((s) => `· ${s}`).join('\n') : out.replace(/·/g, '').trim();
}

export interface DefinitionContext {
  /** The alert's incident count, for `{0}`. */
  incidentCount?: number;
  /** The alert's configuration, whose duration in days fills `{1}`. */
  configuration?: AlertConfiguration;
}

function fillPlaceholders(text: string, ctx: DefinitionContext): string {
  const duration = durationSeconds((ctx.configuration?.properties as Json | undefined)?.['duration']);
  const values: Record<string, string | undefined> = {
    '0': ctx.incidentCount === undefined ? undefined : String(ctx.incidentCount),
    '1': duration === undefined ? undefined : duration % 86_400 === 0 ? String(duration / 86_400) : describeDuration(duration),
  };
  return text.replace(/\{([01])\}/g, (m, n: string) => values[n] ?? m);
}

function text(o: Json, key: string, ctx?: DefinitionContext): string | undefined {
  const v = str(o, key);
  if (v === undefined) return undefined;
  const plain = plainText(v);
  return ctx ? fillPlaceholders(plain, ctx) : plain;
}

export function definitionFromGraph(raw: unknown, ctx: DefinitionContext = {}): AlertDefinition | undefined {
  if (!isObject(raw)) return undefined;
  const id = str(raw, 'id');
  if (!id) return undefined;
  return {
    id: `/${ROLE_MANAGEMENT_ALERTS}/alertDefinitions/${id}`,
    name: id,
    type: 'microsoft.graph.unifiedRoleManagementAlertDefinition',
    properties: defined({
      displayName: str(raw, 'displayName'),
      scope: DIRECTORY_SCOPE,
      description: text(raw, 'description', ctx),
      severityLevel: severityFromGraph(raw['severityLevel']),
      securityImpact: text(raw, 'securityImpact'),
      mitigationSteps: text(raw, 'mitigationSteps'),
      howToPrevent: text(raw, 'howToPrevent'),
      isRemediatable: bool(raw, 'isRemediatable'),
      isConfigurable: bool(raw, 'isConfigurable'),
    }),
  };
}

/** Members of a Graph configuration that are not settings of its kind. */
const CONFIGURATION_BASE = new Set(['id', 'alertDefinitionId', 'scopeId', 'scopeType', 'isEnabled', 'alertDefinition']);

export function configurationFromGraph(raw: unknown): AlertConfiguration | undefined {
  if (!isObject(raw)) return undefined;
  const id = str(raw, 'id');
  if (!id) return undefined;
  const kind = graphKind(raw) ?? 'unifiedRoleManagementAlertConfiguration';
  // The settings of the kind (thresholds, durations) are kept as sent, plain values only.
  const settings = Object.fromEntries(
    Object.entries(raw).filter(([k, v]) => !k.includes('@') && !CONFIGURATION_BASE.has(k) && ['string', 'number', 'boolean'].includes(typeof v)),
  );
  return {
    id: `/${ROLE_MANAGEMENT_ALERTS}/alertConfigurations/${id}`,
    name: id,
    type: `microsoft.graph.${kind}`,
    properties: defined({
      ...settings,
      alertConfigurationType: kind,
      alertDefinitionId: str(raw, 'alertDefinitionId') ?? id,
      scope: DIRECTORY_SCOPE,
      isEnabled: bool(raw, 'isEnabled'),
      alertDefinition: definitionFromGraph(raw['alertDefinition']),
    }) as AlertConfiguration['properties'],
  };
}

export function incidentFromGraph(raw: unknown, alertId: string): AlertIncident | undefined {
  if (!isObject(raw)) return undefined;
  const id = str(raw, 'id');
  if (!id) return undefined;
  const kind = graphKind(raw) ?? 'unifiedRoleManagementAlertIncident';
  const fields = Object.fromEntries(Object.entries(raw).filter(([k, v]) => !k.includes('@') && k !== 'id' && ['string', 'number', 'boolean'].includes(typeof v)));
  return {
    id: `/${ROLE_MANAGEMENT_ALERTS}/alerts/${alertId}/alertIncidents/${id}`,
    name: id,
    type: `microsoft.graph.${kind}`,
    properties: { ...fields, alertIncidentType: kind } as AlertIncident['properties'],
  };
}

export function alertFromGraph(raw: unknown): Alert | undefined {
  if (!isObject(raw)) return undefined;
  const id = str(raw, 'id');
  if (!id) return undefined;
  const alertConfiguration = configurationFromGraph(raw['alertConfiguration']);
  const alertIncidents = Array.isArray(raw['alertIncidents'])
    ? raw['alertIncidents'].map((i) => incidentFromGraph(i, id)).filter((i): i is AlertIncident => i !== undefined)
    : undefined;
  const incidentCount = int(raw, 'incidentCount') ?? alertIncidents?.length;
  return {
    id: `/${ROLE_MANAGEMENT_ALERTS}/alerts/${id}`,
    name: id,
    type: 'microsoft.graph.unifiedRoleManagementAlert',
    properties: defined({
      scope: DIRECTORY_SCOPE,
      isActive: bool(raw, 'isActive'),
      incidentCount,
      lastModifiedDateTime: time(raw, 'lastModifiedDateTime'),
      lastScannedDateTime: time(raw, 'lastScannedDateTime'),
      alertDefinition: definitionFromGraph(raw['alertDefinition'], { incidentCount, configuration: alertConfiguration }),
      alertIncidents,
      alertConfiguration,
    }),
  };
}

/** A longRunningOperation: the six members both APIs share (status in Graph's lower case, compared case-insensitively). */
export function operationFromGraph(raw: unknown): AlertOperationResult | undefined {
  if (!isObject(raw)) return undefined;
  return defined({
    id: str(raw, 'id'),
    status: str(raw, 'status'),
    statusDetail: str(raw, 'statusDetail'),
    createdDateTime: str(raw, 'createdDateTime'),
    lastActionDateTime: str(raw, 'lastActionDateTime'),
    resourceLocation: str(raw, 'resourceLocation'),
  });
}
