// The alerts summary: totals of active alerts by severity, then each scope's active alerts, worst
// first. When everything does not fit in one Teams message, the builder measures the rendered card
// and cuts alerts per scope (pointing at `alerts <scope>`), then scopes (with a Next page button).
// Like the detail card it carries a status banner (after a scope-wide action) and a confirm step
// (before one); while confirming, only Confirm and Cancel are offered so nothing else is clicked by
// mistake.
import type { Alert } from '../bot/azure/models';
import { executeAction, type ActionPayload, type ActionVm, type CardContext, type Severity } from './actions';
import type { ConfirmInput } from './detail';
import {
  SEVERITIES,
  asOfText,
  bannerVm,
  formatWhen,
  normaliseSeverity,
  untrustedSentence,
  plural,
  scopeIdLine,
  severityColor,
  severityBadge,
  severityRank,
  type BannerInput,
  type BannerVm,
  type TextColor,
} from './format';
import { footerVm, renderCard, type AdaptiveCardJson, type FooterVm } from './render';
import { MAX_CARD_CHARS, TEXT_LIMITS, fitsCard, largestFitting } from './size';
import { untrustedText } from './text';

export interface SummaryScopeInput {
  /** Normalised scope id, e.g. `subscriptions/<guid>`. */
  scope: string;
  displayName?: string;
  /** What a person types to name this scope (e.g. its position "2"); the scope id when absent. */
  ref?: string;
  alerts?: Alert[];
  /** Why the scope could not be read; the card shows it as a warning row. */
  error?: string;
  /** When the service answered (ms since the epoch); the card says "as of" the oldest. */
  readAt?: number;
}

export interface SummaryInput {
  scopes: SummaryScopeInput[];
  filter?: { severity?: Severity };
  /** 1-based. With one scope it pages that scope's alerts, with several it pages the scopes. */
  page?: number;
  /** A status line above the title, e.g. "Refreshing — started by Megan Bowen at 10:02". */
  banner?: BannerInput;
  /** The confirm step of a scope-wide action (e.g. refresh every alert of a scope). */
  confirm?: ConfirmInput;
}

export interface SummaryOptions {
  /** Size budget in UTF-16 units; MAX_CARD_CHARS unless a test wants a small one. */
  maxChars?: number;
}

/** Alerts shown per scope before scopes move to the next page: fewer would hide too much of each. */
export const MIN_ALERTS_PER_SCOPE = 3;

export interface SummaryAlertVm {
  alertId: string;
  name: string;
  severity: string;
  severityColor: TextColor;
  incidentCount: number;
  meta: string;
  hasActions: boolean;
  actions: ActionVm[];
}

export interface SummaryScopeVm {
  scope: string;
  title: string;
  id: string;
  showId: boolean;
  /** The scope's own buttons next to its title (Refresh). */
  hasScopeActions: boolean;
  scopeActions: ActionVm[];
  hasError: boolean;
  errorText: string;
  showEmpty: boolean;
  emptyText: string;
  alerts: SummaryAlertVm[];
  hasMore: boolean;
  moreCount: number;
  moreText: string;
  hasMoreActions: boolean;
  moreActions: ActionVm[];
}

export interface SummaryVm extends FooterVm, BannerVm {
  fallbackText: string;
  title: string;
  subtitle: string;
  hasConfirm: boolean;
  confirmQuestion: string;
  hasConfirmDetail: boolean;
  confirmDetail: string;
  confirmActions: ActionVm[];
  totals: Array<{ label: string; count: string; color: TextColor }>;
  notes: Array<{ text: string }>;
  scopes: SummaryScopeVm[];
  page: number;
  /**
   * What is on later pages: scopes when the card covers several scopes, that scope's alerts when it
   * covers one (then the text says "and N more alerts").
   */
  hasMoreScopes: boolean;
  moreScopesCount: number;
  moreScopesText: string;
  hasPaging: boolean;
  pagingActions: ActionVm[];
}

