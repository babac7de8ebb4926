// The configured scopes, numbered so people can name a scope by its position ("alerts 2"), with
// their active alert counts; scopes the bot cannot read are shown with the reason.
import type { Alert } from '../bot/azure/models';
import { executeAction, type ActionVm, type CardContext } from './actions';
import { asOfText, normaliseSeverity, plural, scopeIdLine, untrustedSentence, type TextColor } from './format';
import { footerVm, renderCard, type AdaptiveCardJson, type FooterVm } from './render';
import { MAX_CARD_CHARS, TEXT_LIMITS, fitsCard, pageStarts } from './size';
import { untrustedText } from './text';

export interface ScopeEntryInput {
  scope: string;
  displayName?: string;
  /** The scope's alerts (active ones are counted), or … */
  alerts?: Alert[];
  /** … the count of active alerts when the alerts themselves were not loaded. */
  activeAlertCount?: number;
  /** Why the bot cannot read this scope. */
  error?: string;
  /** When the service answered (ms since the epoch); the card says "as of" the oldest. */
  readAt?: number;
}

export interface ScopesInput {
  /** In configured order: position n is scopes[n-1]. */
  scopes: ScopeEntryInput[];
  page?: number;
}

export interface ScopesOptions {
  maxChars?: number;
}

export interface ScopeRowVm {
  position: string;
  scope: string;
  title: string;
  id: string;
  showId: boolean;
  status: string;
  statusColor: TextColor;
  hasActions: boolean;
  actions: ActionVm[];
}

export interface ScopesVm extends FooterVm {
  fallbackText: string;
  title: string;
  intro: string;
  showEmpty: boolean;
  emptyText: string;
  scopes: ScopeRowVm[];
  page: number;
  hasMore: boolean;
  moreText: string;
  hasPaging: boolean;
  pagingActions: ActionVm[];
}

function status(entry: ScopeEntryInput): { text: string; color: TextColor } {
  if (entry.error !== undefined) {
    return { text: `⚠ The bot cannot read this scope: ${untrustedSentence(entry.error, TEXT_LIMITS.sentence)}`, color: 'attention' };
  }
  if (entry.alerts) {
    const active = entry.alerts.filter((a) => a.properties.isActive !== false);
    if (active.length === 0) return { text: 'No active alerts', color: 'default' };
    const by = { High: 0, Medium: 0, Low: 0 };
    for (const a of active) {
      const s = normaliseSeverity(a.properties.alertDefinition?.properties.severityLevel);
      if (s) by[s] += 1;
    }
    const parts = (['High', 'Medium', 'Low'] as const).filter((s) => by[s] > 0).map((s) => `${by[s]} ${s}`);
    return {
      text: `${plural(active.length, 'active alert')}${parts.length ? ` (${parts.join(', ')})` : ''}`,
      color: by.High > 0 ? 'attention' : 'accent',
    };
  }
  if (entry.activeAlertCount !== undefined) {
    const n = entry.activeAlertCount;
    return { text: n === 0 ? 'No active alerts' : plural(n, 'active alert'), color: n === 0 ? 'default' : 'accent' };
  }
  return { text: 'Active alerts not checked', color: 'default' };
}

function row(entry: ScopeEntryInput, index: number, ctx: CardContext): ScopeRowVm {
  const name = entry.displayName?.trim() || entry.scope;
  const st = status(entry);
  const actions = entry.error === undefined ? [executeAction(ctx, 'Alerts', { verb: 'alerts', scope: entry.scope })] : [];
  return {
    position: String(index + 1),
    scope: entry.scope,
    title: untrustedText(name, TEXT_LIMITS.name),
    id: untrustedText(scopeIdLine(entry.scope), TEXT_LIMITS.name),
    showId: true,
    status: st.text,
    statusColor: st.color,
    hasActions: actions.length > 0,
    actions,
  };
}

export function buildScopesView(input: ScopesInput, ctx: CardContext, options: ScopesOptions = {}): ScopesVm {
  const maxChars = options.maxChars ?? MAX_CARD_CHARS;
  const total = input.scopes.length;
  const unreadable = input.scopes.filter((s) => s.error !== undefined).length;
  const layout = (page: number, start: number, count: number): ScopesVm => {
    const rest = total - start - count;
    const paging: ActionVm[] = [];
    if (page > 1) paging.push(executeAction(ctx, 'Previous page', { verb: 'scopes', page: page - 1 }));
    if (rest > 0) paging.push(executeAction(ctx, 'Next page', { verb: 'scopes', page: page + 1 }));
    return {
      ...footerVm(ctx.localRunNote),
      fallbackText: `${plural(total, 'configured scope')}${unreadable ? `, ${unreadable} unreadable` : ''}.`,
      title: `Configured scopes (${total})`,
      intro: `Name a scope by its number in commands, e.g. "alerts 1". Alert counts ${asOfText(input.scopes.map((s) => s.readAt), ctx)}.`,
      showEmpty: total === 0,
      emptyText: 'No scopes are configured yet; an admin adds them in the bot configuration.',
      scopes: input.scopes.slice(start, start + count).map((s, i) => row(s, start + i, ctx)),
      page,
      hasMore: rest > 0,
      moreText: rest > 0 ? `and ${plural(rest, 'more scope')}` : '',
      hasPaging: paging.length > 0,
      pagingActions: paging,
    };
  };
  const fits = (vm: ScopesVm): boolean => fitsCard(renderCard('scopes', vm), maxChars);
  // Pages are cut where the rendered card would go over budget; page n always starts at the same scope.
  const wanted = Math.max(1, Math.floor(input.page ?? 1));
  const starts = pageStarts(total, (start, count, page) => fits(layout(page, start, count)));
  const pageIndex = Math.min(wanted, starts.length) - 1;
  const start = starts[pageIndex] ?? 0;
  const end = starts[pageIndex + 1] ?? total;
  return layout(pageIndex + 1, start, end - start);
}

export function buildScopesCard(input: ScopesInput, ctx: CardContext, options: ScopesOptions = {}): AdaptiveCardJson {
  return renderCard('scopes', buildScopesView(input, ctx, options));
}
