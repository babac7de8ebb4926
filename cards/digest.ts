// The scheduled digest: what is active now, with what changed since the last digest marked — new
// alerts, new incidents under alerts that were already there, and a "resolved" line per scope.
// A digest posts into a conversation unasked, so it is kept short: scopes with nothing to say are
// folded into one line, and when the card is over the size budget alerts per scope and then scopes
// are cut with "and N more" pointing at `alerts`, like the summary.
import type { Alert } from '../bot/azure/models';
import type { DigestDiff } from '../bot/digest/diff';
import { executeAction, type ActionVm, type CardContext, type Severity } from './actions';
import {
  SEVERITIES,
  asOfText,
  normaliseScope,
  normaliseSeverity,
  untrustedSentence,
  plural,
  scopeIdLine,
  severityColor,
  severityBadge,
  truncate,
  type TextColor,
} from './format';
import { footerVm, renderCard, type AdaptiveCardJson, type FooterVm } from './render';
import { MAX_CARD_CHARS, TEXT_LIMITS, fitsCard, largestFitting } from './size';
import { compareAlerts, incidentCountOf, totalsBySeverity } from './summary';
import { untrustedText } from './text';

export interface DigestScopeInput {
  /** Normalised scope id, e.g. `subscriptions/<guid>`. */
  scope: string;
  displayName?: string;
  /** Every alert the scope returned (inactive ones too: they name the resolved alerts). */
  alerts?: Alert[];
  /** Why the scope could not be read. */
  error?: string;
  /** When the service answered (ms since the epoch); the card says "as of" the oldest. */
  readAt?: number;
}

export interface DigestInput {
  scopes: DigestScopeInput[];
  /** What changed since the last digest; absent for a preview without a baseline. */
  diff?: DigestDiff;
  /** The schedule, e.g. "daily at 09:00". */
  label: string;
  severity?: Severity;
  /** No active alerts (matching the severity) on the scopes that could be read. */
  allClear: boolean;
}

export interface DigestOptions {
  maxChars?: number;
}

/** Alerts kept per scope before whole scopes are cut. */
const MIN_ALERTS_PER_SCOPE = 3;

export interface DigestAlertVm {
  name: string;
  severity: string;
  severityColor: TextColor;
  isNew: boolean;
  meta: string;
  actions: ActionVm[];
}

export interface DigestScopeVm {
  title: string;
  id: string;
  showId: boolean;
  hasError: boolean;
  errorText: string;
  showEmpty: boolean;
  emptyText: string;
  alerts: DigestAlertVm[];
  hasMore: boolean;
  moreText: string;
  hasResolved: boolean;
  resolvedText: string;
}

export interface DigestVm extends FooterVm {
  fallbackText: string;
  title: string;
  subtitle: string;
  totals: Array<{ label: string; count: string; color: TextColor }>;
  hasChanges: boolean;
  changesText: string;
  changesColor: TextColor;
  isAllClear: boolean;
  allClearText: string;
  notes: Array<{ text: string }>;
  scopes: DigestScopeVm[];
  hasMoreScopes: boolean;
  moreScopesText: string;
}

const key = (s: string) => normaliseScope(s).toLowerCase();

function alertName(alert: Alert): string {
  return alert.properties.alertDefinition?.properties.displayName?.trim() || alert.name;
}

function alertSeverity(alert: Alert): string | undefined {
  return alert.properties.alertDefinition?.properties.severityLevel;
}

interface PreparedAlert {
  alert: Alert;
  isNew: boolean;
  newIncidents: number;
  countChanged: boolean;
}

interface PreparedScope {
  input: DigestScopeInput;
  /** The scope's name as the card shows it (escaped). */
  label: string;
  alerts: PreparedAlert[];
  resolvedText: string;
  /** Worth a section: alerts, an error or something resolved. */
  hasNews: boolean;
}