interface PreparedScope {
  input: SummaryScopeInput;
  /** Row view models by alert index: the cut renders the same rows many times. */
  rows: Map<number, SummaryAlertVm>;
  /** The scope's name as the card shows it (escaped). */
  label: string;
  /** Active alerts matching the filter, High first then by name. */
  alerts: Alert[];
  /** False during a confirm step: every button but Confirm and Cancel is hidden. */
  buttons: boolean;
}

function alertName(alert: Alert): string {
  return alert.properties.alertDefinition?.properties.displayName?.trim() || alert.name;
}

function alertSeverity(alert: Alert): string | undefined {
  return alert.properties.alertDefinition?.properties.severityLevel;
}

function isActive(alert: Alert): boolean {
  // The service always sends isActive; an alert without it is shown rather than silently hidden.
  return alert.properties.isActive !== false;
}

export function incidentCountOf(alert: Alert): number {
  return alert.properties.incidentCount ?? alert.properties.alertIncidents?.length ?? 0;
}

/** High before Medium before Low (unknown last), then by display name. */
export function compareAlerts(a: Alert, b: Alert): number {
  return (
    severityRank(alertSeverity(a)) - severityRank(alertSeverity(b)) ||
    alertName(a).localeCompare(alertName(b), 'en', { sensitivity: 'base' }) ||
    a.name.localeCompare(b.name)
  );
}

export interface SeverityTotals {
  High: number;
  Medium: number;
  Low: number;
  /** Severities the bot does not know. */
  Other: number;
}

/** Counts of active alerts by severity over the scopes that could be read (the filter is ignored). */
export function totalsBySeverity(scopes: readonly SummaryScopeInput[]): SeverityTotals {
  const totals: SeverityTotals = { High: 0, Medium: 0, Low: 0, Other: 0 };
  for (const s of scopes) {
    if (s.error !== undefined) continue;
    for (const a of s.alerts ?? []) {
      if (!isActive(a)) continue;
      totals[normaliseSeverity(alertSeverity(a)) ?? 'Other'] += 1;
    }
  }
  return totals;
}

function prepare(input: SummaryInput): PreparedScope[] {
  const wanted = input.filter?.severity;
  const buttons = input.confirm === undefined;
  return input.scopes.map((s) => ({
    input: s,
    buttons,
    rows: new Map<number, SummaryAlertVm>(),
    label: untrustedText(s.displayName?.trim() || s.scope, TEXT_LIMITS.name),
    alerts:
      s.error !== undefined
        ? []
        : (s.alerts ?? [])
            .filter((a) => isActive(a) && (wanted === undefined || normaliseSeverity(alertSeverity(a)) === wanted))
            .sort(compareAlerts),
  }));
}

function alertsCommand(scope: PreparedScope, severity: Severity | undefined): string {
  const ref = scope.input.ref?.trim() || scope.input.scope;
  return `alerts ${ref}${severity ? ` severity ${severity.toLowerCase()}` : ''}`;
}

function alertVm(alert: Alert, scope: string, ctx: CardContext, buttons: boolean): SummaryAlertVm {
  const count = incidentCountOf(alert);
  const scanned = alert.properties.lastScannedDateTime
    ? `scanned ${formatWhen(alert.properties.lastScannedDateTime, { timeZone: ctx.timeZone, now: ctx.now })}`
    : 'not scanned yet';
  return {
    alertId: alert.name,
    name: untrustedText(alertName(alert), TEXT_LIMITS.name),
    severity: severityBadge(alertSeverity(alert)),
    severityColor: severityColor(alertSeverity(alert)),
    incidentCount: count,
    meta: `${plural(count, 'incident')} · ${scanned}`,
    hasActions: buttons,
    actions: buttons
      ? [
          executeAction(ctx, 'Details', { verb: 'details', scope, alertId: alert.name }),
          // Every alert in the summary is active, so each can be dismissed from here (after a confirm step).
          executeAction(ctx, 'Dismiss', { verb: 'dismissConfirm', scope, alertId: alert.name }),
        ]
      : [],
  };
}

