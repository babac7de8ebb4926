// The audit log: the latest actions people took (or tried) through the bot, newest first, with who,
// what, where, the outcome and the ARM request id that support needs to trace a write in Azure.
import type { AuditEntry } from '../bot/store/types';
import type { CardContext } from './actions';
import { effectiveTimeZone, fact, formatWhen, humaniseKey, plural, truncate, type Fact, type TextColor } from './format';
import { untrustedText } from './text';
import { footerVm, renderCard, type AdaptiveCardJson, type FooterVm } from './render';
import { MAX_CARD_CHARS, TEXT_LIMITS, fitsCard, largestFitting } from './size';

export interface AuditInput {
  /** In any order; the card shows them newest first. */
  entries: AuditEntry[];
}

export interface AuditOptions {
  maxChars?: number;
}

export interface AuditEntryVm {
  headline: string;
  byLine: string;
  hasObjectId: boolean;
  objectIdText: string;
  resultText: string;
  resultColor: TextColor;
  hasDetail: boolean;
  detail: string;
  hasFacts: boolean;
  facts: Fact[];
}

export interface AuditVm extends FooterVm {
  fallbackText: string;
  title: string;
  subtitle: string;
  showEmpty: boolean;
  emptyText: string;
  entries: AuditEntryVm[];
  hasMore: boolean;
  moreText: string;
}

const RESULTS: Readonly<Record<AuditEntry['result'], { text: string; color: TextColor }>> = {
  // Written before an ARM write and completed when Azure answers: one still `attempted` means the
  // bot stopped (or is still waiting) without knowing whether Azure made the change.
  attempted: { text: 'Outcome unknown', color: 'attention' },
  succeeded: { text: 'Succeeded', color: 'default' },
  refused: { text: 'Refused', color: 'attention' },
  failed: { text: 'Failed', color: 'attention' },
  started: { text: 'Started', color: 'accent' },
  awaitingConfirmation: { text: 'Awaiting confirmation', color: 'accent' },
};

function resultOf(result: string): { text: string; color: TextColor } {
  // The store keeps whatever was written; a result this version does not know is still shown.
  return RESULTS[result as AuditEntry['result']] ?? { text: untrustedText(humaniseKey(truncate(result || 'unknown', 100)), 40), color: 'default' };
}

function time(at: string): number {
  const t = Date.parse(at);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

/**
 * Newest first; unparsable times last. Entries with the same time keep the order they came in
 * (the store lists newest first; its ids are opaque, so they cannot be compared here).
 */
export function sortAuditEntries(entries: readonly AuditEntry[]): AuditEntry[] {
  return [...entries].sort((a, b) => time(b.at) - time(a.at));
}

const UNKNOWN_OUTCOME = 'No outcome was recorded, so Azure may or may not have made this change; check it in the Azure portal.';

function entryVm(e: AuditEntry, ctx: CardContext): AuditEntryVm {
  const result = resultOf(e.result);
  const name = e.actorName?.trim();
  const objectId = e.actorObjectId?.trim();
  const who = name || (objectId ? 'someone' : 'an unknown person');
  // Everything stored came from a person, ARM or a refused request (the verb of a forged click is
  // any text at all): each part is cut and escaped before it is humanised or shown.
  const unknown = e.result === 'attempted' ? ` ${UNKNOWN_OUTCOME}` : '';
  const detail = `${untrustedText(e.detail, TEXT_LIMITS.sentence - unknown.length)}${unknown}`.trim();
  const facts = [
    ...fact('Scope', e.scope),
    ...fact('Alert', e.alertId),
    ...fact('Incident', e.incidentId),
    ...fact('ARM request id', e.armRequestId),
  ];
  return {
    headline: untrustedText(humaniseKey(truncate(e.action.trim(), TEXT_LIMITS.name)) || 'Unknown action', TEXT_LIMITS.name),
    byLine: `${formatWhen(e.at, { timeZone: ctx.timeZone, now: ctx.now })} · ${untrustedText(who, TEXT_LIMITS.name)}`,
    hasObjectId: objectId !== undefined && objectId !== '',
    objectIdText: objectId ? `Object id ${untrustedText(objectId, TEXT_LIMITS.name)}` : '',
    resultText: result.text,
    resultColor: result.color,
    hasDetail: detail !== '',
    detail,
    hasFacts: facts.length > 0,
    facts,
  };
}

export function buildAuditView(input: AuditInput, ctx: CardContext, options: AuditOptions = {}): AuditVm {
  const maxChars = options.maxChars ?? MAX_CARD_CHARS;
  const sorted = sortAuditEntries(input.entries);
  const rows = sorted.map((e) => entryVm(e, ctx));
  const total = rows.length;
  const zone = effectiveTimeZone(ctx.timeZone);
  const newest = rows[0];
  const fallbackText = newest
    ? `Audit log, ${plural(total, 'entry', 'entries')}; latest: ${newest.headline} ${newest.resultText.toLowerCase()}, ${newest.byLine}.`
    : 'Audit log: no actions recorded yet.';

  const layout = (count: number): AuditVm => {
    const rest = total - count;
    return {
      ...footerVm(ctx.localRunNote),
      fallbackText,
      title: 'Audit log',
      subtitle: `${total === 0 ? 'No entries' : `Latest ${plural(total, 'entry', 'entries')}, newest first`} · times in ${zone}`,
      showEmpty: total === 0,
      emptyText: 'No actions have been recorded yet; dismissals, remediations, refreshes and configuration changes show up here.',
      entries: rows.slice(0, count),
      hasMore: rest > 0,
      moreText: rest > 0 ? `and ${plural(rest, 'more entry', 'more entries')}, older than these` : '',
    };
  };
  // Entries are cut where the rendered card would go over budget; the newest always shows.
  const count = total === 0 ? 0 : Math.max(1, largestFitting(1, total, (n) => fitsCard(renderCard('audit', layout(n)), maxChars)));
  return layout(count);
}

export function buildAuditCard(input: AuditInput, ctx: CardContext, options: AuditOptions = {}): AdaptiveCardJson {
  return renderCard('audit', buildAuditView(input, ctx, options));
}