function prepareScope(s: DigestScopeInput, diff: DigestDiff | undefined, severity: Severity | undefined): PreparedScope {
  const k = key(s.scope);
  const mine = <T extends { scope: string }>(list: readonly T[] | undefined): T[] => (list ?? []).filter((x) => key(x.scope) === k);
  const newAlerts = new Set(mine(diff?.newAlerts).map((a) => a.alertId.toLowerCase()));
  const changed = new Set(mine(diff?.changedCounts).map((a) => a.alertId.toLowerCase()));
  const newIncidents = new Map<string, number>();
  for (const i of mine(diff?.newIncidents)) newIncidents.set(i.alertId.toLowerCase(), (newIncidents.get(i.alertId.toLowerCase()) ?? 0) + 1);

  const all = s.error !== undefined ? [] : (s.alerts ?? []);
  const nameOf = (alertId: string) => {
    const found = all.find((a) => a.name.toLowerCase() === alertId.toLowerCase());
    return untrustedText(found ? alertName(found) : alertId, TEXT_LIMITS.name);
  };
  const alerts = all
    .filter((a) => a.properties.isActive !== false && (severity === undefined || normaliseSeverity(alertSeverity(a)) === severity))
    .map((alert) => {
      const id = alert.name.toLowerCase();
      return { alert, isNew: newAlerts.has(id), newIncidents: newIncidents.get(id) ?? 0, countChanged: changed.has(id) };
    })
    // What changed comes first, so a cut never hides the news; then worst first as everywhere.
    .sort((a, b) => Number(b.isNew || b.newIncidents > 0) - Number(a.isNew || a.newIncidents > 0) || compareAlerts(a.alert, b.alert));

  const resolved: string[] = mine(diff?.resolvedAlerts).map((a) => nameOf(a.alertId));
  const resolvedIncidents = new Map<string, number>();
  for (const i of mine(diff?.resolvedIncidents)) resolvedIncidents.set(i.alertId, (resolvedIncidents.get(i.alertId) ?? 0) + 1);
  for (const [alertId, n] of resolvedIncidents) resolved.push(`${plural(n, 'incident')} of ${nameOf(alertId)}`);
  // The names are escaped already; cutting escaped text only drops its end, so nothing unescapes.
  const resolvedText = resolved.length ? truncate(`Resolved since the last digest: ${resolved.join('; ')}.`, TEXT_LIMITS.paragraph) : '';

  return {
    input: s,
    label: untrustedText(s.displayName?.trim() || s.scope, TEXT_LIMITS.name),
    alerts,
    resolvedText,
    hasNews: s.error !== undefined || alerts.length > 0 || resolvedText !== '',
  };
}

function alertVm(p: PreparedAlert, scope: string, ctx: CardContext): DigestAlertVm {
  const count = incidentCountOf(p.alert);
  const meta = [plural(count, 'incident')];
  if (!p.isNew && p.newIncidents > 0) meta.push(`+${plural(p.newIncidents, 'new incident')}`);
  if (p.countChanged) meta.push('incident count changed');
  return {
    name: untrustedText(alertName(p.alert), TEXT_LIMITS.name),
    severity: severityBadge(alertSeverity(p.alert)),
    severityColor: severityColor(alertSeverity(p.alert)),
    isNew: p.isNew,
    meta: meta.join(' · '),
    actions: [
      executeAction(ctx, 'Details', { verb: 'details', scope, alertId: p.alert.name }),
      executeAction(ctx, 'Refresh', { verb: 'refreshConfirm', scope, alertId: p.alert.name }),
    ],
  };
}

function scopeVm(s: PreparedScope, cap: number, severity: Severity | undefined, ctx: CardContext, rows: Map<PreparedAlert, DigestAlertVm>): DigestScopeVm {
  const scope = normaliseScope(s.input.scope);
  const shown = s.alerts.slice(0, cap);
  const more = s.alerts.length - shown.length;
  const hasError = s.input.error !== undefined;
  return {
    title: s.label,
    id: untrustedText(scopeIdLine(scope), TEXT_LIMITS.name),
    showId: true,
    hasError,
    errorText: hasError ? `⚠ Could not read ${s.label}: ${untrustedSentence(s.input.error ?? '', TEXT_LIMITS.sentence)}` : '',
    showEmpty: !hasError && s.alerts.length === 0,
    emptyText: severity ? `No active ${severity} alerts` : 'No active alerts',
    alerts: shown.map((a) => {
      let row = rows.get(a);
      if (!row) {
        row = alertVm(a, scope, ctx);
        rows.set(a, row);
      }
      return row;
    }),
    hasMore: more > 0,
    moreText: more > 0 ? `and ${plural(more, 'more alert')} — type \`alerts ${scope}${severity ? ` severity ${severity.toLowerCase()}` : ''}\` to see them` : '',
    hasResolved: s.resolvedText !== '',
    resolvedText: s.resolvedText,
  };
}

function changesLine(diff: DigestDiff | undefined): { text: string; color: TextColor } | undefined {
  if (!diff) return undefined;
  if (diff.first) return { text: 'First digest of this subscription: the next ones mark what changed since this one.', color: 'default' };
  if (!diff.changed) return { text: 'No changes since the last digest.', color: 'default' };
  const parts: string[] = [];
  if (diff.newAlerts.length) parts.push(plural(diff.newAlerts.length, 'new alert'));
  if (diff.newIncidents.length) parts.push(plural(diff.newIncidents.length, 'new incident'));
  if (diff.resolvedAlerts.length) parts.push(plural(diff.resolvedAlerts.length, 'resolved alert'));
  if (diff.resolvedIncidents.length) parts.push(plural(diff.resolvedIncidents.length, 'resolved incident'));
  if (diff.changedCounts.length) parts.push(`${plural(diff.changedCounts.length, 'alert')} with a changed incident count`);
  const grew = diff.newAlerts.length + diff.newIncidents.length > 0;
  return { text: `Since the last digest: ${parts.join(', ')}.`, color: grew ? 'attention' : 'default' };
}