/**
 * A scope's section with at most `cap` alerts. `pointToAlertsCommand` is false when the card already
 * is that scope's own list, where the rest is on the next page instead.
 */
function scopeVm(
  s: PreparedScope,
  cap: number,
  severity: Severity | undefined,
  ctx: CardContext,
  pointToAlertsCommand: boolean,
  offset = 0,
): SummaryScopeVm {
  const scope = s.input.scope;
  const shown = s.alerts.slice(offset, offset + cap);
  const more = s.alerts.length - offset - shown.length;
  const hasError = s.input.error !== undefined;
  const hasMore = pointToAlertsCommand && more > 0;
  const payload: ActionPayload = { verb: 'alerts', scope, ...(severity ? { severity } : {}) };
  // A scope that could not be read gets no Refresh: the rescan would fail the same way.
  const scopeActions = s.buttons && !hasError ? [executeAction(ctx, 'Refresh', { verb: 'refreshConfirm', scope })] : [];
  return {
    scope,
    title: s.label,
    id: untrustedText(scopeIdLine(scope), TEXT_LIMITS.name),
    showId: true,
    hasScopeActions: scopeActions.length > 0,
    scopeActions,
    hasError,
    errorText: hasError
      ? `⚠ Could not read ${s.label}: ${untrustedSentence(s.input.error ?? '', TEXT_LIMITS.sentence)}`
      : '',
    showEmpty: !hasError && s.alerts.length === 0,
    emptyText: severity ? `No active ${severity} alerts` : 'No active alerts',
    alerts: shown.map((a, i) => {
      let row = s.rows.get(offset + i);
      if (!row) {
        row = alertVm(a, scope, ctx, s.buttons);
        s.rows.set(offset + i, row);
      }
      return row;
    }),
    hasMore,
    moreCount: hasMore ? more : 0,
    moreText: hasMore ? `and ${plural(more, 'more alert')} — use \`${alertsCommand(s, severity)}\` to see them` : '',
    hasMoreActions: hasMore && s.buttons,
    moreActions: hasMore && s.buttons ? [executeAction(ctx, `Show all ${s.alerts.length}`, payload)] : [],
  };
}

interface Frame {
  title: string;
  subtitle: string;
  totals: SummaryVm['totals'];
  notes: SummaryVm['notes'];
  fallbackText: string;
  footer: FooterVm;
  banner: BannerVm;
  confirm: ConfirmVm;
  /** False during a confirm step. */
  buttons: boolean;
}

type ConfirmVm = Pick<SummaryVm, 'hasConfirm' | 'confirmQuestion' | 'hasConfirmDetail' | 'confirmDetail' | 'confirmActions'>;

/**
 * Cancel names the scope the confirmed action is about, so the bot can put that scope's summary
 * back; an action without one falls back to the card's only scope, else to all scopes.
 */
function cancelScope(confirm: ConfirmInput, prepared: PreparedScope[]): string {
  const target = 'scope' in confirm.confirm ? confirm.confirm.scope : undefined;
  if (typeof target === 'string' && target !== '' && target !== 'all') return target;
  return prepared.length === 1 && prepared[0] ? prepared[0].input.scope : 'all';
}

function confirmVm(confirm: ConfirmInput | undefined, prepared: PreparedScope[], ctx: CardContext): ConfirmVm {
  if (!confirm) return { hasConfirm: false, confirmQuestion: '', hasConfirmDetail: false, confirmDetail: '', confirmActions: [] };
  // Composed by the handlers from names of scopes, alerts and people: shown as untrusted text.
  const detail = untrustedText(confirm.detail, TEXT_LIMITS.paragraph);
  return {
    hasConfirm: true,
    confirmQuestion: untrustedText(confirm.question, TEXT_LIMITS.sentence),
    hasConfirmDetail: detail !== '',
    confirmDetail: detail,
    confirmActions: [
      executeAction(ctx, confirm.confirmTitle ?? 'Confirm', confirm.confirm, confirm.destructive ? 'destructive' : 'positive'),
      executeAction(ctx, 'Cancel', { verb: 'cancel', scope: cancelScope(confirm, prepared) }),
    ],
  };
}

function frame(input: SummaryInput, prepared: PreparedScope[], ctx: CardContext): Frame {
  const severity = input.filter?.severity;
  const totals = totalsBySeverity(input.scopes);
  const active = totals.High + totals.Medium + totals.Low + totals.Other;
  const failed = prepared.filter((s) => s.input.error !== undefined);
  const single = prepared.length === 1 ? prepared[0] : undefined;
  const title = `PIM alerts${single ? ` — ${single.label}` : ''}${severity ? ` (${severity} only)` : ''}`;
  const subtitle = [
    single ? undefined : plural(prepared.length, 'scope'),
    plural(active, 'active alert'),
    asOfText(input.scopes.map((s) => s.readAt), ctx),
  ]
    .filter((x): x is string => x !== undefined)
    .join(' · ');
  const totalsVm: SummaryVm['totals'] = SEVERITIES.map((s) => ({ label: severityBadge(s), count: String(totals[s]), color: severityColor(s) }));
  if (totals.Other > 0) totalsVm.push({ label: 'Other', count: String(totals.Other), color: 'default' });
  const notes: SummaryVm['notes'] = [];
  if (prepared.length === 0) notes.push({ text: 'No scopes are configured yet; an admin adds them in the bot configuration.' });
  if (severity) notes.push({ text: `Showing ${severity} alerts only; the totals count every severity.` });
  if (failed.length > 0) {
    notes.push({ text: `The totals leave out ${plural(failed.length, 'scope')} that could not be read.` });
  }
  const counts = `${totals.High} High, ${totals.Medium} Medium, ${totals.Low} Low${totals.Other ? `, ${totals.Other} other` : ''}`;
  const fallbackText = `${plural(active, 'active PIM alert')}: ${counts}${failed.length ? `; ${plural(failed.length, 'scope')} could not be read` : ''}.`;
  return {
    title,
    subtitle,
    totals: totalsVm,
    notes,
    fallbackText,
    footer: footerVm(ctx.localRunNote),
    banner: bannerVm(input.banner),
    confirm: confirmVm(input.confirm, prepared, ctx),
    buttons: input.confirm === undefined,
  };
}

function pagingActions(f: Frame, ctx: CardContext, page: number, hasNext: boolean, base: ActionPayload & { verb: 'alerts' }): ActionVm[] {
  const actions: ActionVm[] = [];
  if (!f.buttons) return actions;
  if (page > 1) actions.push(executeAction(ctx, 'Previous page', { ...base, page: page - 1 }));
  if (hasNext) actions.push(executeAction(ctx, 'Next page', { ...base, page: page + 1 }));
  return actions;
}

function assemble(
  f: Frame,
  page: number,
  scopes: SummaryScopeVm[],
  moreScopes: { count: number; text: string },
  paging: ActionVm[],
): SummaryVm {
  const notes = page > 1 ? [...f.notes, { text: `Page ${page}.` }] : f.notes;
  return {
    ...f.footer,
    ...f.banner,
    ...f.confirm,
    fallbackText: f.fallbackText,
    title: f.title,
    subtitle: f.subtitle,
    totals: f.totals,
    notes,
    scopes,
    page,
    hasMoreScopes: moreScopes.count > 0,
    moreScopesCount: moreScopes.count,
    moreScopesText: moreScopes.text,
    hasPaging: paging.length > 0,
    pagingActions: paging,
  };
}