/** The digest's view model, cut to fit the size budget. */
export function buildDigestView(input: DigestInput, ctx: CardContext, options: DigestOptions = {}): DigestVm {
  const maxChars = options.maxChars ?? MAX_CARD_CHARS;
  const severity = input.severity;
  const prepared = input.scopes.map((s) => prepareScope(s, input.diff, severity));
  const readable = input.scopes.filter((s) => s.error === undefined);
  const failed = input.scopes.length - readable.length;
  const totals = totalsBySeverity(input.scopes);
  const active = prepared.reduce((n, s) => n + s.alerts.length, 0);
  const change = changesLine(input.diff);

  const quiet = prepared.filter((s) => !s.hasNews);
  const loud = prepared.filter((s) => s.hasNews);
  const notes: DigestVm['notes'] = [];
  if (input.scopes.length === 0) notes.push({ text: 'No scopes are configured yet; an admin adds them in the bot configuration.' });
  if (severity) notes.push({ text: `Showing ${severity} alerts only; the totals count every severity.` });
  if (failed > 0) notes.push({ text: `The totals leave out ${plural(failed, 'scope')} that could not be read.` });
  if (!input.allClear && quiet.length > 0) {
    const names = quiet.slice(0, 5).map((s) => s.label);
    const rest = quiet.length - names.length;
    notes.push({ text: `No active${severity ? ` ${severity}` : ''} alerts on ${names.join(', ')}${rest > 0 ? ` and ${plural(rest, 'more scope')}` : ''}.` });
  }

  const totalsVm: DigestVm['totals'] = SEVERITIES.map((s) => ({ label: severityBadge(s), count: String(totals[s]), color: severityColor(s) }));
  if (totals.Other > 0) totalsVm.push({ label: 'Other', count: String(totals.Other), color: 'default' });
  const subtitle = [
    untrustedText(input.label, TEXT_LIMITS.name),
    plural(input.scopes.length, 'scope'),
    asOfText(input.scopes.map((s) => s.readAt), ctx),
  ].join(' · ');
  const allClearText = `No active${severity ? ` ${severity}` : ''} PIM alerts on the ${plural(readable.length, 'scope')} watched${failed > 0 ? ` that could be read` : ''}.`;
  const fallbackText = input.allClear
    ? `PIM alerts digest: ${allClearText}`
    : `PIM alerts digest: ${plural(active, 'active alert')}${change && input.diff?.changed ? `; ${change.text}` : '.'}`;

  const rows = new Map<PreparedAlert, DigestAlertVm>();
  const layout = (count: number, cap: number): DigestVm => {
    const sections = loud.slice(0, count).map((s) => scopeVm(s, cap, severity, ctx, rows));
    const rest = loud.slice(count);
    const restAlerts = rest.reduce((n, s) => n + s.alerts.length, 0);
    return {
      ...footerVm(ctx.localRunNote),
      fallbackText,
      title: `PIM alerts digest${severity ? ` (${severity} only)` : ''}`,
      subtitle,
      totals: totalsVm,
      hasChanges: change !== undefined,
      changesText: change?.text ?? '',
      changesColor: change?.color ?? 'default',
      isAllClear: input.allClear,
      allClearText: input.allClear ? allClearText : '',
      notes,
      scopes: sections,
      hasMoreScopes: rest.length > 0,
      moreScopesText:
        rest.length > 0 ? `and ${plural(rest.length, 'more scope')} with ${plural(restAlerts, 'active alert')} — type \`alerts\` to see them all` : '',
    };
  };
  const fits = (vm: DigestVm) => fitsCard(renderCard('digest', vm), maxChars);

  const maxCap = Math.max(0, ...loud.map((s) => s.alerts.length));
  const minCap = Math.min(MIN_ALERTS_PER_SCOPE, maxCap);
  if (fits(layout(loud.length, minCap))) {
    return layout(loud.length, largestFitting(minCap, maxCap, (c) => fits(layout(loud.length, c))));
  }
  const count = largestFitting(1, loud.length, (n) => fits(layout(n, minCap)));
  if (count < 1) return layout(1, Math.max(0, largestFitting(0, minCap, (c) => fits(layout(1, c)))));
  return layout(count, largestFitting(minCap, maxCap, (c) => fits(layout(count, c))));
}

export function buildDigestCard(input: DigestInput, ctx: CardContext, options: DigestOptions = {}): AdaptiveCardJson {
  return renderCard('digest', buildDigestView(input, ctx, options));
}