/** The summary's view model, cut to fit the size budget. */
export function buildSummaryView(input: SummaryInput, ctx: CardContext, options: SummaryOptions = {}): SummaryVm {
  const maxChars = options.maxChars ?? MAX_CARD_CHARS;
  const prepared = prepare(input);
  const f = frame(input, prepared, ctx);
  const severity = input.filter?.severity;
  const wantedPage = Math.max(1, Math.floor(input.page ?? 1));
  const fits = (vm: SummaryVm): boolean => fitsCard(renderCard('summary', vm), maxChars);
  // The Next page button is hidden during a confirm step, so the text must not point at it.
  const nextHint = f.buttons ? ' — press Next page to see them' : '';

  const only = prepared.length === 1 ? prepared[0] : undefined;
  if (only) {
    // One scope: its alerts are paged; the next page is one button away.
    const base = { verb: 'alerts' as const, scope: only.input.scope, ...(severity ? { severity } : {}) };
    const total = only.alerts.length;
    const layout = (page: number, start: number, count: number): SummaryVm => {
      const rest = total - start - count;
      const section = scopeVm(only, count, severity, ctx, false, start);
      return assemble(
        f,
        page,
        [section],
        { count: rest, text: rest > 0 ? `and ${plural(rest, 'more alert')}${nextHint}` : '' },
        pagingActions(f, ctx, page, rest > 0, base),
      );
    };
    let start = 0;
    let guess: number | undefined;
    for (let page = 1; ; page++) {
      const remaining = total - start;
      const count = remaining === 0 ? 0 : Math.max(1, largestFitting(1, remaining, (n) => fits(layout(page, start, n)), guess));
      if (page === wantedPage || start + count >= total) return layout(page, start, count);
      start += count;
      guess = count;
    }
  }

  // Several scopes: show every scope with as many alerts each as fit (at least MIN_ALERTS_PER_SCOPE);
  // when even that is too much, the scopes that do not fit go to the next page.
  const base = { verb: 'alerts' as const, scope: 'all', ...(severity ? { severity } : {}) };
  const layout = (page: number, start: number, count: number, cap: number): SummaryVm => {
    const sections = prepared.slice(start, start + count).map((s) => scopeVm(s, cap, severity, ctx, true));
    const rest = prepared.slice(start + count);
    const restAlerts = rest.reduce((n, s) => n + s.alerts.length, 0);
    const text =
      rest.length > 0
        ? `and ${plural(rest.length, 'more scope')} with ${plural(restAlerts, 'active alert')}${nextHint}`
        : '';
    return assemble(f, page, sections, { count: rest.length, text }, pagingActions(f, ctx, page, rest.length > 0, base));
  };
  const choose = (page: number, start: number): { count: number; cap: number } => {
    const remaining = prepared.length - start;
    const maxCap = Math.max(0, ...prepared.slice(start).map((s) => s.alerts.length));
    const minCap = Math.min(MIN_ALERTS_PER_SCOPE, maxCap);
    if (fits(layout(page, start, remaining, minCap))) {
      return { count: remaining, cap: largestFitting(minCap, maxCap, (c) => fits(layout(page, start, remaining, c))) };
    }
    const count = largestFitting(1, remaining, (n) => fits(layout(page, start, n, minCap)));
    if (count < 1) {
      // Even one scope with a few alerts is too big (huge texts): show as many of its alerts as fit.
      return { count: 1, cap: Math.max(0, largestFitting(0, minCap, (c) => fits(layout(page, start, 1, c)))) };
    }
    return { count, cap: largestFitting(minCap, maxCap, (c) => fits(layout(page, start, count, c))) };
  };
  let start = 0;
  for (let page = 1; ; page++) {
    const { count, cap } = prepared.length === 0 ? { count: 0, cap: 0 } : choose(page, start);
    if (page === wantedPage || start + count >= prepared.length) return layout(page, start, count, cap);
    start += count;
  }
}

export function buildSummaryCard(input: SummaryInput, ctx: CardContext, options: SummaryOptions = {}): AdaptiveCardJson {
  return renderCard('summary', buildSummaryView(input, ctx, options));
}
